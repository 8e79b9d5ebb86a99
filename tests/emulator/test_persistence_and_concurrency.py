"""State survives restarts with a database file, and concurrent writers never corrupt it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from provisioner.emulator import create_app
from tests.conftest import running
from tests.emulator.helpers import event_body

EVENTS = "/events/v3/events"
CREDENTIALS = [("file-key", "file-site")]


def client(base_url: str, key: str = "file-key", site: str = "file-site") -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30,
                        headers={"Authorization": key, "wix-site-id": site})


def test_a_database_file_keeps_data_and_keys_across_restarts(tmp_path):
    db = tmp_path / "sandbox.sqlite3"
    with running(create_app(db=db, credentials=CREDENTIALS)) as url, client(url) as api:
        created = api.post(EVENTS, json={"event": event_body("Kept"), "draft": True}).json()
    # a new server on the same file, with no credentials given, still knows the key
    with running(create_app(db=db)) as url, client(url) as api:
        got = api.get(f"{EVENTS}/{created['event']['id']}")
        assert got.status_code == 200
        assert got.json()["event"]["title"] == "Kept"
        assert got.json()["event"]["status"] == "DRAFT"


def test_without_a_file_state_is_lost_on_restart():
    with running(create_app(credentials=CREDENTIALS)) as url, client(url) as api:
        api.post(EVENTS, json={"event": event_body("Gone")})
    with running(create_app(credentials=CREDENTIALS)) as url, client(url) as api:
        listed = api.post(f"{EVENTS}/query", json={"query": {"paging": {"limit": 5}}})
        assert listed.json()["pagingMetadata"]["total"] == 0


def race_for_slug(urls: list[str], attempts: int, key: str = "file-key",
                  site: str = "file-site") -> list[httpx.Response]:
    body = {"event": event_body("Race", seoSettings={"slug": "the-one-slug"})}

    def attempt(index: int) -> httpx.Response:
        with client(urls[index % len(urls)], key, site) as api:
            return api.post(EVENTS, json=body)

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


def test_concurrent_writers_on_one_server_cannot_both_claim_a_slug(api, server):
    responses = race_for_slug([server.base_url], 20, api.api_key, api.site_id)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [428] * 19, statuses


def test_check_then_write_is_atomic_across_two_servers_sharing_a_file(tmp_path):
    db = tmp_path / "shared.sqlite3"
    with running(create_app(db=db, credentials=CREDENTIALS)) as first, \
            running(create_app(db=db)) as second:
        responses = race_for_slug([first, second], 24)
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) == 1, statuses
        assert statuses.count(428) == 23, statuses
        assert all(r.json()["details"]["applicationError"]["code"] == "SLUG_ALREADY_IN_USE"
                   for r in responses if r.status_code == 428)
        # both servers see the same single event
        for url in (first, second):
            with client(url) as api:
                listed = api.post(f"{EVENTS}/query", json={"query": {"paging": {"limit": 50}}})
                assert listed.json()["pagingMetadata"]["total"] == 1


def test_concurrent_creates_all_land_with_unique_slugs(tmp_path):
    with running(create_app(db=tmp_path / "many.sqlite3", credentials=CREDENTIALS)) as url:
        def create(index: int) -> httpx.Response:
            with client(url) as api:
                return api.post(EVENTS, json={"event": event_body("Same Title")})

        with ThreadPoolExecutor(max_workers=16) as pool:
            responses = list(pool.map(create, range(40)))
        assert [r.status_code for r in responses] == [200] * 40
        slugs = {r.json()["event"]["slug"] for r in responses}
        assert len(slugs) == 40
        with client(url) as api:
            listed = api.post(f"{EVENTS}/query", json={"query": {"paging": {"limit": 100}}})
            assert listed.json()["pagingMetadata"]["total"] == 40


def test_a_revision_check_and_its_write_are_atomic(api, server):
    event = api.post(EVENTS, json={"event": event_body()}).json()["event"]
    policy = api.post("/events/v2/policies", json={"policy": {
        "eventId": event["id"], "name": "Terms", "body": "v1"}}).json()["policy"]
    assert policy["revision"] == "1"

    def update(index: int) -> httpx.Response:
        with client(server.base_url, api.api_key, api.site_id) as other:
            return other.patch(f"/events/v2/policies/{policy['id']}", json={"policy": {
                "eventId": event["id"], "name": "Terms", "body": f"writer {index}",
                "revision": "1"}})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(update, range(20)))
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert sorted(r.status_code for r in responses if r.status_code != 200) == [409] * 19
    stored = api.get(f"/events/v2/policies/{policy['id']}").json()["policy"]
    assert stored["revision"] == "2"
    assert stored["body"] == winners[0].json()["policy"]["body"]
