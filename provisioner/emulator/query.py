"""The Wix API Query Language: filters, sorting, offset and cursor paging.

Each query endpoint declares a `QuerySpec`: the fields it can filter and sort on, the operators
each field accepts, its paging mode, limits and the name of its paging-metadata key (Wix uses
`pagingMetadata`, `metadata` or `metaData` depending on the service). `run_query` applies a
request's `query` object to a list of rendered entities. Anything the parser cannot read,
including a field or operator the endpoint does not support, is a 400 `FILTER_PARSER_ERROR`
naming what was wrong, never a 500.

Semantics follow the Wix article on the query language: implicit equality; a scalar matches an
array field that contains it; a list matches an array field exactly; `$startsWith` ignores case;
`$exists: false` matches a missing or null field.

Indexed reads: an endpoint may also hand `run_query` an `index`, which answers a query with no
sort straight from the store (a `Window`: the total and the page) when its filter is one the
store can answer, typically `lookup()`'s "this field equals one of these strings"; it answers
None otherwise, and the items are filtered here as usual. The request is checked the same way
on both paths, so errors and metadata cannot differ.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import BadRequest, filter_error
from .values import get_path, new_id, parse_timestamp

Predicate = Callable[[dict[str, Any]], bool]

EQ = frozenset({"$eq", "$ne", "$in", "$nin", "$exists"})
RANGE = frozenset({"$lt", "$lte", "$gt", "$gte"})
ALL_SCALAR = EQ | RANGE
LIST_ARG = frozenset({"$in", "$nin", "$hasSome", "$hasAll"})
KNOWN_OPS = ALL_SCALAR | LIST_ARG | {"$startsWith", "$isEmpty", "$endsWith", "$contains"}
MAX_DEPTH = 16


@dataclass(frozen=True)
class QField:
    """One filterable field: its value type and the operators the endpoint accepts on it."""

    type: str  # string | date | int | decimal | int64 | bool | array
    ops: frozenset[str]
    sortable: bool = True


@dataclass(frozen=True)
class QuerySpec:
    name: str
    fields: dict[str, QField]
    metadata_key: str
    paging: str  # "offset" | "cursor" (the mode used when a request names none)
    default_limit: int
    max_limit: int
    accepts_cursor: bool = True
    accepts_offset: bool = True
    max_sort: int = 20
    aliases: dict[str, str] = field(default_factory=dict)  # older field spellings
    op_aliases: dict[str, str] = field(default_factory=dict)  # e.g. $hasSome -> $in

    def resolve(self, name: str) -> tuple[str, QField] | None:
        name = self.aliases.get(name, name)
        qf = self.fields.get(name)
        return (name, qf) if qf else None


# --- values -----------------------------------------------------------------------------------


class _Uncomparable(Exception):
    pass


def _coerce(kind: str, value: Any) -> Any:
    """A comparable form of a value of a field type; raises _Uncomparable if it has none."""
    if value is None:
        raise _Uncomparable
    if kind == "date":
        moment = parse_timestamp(value) if isinstance(value, str) else None
        if moment is None:
            raise _Uncomparable
        return moment
    if kind in ("int64", "int", "decimal"):
        if isinstance(value, bool):
            raise _Uncomparable
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise _Uncomparable from None
    if kind == "bool":
        if not isinstance(value, bool):
            raise _Uncomparable
        return value
    if isinstance(value, (dict, list)):
        raise _Uncomparable
    return value if isinstance(value, str) else str(value)


def _check_arg(name: str, qf: QField, op: str, arg: Any) -> Any:
    """Validate and coerce an operator's argument from the request."""
    if op in LIST_ARG:
        if not isinstance(arg, list):
            raise filter_error(f"{name}: {op} needs an array, got {type(arg).__name__}")
        try:
            return [_coerce(_elem_type(qf), a) for a in arg]
        except _Uncomparable:
            raise filter_error(f"{name}: {op} values must be {_describe(qf)}") from None
    if op in ("$exists", "$isEmpty"):
        if not isinstance(arg, bool):
            raise filter_error(f"{name}: {op} needs true or false")
        return arg
    if op in ("$startsWith", "$endsWith", "$contains"):
        if not isinstance(arg, str):
            raise filter_error(f"{name}: {op} needs a string")
        return arg.lower()
    if op in ("$eq", "$ne") and arg is None:
        return None
    if qf.type == "array" and op in ("$eq", "$ne") and isinstance(arg, list):
        try:
            return [_coerce("string", a) for a in arg]
        except _Uncomparable:
            raise filter_error(f"{name}: {op} values must be strings") from None
    try:
        return _coerce(_elem_type(qf), arg)
    except _Uncomparable:
        raise filter_error(f"{name}: {op} value {arg!r} is not {_describe(qf)}") from None


