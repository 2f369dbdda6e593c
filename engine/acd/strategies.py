"""ACD strategies behind one interface: order the agents who may take a waiting call.

A strategy sees a ``WaitingCall`` and the ``Candidate`` agents that are offerable now and
serve the queue, and returns them best first (``order``) plus how many of that list to
ring at once (``ring_count``). Strategies hold no clocks or sockets; round-robin and
random keep only their own small state, so every decision is reproducible in tests.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Candidate:
    """An offerable agent as a strategy sees them."""

    agent_id: int
    idle_since: float = 0.0
    calls_today: int = 0
    talk_seconds_today: float = 0.0
    tier: int = 1
    position: int = 1
    skills: Mapping[str, int] = field(default_factory=dict)

    def tags(self, prefix: str) -> set[str]:
        start = prefix + ":"
        return {name[len(start):].lower() for name in self.skills if name.startswith(start)}


@dataclass
class WaitingCall:
    """A caller waiting in a queue (or kept in place while awaiting a callback)."""

    call_uuid: str
    caller_number: str = ""
    arrived_at: float = 0.0
    priority: int = 0
    seq: int = 0
    customer_type: str = ""
    skill: str = ""
    min_level: int = 1
    regions: tuple[str, ...] = ()
    sticky_agent: int | None = None
    vip: bool = False
    callback: bool = False  # caller hung up and asked to be called back; keeps the place

    def waited(self, now: float) -> float:
        return max(0.0, now - self.arrived_at)


def _longest_idle_key(c: Candidate) -> tuple[float, int]:
    return (c.idle_since, c.agent_id)


class Strategy:
    """Base class: subclasses override ``order`` (and ``ring_count`` to ring several)."""

    name: ClassVar[str] = ""

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        raise NotImplementedError

    def ring_count(self, call: WaitingCall, ordered: Sequence[Candidate], now: float) -> int:
        return 1 if ordered else 0

    def offered(self, agent_id: int) -> None:
        """Told which agent was offered the call (round-robin remembers it)."""


class RingAll(Strategy):
    name = "ring_all"

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        return sorted(candidates, key=lambda c: (c.tier, c.position, c.agent_id))

    def ring_count(self, call: WaitingCall, ordered: Sequence[Candidate], now: float) -> int:
        return len(ordered)


class LongestIdle(Strategy):
    name = "longest_idle"

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        return sorted(candidates, key=_longest_idle_key)


class FewestCalls(Strategy):
    name = "fewest_calls"

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        return sorted(candidates, key=lambda c: (c.calls_today, c.idle_since, c.agent_id))


class LeastTalkTime(Strategy):
    name = "least_talk_time"

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        return sorted(candidates, key=lambda c: (c.talk_seconds_today, c.idle_since, c.agent_id))


class TopDown(Strategy):
    """Always from the top of the agent order (tier, then position)."""

    name = "top_down"

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        return sorted(candidates, key=lambda c: (c.tier, c.position, c.agent_id))


class RoundRobin(Strategy):
    """Agent order, starting after the agent offered last."""

    name = "round_robin"

    def __init__(self) -> None:
        self.last_agent: int | None = None
        self._rank: dict[int, tuple[int, int, int]] = {}

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        ordered = sorted(candidates, key=lambda c: (c.tier, c.position, c.agent_id))
        for c in ordered:
            self._rank[c.agent_id] = (c.tier, c.position, c.agent_id)
        last = self._rank.get(self.last_agent) if self.last_agent is not None else None
        if last is None:
            return ordered
        after = [c for c in ordered if (c.tier, c.position, c.agent_id) > last]
        return after + [c for c in ordered if (c.tier, c.position, c.agent_id) <= last]

    def offered(self, agent_id: int) -> None:
        self.last_agent = agent_id


class RandomPick(Strategy):
    """Uniformly random order from a seeded generator (reproducible runs)."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        ordered = sorted(candidates, key=lambda c: c.agent_id)
        self.rng.shuffle(ordered)
        return ordered


class RingProgressively(TopDown):
    """Top-down, ringing one more agent for every ``step_seconds`` the caller has waited."""

    name = "ring_progressively"

    def __init__(self, step_seconds: float = 10.0) -> None:
        self.step_seconds = step_seconds

    def ring_count(self, call: WaitingCall, ordered: Sequence[Candidate], now: float) -> int:
        return min(len(ordered), 1 + int(call.waited(now) // self.step_seconds))


class _Preferring(Strategy):
    """Puts preferred candidates first, the rest after, each part in the fallback's order."""

    def __init__(self, fallback: Strategy | None = None) -> None:
        self.fallback = fallback or LongestIdle()

    def preferred(self, call: WaitingCall, candidate: Candidate) -> bool:
        raise NotImplementedError

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        ordered = self.fallback.order(call, candidates, now)
        return [c for c in ordered if self.preferred(call, c)] + [c for c in ordered if not self.preferred(call, c)]


class Sticky(_Preferring):
    """The agent who last served this caller, if offerable; otherwise the fallback."""

    name = "sticky"

    def preferred(self, call: WaitingCall, candidate: Candidate) -> bool:
        return candidate.agent_id == call.sticky_agent


class CallerRegion(_Preferring):
    """Agents tagged ``region:<X>`` where X is the caller's region or geocoded place."""

    name = "caller_region"

    def preferred(self, call: WaitingCall, candidate: Candidate) -> bool:
        tags = candidate.tags("region")
        return any(region.lower() in tags for region in call.regions)


class CustomerType(_Preferring):
    """Agents tagged ``customer:<type>`` for the type the caller chose in the IVR."""

    name = "customer_type"

    def preferred(self, call: WaitingCall, candidate: Candidate) -> bool:
        return bool(call.customer_type) and call.customer_type.lower() in candidate.tags("customer")


class Skills(Strategy):
    """Agents with the call's skill at ``min_level`` or more; tiers open up as the caller waits.

    Tier ``t`` becomes eligible once the caller has waited ``(t - 1) * tier_wait_seconds``.
    Within eligible agents: lower tier first, then higher skill level, then longest idle.
    """

    name = "skills"

    def __init__(self, tier_wait_seconds: float = 15.0) -> None:
        self.tier_wait_seconds = tier_wait_seconds

    def order(self, call: WaitingCall, candidates: Sequence[Candidate], now: float) -> list[Candidate]:
        open_tier = 1 + int(call.waited(now) // self.tier_wait_seconds) if self.tier_wait_seconds > 0 else 10**6
        eligible = [
            c for c in candidates
            if c.tier <= open_tier and (not call.skill or c.skills.get(call.skill, 0) >= max(1, call.min_level))
        ]
        return sorted(eligible, key=lambda c: (c.tier, -c.skills.get(call.skill, 0), c.idle_since, c.agent_id))


STRATEGY_CLASSES: dict[str, Callable[[], Strategy]] = {
    cls.name: cls for cls in (
        RingAll, LongestIdle, FewestCalls, LeastTalkTime, TopDown, RoundRobin, RandomPick,
        RingProgressively, Sticky, CallerRegion, CustomerType, Skills,
    )
}


def make_strategy(name: str, **options: float) -> Strategy:
    """A fresh strategy (each queue owns its own, since some keep state)."""
    try:
        factory = STRATEGY_CLASSES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; expected one of {', '.join(sorted(STRATEGY_CLASSES))}") from None
    return factory(**options)
