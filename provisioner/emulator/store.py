"""SQLite storage for the emulator: JSON documents per site, kind and id.

One table holds every entity (`docs`), keyed by (site, kind, id), with the owning event id in
`parent` so an event's children are one indexed read, and an insertion sequence `seq` so the
order of creation is stable. Credentials live in `credentials`. Nothing here knows what an
event or a policy is.

Atomicity: every request runs inside `Store.transaction()`, which holds a process-wide lock and
an SQLite `BEGIN IMMEDIATE` transaction, so a read-check-write (a revision check and its write)
can never interleave with another writer, in this process or another one sharing the file.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    site   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    parent TEXT,
    seq    INTEGER NOT NULL,
    body   TEXT NOT NULL,
    PRIMARY KEY (site, kind, id)
);
CREATE INDEX IF NOT EXISTS docs_by_parent ON docs (site, kind, parent);
CREATE TABLE IF NOT EXISTS credentials (
    api_key TEXT NOT NULL,
    site_id TEXT NOT NULL,
    PRIMARY KEY (api_key, site_id)
);
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class StoreError(Exception):
    """The database file cannot be opened or is not an emulator database."""


class Txn:
    """Document operations inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, site: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT body FROM docs WHERE site=? AND kind=? AND id=?", (site, kind, doc_id)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def list(self, site: str, kind: str, parent: str | None = None) -> list[dict[str, Any]]:
        """All documents of a kind (optionally of one parent), in creation order."""
        if parent is None:
            rows = self._conn.execute(
                "SELECT body FROM docs WHERE site=? AND kind=? ORDER BY seq", (site, kind)
            )
        else:
            rows = self._conn.execute(
                "SELECT body FROM docs WHERE site=? AND kind=? AND parent=? ORDER BY seq",
                (site, kind, parent),
            )
        return [json.loads(r[0]) for r in rows]

    def count(self, site: str, kind: str, parent: str | None = None) -> int:
        if parent is None:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM docs WHERE site=? AND kind=?", (site, kind)
            ).fetchone()
        else:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM docs WHERE site=? AND kind=? AND parent=?",
                (site, kind, parent),
            ).fetchone()
        return int(row[0])

    def put(
        self, site: str, kind: str, doc_id: str, body: dict[str, Any], parent: str | None = None
    ) -> None:
        """Insert or replace; a replaced document keeps its creation sequence, and its parent
        unless a new one is given, so re-saving a child never detaches it from its event."""
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        updated = self._conn.execute(
            "UPDATE docs SET body=?, parent=COALESCE(?, parent) WHERE site=? AND kind=? AND id=?",
            (text, parent, site, kind, doc_id),
        ).rowcount
        if not updated:
            seq = self._next_seq()
            self._conn.execute(
                "INSERT INTO docs (site, kind, id, parent, seq, body) VALUES (?,?,?,?,?,?)",
                (site, kind, doc_id, parent, seq, text),
            )

    def delete(self, site: str, kind: str, doc_id: str) -> bool:
        return bool(
            self._conn.execute(
                "DELETE FROM docs WHERE site=? AND kind=? AND id=?", (site, kind, doc_id)
            ).rowcount
        )

    def delete_children(self, site: str, kind: str, parent: str) -> int:
        return self._conn.execute(
            "DELETE FROM docs WHERE site=? AND kind=? AND parent=?", (site, kind, parent)
        ).rowcount

    # `list` below is the builtin: inside this class the name is the method above
    def all_documents(self) -> builtins.list[dict[str, Any]]:
        """Every document of every site, in creation order, for a state dump."""
        rows = self._conn.execute("SELECT site, kind, id, parent, body FROM docs ORDER BY seq")
        return [{"site": r[0], "kind": r[1], "id": r[2], "parent": r[3], "body": json.loads(r[4])}
                for r in rows]

    def clear_documents(self) -> int:
        """Delete every document of every site (credentials stay); returns how many."""
        return self._conn.execute("DELETE FROM docs").rowcount

    def _next_seq(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE name='seq'").fetchone()
        seq = int(row[0]) + 1 if row else 1
        self._conn.execute(
            "INSERT INTO meta (name, value) VALUES ('seq', ?) "
            "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (str(seq),),
        )
        return seq

    # credentials ---------------------------------------------------------------------------

    def grant(self, api_key: str, site_id: str) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO credentials (api_key, site_id) VALUES (?, ?)",
            (api_key, site_id),
        )

    def sites_for_key(self, api_key: str) -> set[str]:
        rows = self._conn.execute("SELECT site_id FROM credentials WHERE api_key=?", (api_key,))
        return {r[0] for r in rows}

    def credentials(self) -> builtins.list[tuple[str, str]]:
        rows = self._conn.execute("SELECT api_key, site_id FROM credentials ORDER BY rowid")
        return [(r[0], r[1]) for r in rows]


class Store:
    """An SQLite database, in memory or in a file, shared by all requests of one server."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        try:
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot use {self.path} as an emulator database: {exc}") from exc
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[Txn]:
        """One atomic unit of work: committed if the block succeeds, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Txn(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
