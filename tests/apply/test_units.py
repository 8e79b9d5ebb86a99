"""The pure parts of apply, each on its own:

- `moves`: for any reordering, replaying its moves one at a time (take the member out, put it
  after `after`, else before `before`) gives the wanted order, at the reported index, in the
  fewest moves (every member off one longest run already in order moves exactly once);
- `graph.dependencies`: each rule of graph.py's docstring, on a small hand-built plan, and the
  depth of the DevCon example's fresh plan;
- `RateLimiter`, with a fake clock and sleep: the burst, the pace, and a 429's pause and slowdown.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioner.apply.graph import dependencies, depth
from provisioner.apply.moves import moves
from provisioner.client.errors import ProvisionerError
from provisioner.client.http import WixClient
from provisioner.client.ratelimit import RateLimiter
from provisioner.client.target import Target
from provisioner.model import Action, ResourceKey, Verb
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state
from provisioner.spec.loader import load
from tests.conftest import Server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"

# --- moves ------------------------------------------------------------------------------------


def longest_increasing(values: list[int]) -> int:
    """Length of a longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    for value in values:
        at = bisect.bisect_left(tails, value)
        tails[at:at + 1] = [value]
    return len(tails)


def replay(current: list[str], steps: list[tuple[str, str | None, str | None, int]]
           ) -> list[str]:
    order = list(current)
    for member, after, before, index in steps:
        assert after is None or before is None, "a move names one reference"
        order.remove(member)
        if after is not None:
            order.insert(order.index(after) + 1, member)
        elif before is not None:
            order.insert(order.index(before), member)
        else:
            order.insert(0, member)
        assert order.index(member) == index
    return order


orders = st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=12
                  ).flatmap(lambda names: st.tuples(st.just(names), st.permutations(names)))


@given(orders)
def test_moves_turn_any_order_into_the_wanted_one_in_the_fewest_moves(
        pair: tuple[list[str], list[str]]) -> None:
    current, wanted = pair
    steps = moves(current, list(wanted))
    assert replay(current, steps) == list(wanted)
    positions = [current.index(name) for name in wanted]
    assert len(steps) == len(wanted) - longest_increasing(positions)
    assert len({member for member, *_ in steps}) == len(steps), "a member moved twice"


def test_moves_examples() -> None:
    assert moves(["a", "b", "c"], ["a", "b", "c"]) == []
    assert moves(["a", "b", "c"], ["c", "a", "b"]) == [("c", None, "a", 0)]
    assert moves(["a", "b", "c"], ["b", "c", "a"]) == [("a", "c", None, 2)]


# --- the dependency graph ---------------------------------------------------------------------


def act(verb: str, kind: str, event: str, name: str, **extra: object) -> Action:
    return Action(Verb(verb), ResourceKey(kind, event, name), **extra)  # type: ignore[arg-type]


PLAN = [
    act("create", "category", "", "Tech"),                         # 0
    act("create", "event", "", "a"),                               # 1
    act("create", "event", "", "b"),                               # 2
    act("create", "ticket", "a", "T1"),                            # 3
    act("create", "ticket", "a", "T2"),                            # 4
    act("delete", "policy", "a", "Old"),                           # 5
    act("create", "policy", "a", "P1"),                            # 6
    act("reorder", "policy", "a", "*", order=("P1", "P0")),       # 7
    act("create", "scheduleItem", "a", "Keynote"),                 # 8
    act("assign", "categoryAssignment", "a", "Tech", body={"name": "Tech"}),  # 9
    act("publish", "schedule", "a", "draft"),                      # 10
    act("publish", "event", "", "a"),                              # 11
    act("create", "ticket", "b", "X"),                             # 12
    act("update", "ticket", "a", "T0"),                            # 13
]


@pytest.fixture(scope="module")
def deps() -> list[set[int]]:
    return dependencies(PLAN)


def test_events_and_categories_wait_for_nothing(deps: list[set[int]]) -> None:
    assert deps[0] == deps[1] == deps[2] == set()


def test_children_wait_for_their_event_only(deps: list[set[int]]) -> None:
    assert deps[3] == {1}  # the first ticket: just the event's create
    assert deps[8] == {1}  # schedule items are not ordered: no chain
    assert deps[12] == {2}  # b's ticket waits for b, never for anything of a
    assert deps[13] == {1}  # an update after a create in the same list does not wait for it


def test_ordered_creates_chain_and_wait_for_deletes(deps: list[set[int]]) -> None:
    assert deps[4] == {1, 3}  # T2 after T1: the API places each new one by arrival
    assert deps[6] == {1, 5}  # the new policy after the delete that frees the limit


def test_reorder_waits_for_its_collection_changes(deps: list[set[int]]) -> None:
    assert deps[7] == {1, 5, 6}


def test_assignment_waits_for_the_category_it_names(deps: list[set[int]]) -> None:
    assert deps[9] == {0, 1}


def test_draft_publish_waits_for_its_items(deps: list[set[int]]) -> None:
    assert deps[10] == {1, 8}


def test_event_publish_waits_for_everything_of_its_event(deps: list[set[int]]) -> None:
    # 13 too, though the plan lists it after the publish: the rules do not depend on the
    # order the plan was sorted in
    assert deps[11] == {1, 3, 4, 5, 6, 7, 8, 9, 10, 13}
    assert not any(i in deps[12] for i in range(3, 12)), "b waits for nothing of a"
    # the longest chain: event a, the policy delete, the create, the reorder, the publish
    assert depth(deps) == 5


