"""The fewest single moves that turn one order of a list into another, for APIs that reorder
by moving one member at a time (after or before another, or to an index)."""

from __future__ import annotations


def moves(current: list[str], wanted: list[str]) -> list[tuple[str, str | None, str | None,
                                                                int]]:
    """The fewest single moves that turn `current` into `wanted`: (member, after, before,
    new index) each, in the order they must run. Members on a longest run already in order
    stay put."""
    positions = [current.index(name) if name in current else -1 for name in wanted]
    keep = _longest_increasing(positions)
    order = [name for name in current if name in wanted]
    out = []
    for index, name in enumerate(wanted):
        if index in keep:
            continue
        if name in order:
            order.remove(name)
        after = wanted[index - 1] if index else None
        at = order.index(after) + 1 if after else 0
        before = None if after else (order[0] if order else None)
        order.insert(at, name)
        out.append((name, after, before, at))
    return out


def _longest_increasing(values: list[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence of `values` (ignoring -1)."""
    best: list[list[int]] = []
    for index, value in enumerate(values):
        if value < 0:
            best.append([])
            continue
        runs = [best[j] for j in range(index) if 0 <= values[j] < value and best[j]]
        prior: list[int] = max(runs, key=len) if runs else []
        best.append([*prior, index])
    longest: list[int] = max(best, key=len) if best else []
    return set(longest)
