"""SQLite storage for the emulator: JSON documents per site, kind and id.

One table holds every entity (`docs`), keyed by (site, kind, id), with the owning event id in
`parent` so an event's children are one indexed read, and an insertion sequence `seq` so the
order of creation is stable. Credentials live in `credentials`. Nothing here knows what an
event or a policy is.

What the store derives for faster reads (`Store.install`), from functions it is given and
does not understand:
- a `Derivation` of a kind maps a document (with its id and parent) to `sort_key`, text whose
  byte order is the kind's display order (or a key to look it up by), and `digest`, a short
  text whose first character is a filter. Both are kept beside the body on every write, and
  `store_reads.py` pages through children in SQL with them. A document the derivation
  declines is "unkeyed": while a site holds one of a kind, the indexed reads of that kind
  answer None, and callers take their general path.
- an `Aggregation` of a kind maps the children of one parent (in creation order) to a text
  kept per parent in `aggregates`, recomputed when the transaction that changed them commits,
  so a page of parents reads one row each instead of all their children.

Atomicity: every request runs inside `Store.transaction()`, which holds a process-wide lock and
an SQLite `BEGIN IMMEDIATE` transaction, so a read-check-write (a revision check and its write)
can never interleave with another writer, in this process or another one sharing the file.
"""

from __future__ import annotations

import builtins
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .store_reads import IndexedReads, marks

log = logging.getLogger("provisioner.emulator")

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    site     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    parent   TEXT,
    seq      INTEGER NOT NULL,
    body     TEXT NOT NULL,
    sort_key TEXT,
    digest   TEXT,
    PRIMARY KEY (site, kind, id)
);
CREATE TABLE IF NOT EXISTS aggregates (
    site   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    parent TEXT NOT NULL,
    value  TEXT,
    PRIMARY KEY (site, kind, parent)
);
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
# after any column migration: they name the derived columns
INDEXES = """
CREATE INDEX IF NOT EXISTS docs_by_parent ON docs (site, kind, parent, sort_key, seq);
CREATE INDEX IF NOT EXISTS docs_unkeyed ON docs (site, kind) WHERE sort_key IS NULL;
"""
PARENT_INDEX_COLUMNS = ["site", "kind", "parent", "sort_key", "seq"]

# (document, its id, its parent) -> (sort key, digest), or None to leave it unkeyed
Derivation = Callable[[dict[str, Any], str, "str | None"], "tuple[str, str] | None"]
# one parent's children in creation order -> the text kept for that parent, or None
Aggregation = Callable[[list[dict[str, Any]]], "str | None"]


class StoreError(Exception):
    """The database file cannot be opened or is not an emulator database."""