def _elem_type(qf: QField) -> str:
    return "string" if qf.type == "array" else qf.type


def _describe(qf: QField) -> str:
    return {
        "date": "an ISO-8601 timestamp",
        "int": "a number",
        "int64": "an integer",
        "decimal": "a number",
        "bool": "a boolean",
    }.get(qf.type, "a string")


# --- filters ----------------------------------------------------------------------------------


def compile_filter(spec: QuerySpec, flt: Any, depth: int = 0) -> Predicate:
    if flt is None:
        return lambda doc: True
    if not isinstance(flt, dict):
        raise filter_error(f"filter must be an object, got {type(flt).__name__}")
    if depth > MAX_DEPTH:
        raise filter_error(f"filter is nested more than {MAX_DEPTH} levels deep")
    preds: list[Predicate] = []
    for key, value in flt.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise filter_error(f"{key} needs an array of filter objects")
            subs = [compile_filter(spec, v, depth + 1) for v in value]
            preds.append(_all(subs) if key == "$and" else _any(subs))
        elif key == "$not":
            if not isinstance(value, dict):
                raise filter_error("$not needs a filter object")
            preds.append(_negated(compile_filter(spec, value, depth + 1)))
        elif key.startswith("$"):
            raise filter_error(f"unknown logical operator {key}; use $and, $or or $not")
        else:
            preds.append(_compile_field(spec, key, value))
    return _all(preds)


def _all(preds: list[Predicate]) -> Predicate:
    return lambda doc: all(p(doc) for p in preds)


def _any(preds: list[Predicate]) -> Predicate:
    return lambda doc: any(p(doc) for p in preds)


def _negated(pred: Predicate) -> Predicate:
    return lambda doc: not pred(doc)


def _compile_field(spec: QuerySpec, key: str, value: Any) -> Predicate:
    resolved = spec.resolve(key)
    if resolved is None:
        known = ", ".join(sorted(spec.fields))
        raise filter_error(f"cannot filter on {key!r}; filterable fields: {known}")
    name, qf = resolved
    if isinstance(value, dict):
        if not value or not all(isinstance(k, str) and k.startswith("$") for k in value):
            raise filter_error(
                f"{key}: expected a value or an operator object such as {{\"$eq\": ...}}"
            )
        conditions = list(value.items())
    else:
        conditions = [("$eq", value)]
    preds = []
    for op, arg in conditions:
        op = spec.op_aliases.get(op, op)
        if op not in KNOWN_OPS:
            raise filter_error(f"{key}: unknown operator {op}")
        if op not in qf.ops:
            allowed = " ".join(sorted(qf.ops))
            raise filter_error(f"{key}: operator {op} is not supported here; use one of {allowed}")
        preds.append(_predicate(name, qf, op, _check_arg(key, qf, op, arg)))
    return _all(preds)


def _predicate(name: str, qf: QField, op: str, arg: Any) -> Predicate:
    elem = _elem_type(qf)

    def values_of(doc: dict[str, Any]) -> tuple[Any, list[Any] | None]:
        raw = get_path(doc, name)
        if isinstance(raw, list):
            out = []
            for item in raw:
                try:
                    out.append(_coerce(elem, item))
                except _Uncomparable:
                    continue
            return raw, out
        return raw, None

    def scalar(doc: dict[str, Any]) -> Any:
        try:
            return _coerce(elem, get_path(doc, name))
        except _Uncomparable:
            return None

    def equals(doc: dict[str, Any]) -> bool:
        raw, items = values_of(doc)
        if arg is None:
            return raw is None
        if items is not None:
            return items == arg if isinstance(arg, list) else arg in items
        return scalar(doc) == arg

    def in_list(doc: dict[str, Any]) -> bool:
        _, items = values_of(doc)
        if items is not None:
            return any(i in arg for i in items)
        value = scalar(doc)
        return value is not None and value in arg

    def has_all(doc: dict[str, Any]) -> bool:
        _, items = values_of(doc)
        if items is not None:
            return all(a in items for a in arg)
        value = scalar(doc)
        return value is not None and all(a == value for a in arg)

    def compare(doc: dict[str, Any]) -> bool:
        value = scalar(doc)
        if value is None:
            return False
        try:
            return {
                "$lt": value < arg,
                "$lte": value <= arg,
                "$gt": value > arg,
                "$gte": value >= arg,
            }[op]
        except TypeError:
            return False

    def text(doc: dict[str, Any]) -> bool:
        value = get_path(doc, name)
        if not isinstance(value, str):
            return False
        value = value.lower()
        if op == "$startsWith":
            return value.startswith(arg)
        if op == "$endsWith":
            return value.endswith(arg)
        return arg in value

    def exists(doc: dict[str, Any]) -> bool:
        return (get_path(doc, name) is not None) == arg

    def is_empty(doc: dict[str, Any]) -> bool:
        value = get_path(doc, name)
        return (value in (None, "", [])) == arg

    return {
        "$eq": equals,
        "$ne": _negated(equals),
        "$in": in_list,
        "$hasSome": in_list,
        "$nin": _negated(in_list),
        "$hasAll": has_all,
        "$lt": compare,
        "$lte": compare,
        "$gt": compare,
        "$gte": compare,
        "$startsWith": text,
        "$endsWith": text,
        "$contains": text,
        "$exists": exists,
        "$isEmpty": is_empty,
    }[op]


