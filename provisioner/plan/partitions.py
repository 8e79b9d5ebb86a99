"""Split the events whose children are read into `$in` partitions that each fit in one page,
from how many children the spec says each event has: the plan of the reads, before any call.

A child kind is read by `$in` over event ids, 100 objects a page. Reading every event's children
with one query means paging through it, one page after another; reading them in partitions
that each fit in one page means every partition is one call, and all of them go at once. The
spec knows how many children each event should have (the live site has the same number when
nothing drifted), so the partitions are sized from it:

1. First-fit decreasing: events, largest first, into partitions of at most `page` expected
   objects and at most `ids` events (what one `$in` or one repeated parameter may carry).
2. Bin packing can leave partitions part-full (three policies an event fill 99 of 100), so it
   may need a few more calls than the floor, ceil(objects / page). When merging the part-full
   partitions into groups read by offset pages, all pages at once, needs fewer calls, they are
   merged; a full partition stays a single page, which is one consistent snapshot.

A partition that turns out bigger than expected (the site holds more than the spec) costs one
more round trip, not a failure: its first answer tells the total, and the missing pages follow
together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PAGE = 100  # objects per page: QueryV2's cursor cap, and what List Schedule Items returns
IDS = 100  # event ids per `$in` / per repeated `eventId` parameter


@dataclass(frozen=True)
class Partition:
    """Events read together, and how many objects the spec says they hold."""

    parent_ids: tuple[str, ...]
    expected: int

    def pages(self, page: int = PAGE) -> int:
        """Offset pages to ask at once: enough for what is expected, at least one."""
        return max(1, -(-self.expected // page))


def calls(partitions: Sequence[Partition], page: int = PAGE) -> int:
    return sum(p.pages(page) for p in partitions)


def floor(sizes: Sequence[tuple[str, int]], page: int = PAGE) -> int:
    """The fewest calls that can read `sizes`' objects a page at a time (at least one)."""
    return max(1, -(-sum(size for _, size in sizes) // page))


def partition(sizes: Sequence[tuple[str, int]], page: int = PAGE, ids: int = IDS
              ) -> list[Partition]:
    """`sizes` ((event id, expected children), in the spec's order) as partitions to read."""
    if not sizes:
        return []
    packed = _first_fit_decreasing(sizes, page, ids)
    full = [p for p in packed if p.expected >= page]
    loose = [p for p in packed if p.expected < page]
    size_of = dict(sizes)
    merged = _merged([(i, size_of[i]) for p in loose for i in p.parent_ids], page, ids)
    if calls(merged, page) < calls(loose, page):
        return full + merged
    return packed


def _first_fit_decreasing(sizes: Sequence[tuple[str, int]], page: int, ids: int
                          ) -> list[Partition]:
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i][1])  # stable: spec order in ties
    bins: list[tuple[list[str], int]] = []
    for index in order:
        parent_id, size = sizes[index]
        target = next((b for b, (members, fill) in enumerate(bins)
                       if len(members) < ids and fill + size <= page), None)
        if target is None or size >= page:
            bins.append(([parent_id], size))
        else:
            members, fill = bins[target]
            members.append(parent_id)
            bins[target] = (members, fill + size)
    return [Partition(tuple(members), fill) for members, fill in bins]


def _merged(sizes: list[tuple[str, int]], page: int, ids: int) -> list[Partition]:
    """Events as groups of at most `ids` events, in order, each read by offset pages."""
    groups: list[Partition] = []
    members: list[str] = []
    expected = 0
    for parent_id, size in sizes:
        if len(members) == ids:
            groups.append(Partition(tuple(members), expected))
            members, expected = [], 0
        members.append(parent_id)
        expected += size
    if members:
        groups.append(Partition(tuple(members), expected))
    return groups