def test_the_rules_do_not_depend_on_the_plan_order() -> None:
    """Reversed, the plan has the same edges, but for the chain of creates in an ordered
    collection, which keeps the plan's order by design (the API places them by arrival)."""
    backwards = list(reversed(PLAN))
    last = len(PLAN) - 1
    reversed_deps = dependencies(backwards)
    edges = {(w, d) for w, waits in enumerate(dependencies(PLAN)) for d in waits}
    mirrored = {(last - w, last - d) for w, waits in enumerate(reversed_deps) for d in waits}
    assert edges - mirrored == {(4, 3)}  # T2 after T1 ...
    assert mirrored - edges == {(3, 4)}  # ... becomes T1 after T2


def test_a_plan_whose_actions_wait_in_a_circle_is_refused() -> None:
    two_publishes = [act("create", "event", "", "a"), act("publish", "event", "", "a"),
                     act("cancel", "event", "", "a")]
    with pytest.raises(ProvisionerError, match="wait for each other in a circle"):
        dependencies(two_publishes)


def test_depth_of_a_chain_and_of_nothing() -> None:
    assert depth([]) == 0
    assert depth([set(), {0}, {1}, {0}]) == 3


def test_devcon_fresh_plan_has_five_levels(server: Server, api: httpx.Client) -> None:
    result = load([str(EXAMPLE)])
    assert result.ok
    desired = desired_state([d.data for d in result.documents])
    target = Target("url", server.base_url, api.api_key, api.site_id)  # type: ignore[attr-defined]

    async def planned() -> list[Action]:
        async with WixClient(target) as client:
            live = await live_state(client, desired)
        return list(build_plan(desired, live, target.describe()).actions)

    actions = asyncio.run(planned())
    assert len(actions) == 28
    # 1: the category and the event (no edge between them).
    # 2: every child create: 15 schedule items at once (not an ordered kind), the first
    #    ticket, the first policy, the first form control, and the assignment (its event and
    #    its category both made at level 1).
    # 3, 4: the other two tickets and two policies, each after the previous create of its
    #    list (ordered creates chain); the second form control and the schedule's publish
    #    (after its items) are at 3.
    # 5: the event's publish, after everything else of the event.
    assert depth(dependencies(actions)) == 5


# --- the rate limiter -------------------------------------------------------------------------


class FakeTime:
    """A clock that a sleep moves on by what was asked, but at least a microsecond (as a real
    sleep always takes some time; see `test_an_exact_clock_does_not_spin`)."""

    def __init__(self, exact: bool = False) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.exact = exact

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > 10_000:
            raise RuntimeError(f"acquire keeps sleeping: {self.sleeps[-3:]} at {self.now}")
        self.now += seconds if self.exact else max(seconds, 1e-6)


def stamps(limiter: RateLimiter, fake: FakeTime, calls: int) -> list[float]:
    """The fake time at which each of `calls` acquisitions went through."""
    async def run() -> list[float]:
        out = []
        for _ in range(calls):
            await limiter.acquire()
            out.append(fake.now)
        return out
    return asyncio.run(run())


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_burst_then_pace() -> None:
    fake = FakeTime()
    limiter = RateLimiter(200, clock=fake.clock, sleep=fake.sleep)
    times = stamps(limiter, fake, 43)
    # 10 s of budget: 33.3 tokens, so 33 calls go at once and the 34th waits for 2/3 of one
    assert times[:33] == [1000.0] * 33 and fake.sleeps[0] == pytest.approx(0.2)
    assert times[33] == pytest.approx(1000.2, abs=1e-5)
    assert gaps(times[33:]) == pytest.approx([0.3] * 9, abs=1e-5)  # 200 a minute


def test_a_429_pauses_then_halves_the_pace() -> None:
    fake = FakeTime()
    limiter = RateLimiter(200, clock=fake.clock, sleep=fake.sleep)
    stamps(limiter, fake, 40)  # in the steady pace: no token left
    limiter.throttled(5)
    before = fake.now
    first = stamps(limiter, fake, 1)[0]
    assert first - before >= 5
    assert limiter.pace == 100
    # the 5 s pause refilled 5 * 100 / 60 tokens; once they are spent, one call every 0.6 s
    times = stamps(limiter, fake, 20)
    assert times[:7] == [first] * 7
    assert gaps(times[10:]) == pytest.approx([0.6] * 9, abs=1e-5)


def test_passing_calls_win_the_pace_back_up_to_the_ceiling() -> None:
    fake = FakeTime()
    limiter = RateLimiter(200, clock=fake.clock, sleep=fake.sleep)
    limiter.throttled(None)
    limiter.throttled(None)
    assert limiter.pace == 50
    for _ in range(500):
        limiter.passed()
    assert limiter.pace == 200


def test_an_exact_clock_does_not_spin() -> None:
    fake = FakeTime(exact=True)
    limiter = RateLimiter(200, clock=fake.clock, sleep=fake.sleep)
    times = stamps(limiter, fake, 40)
    assert times[-1] == pytest.approx(1000.0 + 0.2 + 6 * 0.3)