# --- sorting ----------------------------------------------------------------------------------


def parse_sort(spec: QuerySpec, sort: Any) -> list[tuple[str, QField, bool]]:
    """[(field, spec, descending)] from a request's sort list."""
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise filter_error("sort must be an array of {fieldName, order} objects")
    if len(sort) > spec.max_sort:
        raise filter_error(f"sort may name at most {spec.max_sort} fields")
    out = []
    for index, entry in enumerate(sort):
        if not isinstance(entry, dict) or not isinstance(entry.get("fieldName"), str):
            raise filter_error(f"sort[{index}] needs a fieldName string")
        order = entry.get("order", entry.get("direction", "ASC"))
        if order not in ("ASC", "DESC"):
            raise filter_error(f"sort[{index}].order must be ASC or DESC, got {order!r}")
        resolved = spec.resolve(entry["fieldName"])
        if resolved is None or not resolved[1].sortable:
            sortable = ", ".join(sorted(k for k, v in spec.fields.items() if v.sortable))
            raise filter_error(
                f"cannot sort on {entry['fieldName']!r}; sortable fields: {sortable}"
            )
        out.append((resolved[0], resolved[1], order == "DESC"))
    return out


def apply_sort(
    items: list[dict[str, Any]], sort: list[tuple[str, QField, bool]]
) -> list[dict[str, Any]]:
    """Stable multi-key sort; missing values first in ascending order, last in descending."""
    result = list(items)
    for name, qf, descending in reversed(sort):
        def key(doc: dict[str, Any], name: str = name, qf: QField = qf) -> tuple[int, Any]:
            try:
                return (1, _coerce(_elem_type(qf), get_path(doc, name)))
            except _Uncomparable:
                return (0, 0)

        def text_key(doc: dict[str, Any], name: str = name) -> str:
            return str(get_path(doc, name))

        try:
            result.sort(key=key, reverse=descending)
        except TypeError:  # mixed value types in one field: fall back to text order
            result.sort(key=text_key, reverse=descending)
    return result


# --- cursors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CursorState:
    site: str
    spec: str
    filter: Any
    sort: Any
    offset: int
    extra: Any = None


class CursorStore:
    """Server-side cursor state; Wix cursors are short opaque tokens (at most 36 characters)."""

    def __init__(self, capacity: int = 20000) -> None:
        self._items: OrderedDict[str, CursorState] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def issue(self, state: CursorState) -> str:
        token = new_id()
        with self._lock:
            self._items[token] = state
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return token

    def take(self, token: Any, site: str, spec: str) -> CursorState:
        with self._lock:
            state = self._items.get(token) if isinstance(token, str) else None
        if state is None or state.site != site or state.spec != spec:
            raise BadRequest(
                "cursor is unknown or expired; start again without a cursor",
                code="INVALID_CURSOR",
            )
        return state


# --- the whole query --------------------------------------------------------------------------


@dataclass
class QueryResult:
    items: list[dict[str, Any]]
    metadata: dict[str, Any]
    indexed: bool = False  # the items came from the `index`, not from the list given


@dataclass(frozen=True)
class Window:
    """A query's matches as an index reads them: how many, and the page asked for."""

    total: int
    items: list[dict[str, Any]]


# an endpoint's indexed read: (checked filter, offset, limit) -> its matches, or None when
# the index cannot answer that filter (the items are filtered as usual)
Index = Callable[[Any, int, int], "Window | None"]


@dataclass(frozen=True)
class Lookup:
    """A filter that only asks one field to equal one of `values` (None: no filter at all)."""

    values: list[str] | None


