"""Authentication and site isolation: keys, the `wix-site-id` header, and sites that never mix."""

from __future__ import annotations

import httpx

from tests.emulator.helpers import assert_error, create_event, event_body

EVENTS = "/events/v3/events"


def test_missing_or_unknown_key_is_401(server):
    key, site = server.new_site()
    with httpx.Client(base_url=server.base_url) as anonymous:
        no_key = anonymous.post(f"{EVENTS}/query", json={}, headers={"wix-site-id": site})
        assert_error(no_key, 401, "UNAUTHENTICATED")
        wrong = anonymous.post(f"{EVENTS}/query", json={},
                               headers={"Authorization": "not-a-key", "wix-site-id": site})
        assert_error(wrong, 401, "UNAUTHENTICATED")
        bearer = anonymous.post(f"{EVENTS}/query", json={},
                                headers={"Authorization": f"Bearer {key}", "wix-site-id": site})
        assert bearer.status_code == 200


def test_missing_site_header_or_foreign_site_is_403(server):
    key, _site = server.new_site()
    _other_key, other_site = server.new_site()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": key}) as client:
        assert_error(client.post(f"{EVENTS}/query", json={}), 403, "PERMISSION_DENIED")
        account = client.post(f"{EVENTS}/query", json={}, headers={"wix-account-id": "acc"})
        assert_error(account, 403, "PERMISSION_DENIED")
        foreign = client.post(f"{EVENTS}/query", json={}, headers={"wix-site-id": other_site})
        assert_error(foreign, 403, "PERMISSION_DENIED")


def test_refused_calls_write_nothing(server, api):
    with httpx.Client(base_url=server.base_url) as anonymous:
        refused = anonymous.post(EVENTS, json={"event": event_body()},
                                 headers={"Authorization": "nope", "wix-site-id": api.site_id})
        assert refused.status_code == 401
    listed = api.post(f"{EVENTS}/query", json={"query": {"paging": {"limit": 5}}})
    assert listed.json()["pagingMetadata"]["total"] == 0


def test_sites_never_see_each_others_data(server, api):
    mine = create_event(api, "Shared Title")
    key, site = server.new_site()
    with server.client(key, site) as other:
        theirs = create_event(other, "Shared Title")
        # slugs are unique per site, not across sites
        assert theirs["slug"] == mine["slug"] == "shared-title"
        listed = other.post(f"{EVENTS}/query", json={"query": {"paging": {"limit": 10}}}).json()
        assert [e["id"] for e in listed["events"]] == [theirs["id"]]
        assert_error(other.get(f"{EVENTS}/{mine['id']}"), 404)
        assert_error(other.delete(f"{EVENTS}/{mine['id']}"), 404)
        assert_error(other.patch(f"{EVENTS}/{mine['id']}", json={"event": {"title": "x"}}), 404)
    assert api.get(f"{EVENTS}/{mine['id']}").json()["event"]["title"] == "Shared Title"


def test_one_key_may_serve_two_sites(server):
    key, site_a = server.new_site()
    with server.store.transaction() as txn:
        txn.grant(key, "second-site")
    with server.client(key, site_a) as a, server.client(key, "second-site") as b:
        event = create_event(a)
        assert_error(b.get(f"{EVENTS}/{event['id']}"), 404)


def test_health_needs_no_key(server):
    assert httpx.get(f"{server.base_url}/_emulator/health").json() == {"status": "ok"}
