from tests.emulator.helpers import assert_error, create_event


def test_each_test_gets_its_own_empty_site(api):
    event = create_event(api)
    listed = api.post("/events/v3/events/query", json={"query": {"paging": {"limit": 10}}})
    assert [e["id"] for e in listed.json()["events"]] == [event["id"]]


def test_a_key_cannot_read_another_site(api, server):
    event = create_event(api)
    key, site = server.new_site()
    with server.client(key, site) as other:
        assert_error(other.get(f"/events/v3/events/{event['id']}"), 404, "EVENT_NOT_FOUND")
        assert_error(other.get(f"/events/v3/events/{event['id']}",
                               headers={"wix-site-id": api.site_id}), 403, "PERMISSION_DENIED")
