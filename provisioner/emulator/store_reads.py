"""The store's indexed and batch reads: pages of an event's children (or of many events'
children) in display order, counted and sliced in SQL over the `docs_by_parent` index; lookups
by id or key; many documents by id at once; and the aggregates kept per parent. See store.py
for the derived columns and aggregates they rely on.

Only the bodies of the page are read and decoded, so a page costs the same on a site of a
hundred documents as on one of a hundred thousand. Lists of ids are bound as a VALUES table,
which also carries each id's position when the order depends on it.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# ids bound into one statement, at most two values each; a longer list is left to the
# caller's general path (older SQLite builds refuse more than 999 bound values)
MAX_LISTED = 400


def marks(values: Sequence[Any]) -> str:
    return ", ".join(["?"] * len(values))


@dataclass(frozen=True)
class Page:
    """One page of documents, and how many matched in all."""

    total: int
    docs: list[dict[str, Any]]


class IndexedReads(ABC):
    """The indexed reads of a transaction (`store.Txn`, which holds the connection)."""

    _conn: sqlite3.Connection

    @abstractmethod
    def flush(self) -> None:
        """Recompute the aggregates the transaction's writes changed (before an aggregate
        is read, and before it commits)."""

    def children_by_parent(
        self, site: str, kind: str, parent_kind: str, parents: Sequence[str] | None, *,
        offset: int, limit: int, digest_prefix: str | None = None,
    ) -> Page | None:
        """Documents of `kind` whose parent is a stored `parent_kind` document, one of
        `parents` (any when None): parents in creation order, each one's children in
        (`sort_key`, creation) order; only those whose digest starts with `digest_prefix`
        when one is given. None when the site holds an unkeyed `kind` document, or `parents`
        is too long to bind."""
        if (parents is not None and len(parents) > MAX_LISTED) or self._unkeyed(site, [kind]):
            return None
        args: list[Any] = []
        source = "docs p"
        if parents is not None:
            ids = list(dict.fromkeys(parents))
            if not ids:
                return Page(0, [])
            listed = ", ".join(["(?)"] * len(ids))
            source = f"(VALUES {listed}) AS w JOIN docs p ON p.id = w.column1"
            args += ids
        join = (f"FROM {source} JOIN docs d ON d.site = p.site AND d.kind = ? "
                "AND d.parent = p.id WHERE p.site = ? AND p.kind = ? ")
        args += [kind, site, parent_kind]
        if digest_prefix is not None:
            join += "AND substr(d.digest, 1, 1) = ? "
            args.append(digest_prefix)
        return self._page(join, args, "p.seq, d.sort_key, d.seq", offset, limit)

    def children_by_key(
        self, site: str, kinds: Sequence[str], parents: Sequence[str] | None, *,
        offset: int, limit: int, digest_prefix: str | None = None,
    ) -> Page | None:
        """Documents of `kinds` that are children of `parents` (of anything when None), in
        (`sort_key`, position of their kind in `kinds`, position of their parent in
        `parents`, creation) order; only those whose digest starts with `digest_prefix` when
        one is given. None when the site holds an unkeyed document of one of `kinds`, or
        `parents` is too long to bind."""
        if (parents is not None and len(parents) > MAX_LISTED) or self._unkeyed(site, kinds):
            return None
        kind_rows = ", ".join(["(?, ?)"] * len(kinds))
        kind_args = [x for position, kind in enumerate(kinds) for x in (kind, position)]
        if parents is None:
            join = (f"FROM (VALUES {kind_rows}) AS k JOIN docs d ON d.site = ? "
                    "AND d.kind = k.column1 WHERE 1 ")
            args: list[Any] = [*kind_args, site]
            order = "d.sort_key, k.column2, d.seq"
        else:
            ids = list(dict.fromkeys(parents))
            if not ids:
                return Page(0, [])
            parent_rows = ", ".join(["(?, ?)"] * len(ids))
            join = (f"FROM (VALUES {parent_rows}) AS p CROSS JOIN (VALUES {kind_rows}) AS k "
                    "JOIN docs d ON d.site = ? AND d.kind = k.column1 AND d.parent = p.column1 "
                    "WHERE 1 ")
            args = [*(x for position, parent in enumerate(ids) for x in (parent, position)),
                    *kind_args, site]
            order = "d.sort_key, k.column2, p.column2, d.seq"
        if digest_prefix is not None:
            join += "AND substr(d.digest, 1, 1) = ? "
            args.append(digest_prefix)
        return self._page(join, args, order, offset, limit)

    def find(self, site: str, kind: str, values: Sequence[str], *, by_key: bool = False
             ) -> list[dict[str, Any]] | None:
        """Documents of `kind` (children of nothing) whose id, or with `by_key` whose sort key,
        is one of `values`, in creation order. None when the site holds an unkeyed `kind`
        document, or `values` is too long to bind."""
        if len(values) > MAX_LISTED or self._unkeyed(site, [kind]):
            return None
        ids = list(dict.fromkeys(values))
        column = "sort_key" if by_key else "id"
        rows = self._conn.execute(
            f"SELECT body FROM docs WHERE site=? AND kind=? AND parent IS NULL "
            f"AND {column} IN ({marks(ids)}) ORDER BY seq", (site, kind, *ids))
        return [json.loads(r[0]) for r in rows]

    def get_many(self, site: str, kind: str, doc_ids: Sequence[str]
                 ) -> dict[str, dict[str, Any]]:
        """The stored documents among `doc_ids`, by id (one read for a page's parents)."""
        return {doc_id: json.loads(text)
                for doc_id, (text, _) in self.texts(site, kind, doc_ids).items()}

    def texts(self, site: str, kind: str, doc_ids: Sequence[str]
              ) -> dict[str, tuple[str, str | None]]:
        """(stored JSON text, digest) of the documents among `doc_ids`, by id, undecoded."""
        found: dict[str, tuple[str, str | None]] = {}
        ids = list(dict.fromkeys(doc_ids))
        for start in range(0, len(ids), MAX_LISTED):
            chunk = ids[start:start + MAX_LISTED]
            rows = self._conn.execute(
                "SELECT id, body, digest FROM docs WHERE site=? AND kind=? "
                f"AND id IN ({marks(chunk)})", (site, kind, *chunk))
            found.update((r[0], (r[1], r[2])) for r in rows)
        return found

    def aggregates(self, site: str, kind: str, parents: Sequence[str]) -> dict[str, str]:
        """The aggregates of `kind` kept for `parents`, by parent; a parent is left out when
        it has none (no children, or its aggregation declined): read its children then."""
        self.flush()
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(parents))
        for start in range(0, len(ids), MAX_LISTED):
            chunk = ids[start:start + MAX_LISTED]
            found.update(self._conn.execute(
                "SELECT parent, value FROM aggregates WHERE site=? AND kind=? "
                f"AND parent IN ({marks(chunk)}) AND value IS NOT NULL", (site, kind, *chunk)))
        return found

    def _page(self, join: str, args: list[Any], order: str, offset: int, limit: int) -> Page:
        # the count and the page's row ids come from the index alone; only the page's bodies
        # are read
        total = self._conn.execute(f"SELECT COUNT(*) {join}", args).fetchone()[0]
        if limit <= 0 or offset >= total:
            return Page(total, [])
        rowids = [r[0] for r in self._conn.execute(
            f"SELECT d.rowid {join} ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, offset])]
        bodies = dict(self._conn.execute(
            f"SELECT rowid, body FROM docs WHERE rowid IN ({marks(rowids)})", rowids))
        return Page(total, [json.loads(bodies[rowid]) for rowid in rowids])

    def _unkeyed(self, site: str, kinds: Sequence[str]) -> bool:
        """Whether the site holds a document of `kinds` without a sort key."""
        return self._conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM docs WHERE site=? AND kind IN ({marks(kinds)}) "
            "AND sort_key IS NULL)", (site, *kinds),
        ).fetchone()[0] == 1