def lookup(spec: QuerySpec, flt: Any, name: str) -> Lookup | None:
    """`flt` as a `Lookup` on the field `name`, when it is nothing more: absent or `{}`,
    `{name: "v"}`, `{name: {"$eq": "v"}}` or `{name: {"$in": ["v", ...]}}` (older spellings
    of the field and operator aliases included). Only strings are read as values: on a
    string field they match exactly as the general filter does."""
    if flt is None or flt == {}:
        return Lookup(None)
    if not isinstance(flt, dict) or len(flt) != 1:
        return None
    ((key, value),) = flt.items()
    resolved = spec.resolve(key)
    if resolved is None or resolved[0] != name or resolved[1].type != "string":
        return None
    if isinstance(value, str):
        return Lookup([value])
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((op, arg),) = value.items()
    op = spec.op_aliases.get(op, op)
    if op not in resolved[1].ops:
        return None
    if op == "$eq" and isinstance(arg, str):
        return Lookup([arg])
    if op == "$in" and isinstance(arg, list) and all(isinstance(a, str) for a in arg):
        return Lookup(list(dict.fromkeys(arg)))
    return None


def _limit(spec: QuerySpec, raw: Any, where: str) -> int:
    if raw is None:
        return spec.default_limit
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise BadRequest(f"{where}.limit must be a non-negative integer")
    if raw > spec.max_limit:
        raise BadRequest(f"{where}.limit must be at most {spec.max_limit}, got {raw}")
    return raw


def _offset(raw: Any, where: str) -> int:
    if raw is None:
        return 0
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise BadRequest(f"{where}.offset must be a non-negative integer")
    return raw


def run_query(
    spec: QuerySpec,
    items: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]],
    query: Any,
    *,
    site: str,
    cursors: CursorStore,
    extra_filter: Predicate | None = None,
    index: Index | None = None,
) -> QueryResult:
    """Filter, sort and page `items` (already in the endpoint's default order; a callable is
    called only when they are needed), or let `index` answer a query without a sort."""
    if query is None:
        query = {}
    if not isinstance(query, dict):
        raise filter_error("query must be an object")
    paging = query.get("paging")
    cursor_paging = query.get("cursorPaging")
    if paging is not None and cursor_paging is not None:
        raise BadRequest("send either query.paging or query.cursorPaging, not both")
    if paging is not None and not isinstance(paging, dict):
        raise BadRequest("query.paging must be an object")
    if cursor_paging is not None and not isinstance(cursor_paging, dict):
        raise BadRequest("query.cursorPaging must be an object")
    if cursor_paging is not None and not spec.accepts_cursor:
        raise BadRequest("this endpoint pages by offset: use query.paging {limit, offset}")
    if paging is not None and not spec.accepts_offset:
        raise BadRequest("this endpoint pages by cursor: use query.cursorPaging {limit, cursor}")

    mode = spec.paging
    if cursor_paging is not None or paging is not None:
        mode = "cursor" if cursor_paging is not None else "offset"
    if mode == "cursor":
        cursor_paging = cursor_paging or {}
        limit = _limit(spec, cursor_paging.get("limit"), "query.cursorPaging")
        token = cursor_paging.get("cursor")
        if token:
            # the cursor carries the filter and sort; any sent alongside are ignored, as in Wix
            state = cursors.take(token, site, spec.name)
            flt, sort, offset = state.filter, state.sort, state.offset
        else:
            flt, sort, offset = query.get("filter"), query.get("sort"), 0
    else:
        paging = paging or {}
        limit = _limit(spec, paging.get("limit"), "query.paging")
        offset = _offset(paging.get("offset"), "query.paging")
        flt, sort = query.get("filter"), query.get("sort")

    predicate = compile_filter(spec, flt)
    order = parse_sort(spec, sort)
    window = None
    if index is not None and not order and extra_filter is None:
        window = index(flt, offset, limit)
    if window is not None:
        total, page = window.total, window.items
    else:
        listed = items() if callable(items) else items
        matched = [d for d in listed
                   if predicate(d) and (extra_filter is None or extra_filter(d))]
        matched = apply_sort(matched, order)
        total = len(matched)
        page = matched[offset : offset + limit]

    if mode == "offset":
        metadata: dict[str, Any] = {
            "count": len(page),
            "offset": offset,
            "total": total,
            "tooManyToCount": False,
        }
    else:
        next_cursors: dict[str, str] = {}
        if offset + limit < total and limit > 0:
            next_cursors["next"] = cursors.issue(
                CursorState(site, spec.name, flt, sort, offset + limit)
            )
        if offset > 0:
            next_cursors["prev"] = cursors.issue(
                CursorState(site, spec.name, flt, sort, max(0, offset - limit))
            )
        metadata = {"count": len(page), "cursors": next_cursors}
    return QueryResult(page, metadata, indexed=window is not None)


def ops(*groups: frozenset[str] | str) -> frozenset[str]:
    """Operator set from groups and single names: ops(EQ, RANGE, "$startsWith")."""
    out: set[str] = set()
    for g in groups:
        out |= {g} if isinstance(g, str) else set(g)
    return frozenset(out)
