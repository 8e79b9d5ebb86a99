"""The document store underneath the emulator: ordering, parents, atomicity."""

from __future__ import annotations

import pytest

from provisioner.emulator.store import Store, StoreError


def test_replacing_a_child_keeps_its_parent_and_creation_order():
    store = Store()
    with store.transaction() as txn:
        txn.put("s", "things", "a", {"n": 1}, parent="event-1")
        txn.put("s", "things", "b", {"n": 2}, parent="event-1")
        txn.put("s", "things", "a", {"n": 3})  # re-saved without naming the parent
    with store.transaction() as txn:
        assert txn.list("s", "things", "event-1") == [{"n": 3}, {"n": 2}]
        assert txn.delete_children("s", "things", "event-1") == 2


def test_a_failed_transaction_leaves_nothing_behind():
    store = Store()
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.put("s", "things", "a", {"n": 1})
        raise RuntimeError("handler failed half way")
    with store.transaction() as txn:
        assert txn.get("s", "things", "a") is None


def test_sites_are_separate_namespaces():
    store = Store()
    with store.transaction() as txn:
        txn.put("one", "things", "a", {"site": 1})
        txn.put("two", "things", "a", {"site": 2})
        assert txn.get("one", "things", "a") == {"site": 1}
        assert txn.count("two", "things") == 1


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "not.sqlite3"
    path.write_text("hello" * 1000)
    with pytest.raises(StoreError, match="cannot use"):
        Store(path)