class Txn(IndexedReads):
    """Document operations inside one transaction."""

    def __init__(self, conn: sqlite3.Connection,
                 derivations: Mapping[str, Derivation] | None = None,
                 aggregations: Mapping[str, Aggregation] | None = None) -> None:
        self._conn = conn
        self._derivations = derivations or {}
        self._aggregations = aggregations or {}
        self._stale: set[tuple[str, str, str]] = set()  # (site, kind, parent) to aggregate

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
        derive = self._derivations.get(kind)
        key = digest = None
        if derive is not None or kind in self._aggregations:
            before = self._parent_of(site, kind, doc_id)
            self._aggregate_later(site, kind, before)
            parent = before if parent is None else parent
            self._aggregate_later(site, kind, parent)
            if derive is not None:
                key, digest = _derived(derive, body, doc_id, parent)
        updated = self._conn.execute(
            "UPDATE docs SET body=?, parent=COALESCE(?, parent), sort_key=?, digest=? "
            "WHERE site=? AND kind=? AND id=?",
            (text, parent, key, digest, site, kind, doc_id),
        ).rowcount
        if not updated:
            seq = self._next_seq()
            self._conn.execute(
                "INSERT INTO docs (site, kind, id, parent, seq, body, sort_key, digest) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (site, kind, doc_id, parent, seq, text, key, digest),
            )

    def delete(self, site: str, kind: str, doc_id: str) -> bool:
        if kind in self._aggregations:
            self._aggregate_later(site, kind, self._parent_of(site, kind, doc_id))
        return bool(
            self._conn.execute(
                "DELETE FROM docs WHERE site=? AND kind=? AND id=?", (site, kind, doc_id)
            ).rowcount
        )

    def delete_children(self, site: str, kind: str, parent: str) -> int:
        self._aggregate_later(site, kind, parent)
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
        self._conn.execute("DELETE FROM aggregates")
        self._stale.clear()
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

    # derived columns and aggregates -------------------------------------------------------

    def _parent_of(self, site: str, kind: str, doc_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT parent FROM docs WHERE site=? AND kind=? AND id=?", (site, kind, doc_id)
        ).fetchone()
        return row[0] if row else None

    def _aggregate_later(self, site: str, kind: str, parent: str | None) -> None:
        if parent is not None and kind in self._aggregations:
            self._stale.add((site, kind, parent))

    def flush(self) -> None:
        """Recompute the aggregates this transaction's writes changed (before it commits, and
        before an aggregate is read)."""
        while self._stale:
            site, kind, parent = self._stale.pop()
            children = self.list(site, kind, parent)
            if not children:  # no row: a reader finds the children itself, and none
                self._conn.execute("DELETE FROM aggregates WHERE site=? AND kind=? AND parent=?",
                                   (site, kind, parent))
                continue
            self._conn.execute(
                "INSERT INTO aggregates (site, kind, parent, value) VALUES (?,?,?,?) "
                "ON CONFLICT(site, kind, parent) DO UPDATE SET value=excluded.value",
                (site, kind, parent, _aggregated(self._aggregations[kind], children)))

    def rebuild(self) -> None:
        """Derive every stored document's sort key and digest again, and every aggregate."""
        rows = self._conn.execute("SELECT rowid, kind, id, parent, body FROM docs").fetchall()
        for rowid, kind, doc_id, parent, body in rows:
            derive = self._derivations.get(kind)
            key, digest = (None, None) if derive is None else \
                _derived(derive, json.loads(body), doc_id, parent)
            self._conn.execute("UPDATE docs SET sort_key=?, digest=? WHERE rowid=?",
                               (key, digest, rowid))
        self._conn.execute("DELETE FROM aggregates")
        kinds = builtins.list(self._aggregations)
        if kinds:
            self._stale.update(self._conn.execute(
                "SELECT DISTINCT site, kind, parent FROM docs "
                f"WHERE kind IN ({marks(kinds)}) AND parent IS NOT NULL", kinds))

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


def _derived(derive: Derivation, body: dict[str, Any], doc_id: str, parent: str | None
             ) -> tuple[str | None, str | None]:
    """(sort key, digest) of a document, both None when the derivation declines it. A
    derivation that fails only leaves the document unkeyed: a write never fails for it."""
    try:
        found = derive(body, doc_id, parent)
    except Exception:
        log.exception("emulator derivation failed; the document is left unkeyed")
        return None, None
    return (None, None) if found is None else found


def _aggregated(aggregate: Aggregation, children: list[dict[str, Any]]) -> str | None:
    try:
        return aggregate(children)
    except Exception:  # the reader computes it from the children instead
        log.exception("emulator aggregation failed; the parent is left without one")
        return None


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
            self._migrate()
            self._conn.executescript(INDEXES)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot use {self.path} as an emulator database: {exc}") from exc
        self._lock = threading.RLock()
        self._derivations: dict[str, Derivation] = {}
        self._aggregations: dict[str, Aggregation] = {}

    def _migrate(self) -> None:
        """Bring a database written before the derived columns up to date: add the columns
        and rebuild the parent index over them (`install` derives their values)."""
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(docs)")}
        for column in ("sort_key", "digest"):
            if column not in columns:
                self._conn.execute(f"ALTER TABLE docs ADD COLUMN {column} TEXT")
        indexed = [row[2] for row in self._conn.execute("PRAGMA index_info(docs_by_parent)")]
        if indexed and indexed != PARENT_INDEX_COLUMNS:
            self._conn.execute("DROP INDEX docs_by_parent")

    def install(self, derivations: Mapping[str, Derivation],
                aggregations: Mapping[str, Aggregation], version: str) -> None:
        """From now on, keep each listed kind's derived columns and aggregates on every write;
        and when the stored ones were made otherwise (`version` names this set of functions),
        make them again for every stored document."""
        with self._lock:
            self._derivations = dict(derivations)
            self._aggregations = dict(aggregations)
            with self.transaction() as txn:
                row = self._conn.execute(
                    "SELECT value FROM meta WHERE name='derivations'").fetchone()
                if row is not None and row[0] == version:
                    return
                txn.rebuild()
                self._conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('derivations', ?) "
                    "ON CONFLICT(name) DO UPDATE SET value=excluded.value", (version,))

    @contextmanager
    def transaction(self) -> Iterator[Txn]:
        """One atomic unit of work: committed if the block succeeds, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                txn = Txn(self._conn, self._derivations, self._aggregations)
                yield txn
                txn.flush()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
