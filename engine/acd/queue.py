"""One inbound queue: its settings, its waiting callers in order, and its statistics.

Pure bookkeeping (no timers, no I/O): ``AcdDispatcher`` owns the clock and drives it.
Order is priority (VIP first), then arrival time. A caller who asked for a callback keeps
their place; a caller who abandons may resume their place within ``abandon_resume_seconds``.
"""
from __future__ import annotations

import bisect
import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.acd.callers import caller_regions, normalise
from engine.acd.hours import OpeningHours
from engine.acd.strategies import Strategy, WaitingCall, make_strategy

VIP_PRIORITY = 100


@dataclass(frozen=True)
class Member:
    agent_id: int
    tier: int = 1
    position: int = 1


@dataclass(frozen=True)
class QueueConfig:
    """A queue's settings (mirrors the ``Queue`` row, plus its members)."""

    name: str
    queue_id: int | None = None
    strategy: str = "longest_idle"
    skill: str = ""
    moh: str = "local_stream://moh"
    announce_position_seconds: int = 30
    offer_timeout_seconds: int = 20
    wrap_up_seconds: int = 10
    max_wait_seconds: int = 300
    max_wait_no_agents_seconds: int = 30
    overflow_kind: str = "voicemail"
    overflow_target: str = ""
    hours: OpeningHours | None = None
    after_hours_kind: str = "voicemail"
    after_hours_target: str = ""
    record: bool = False
    callback_offer: bool = False
    abandon_resume_seconds: int = 0
    satisfaction_survey: bool = False
    service_level_seconds: int = 20
    vip_numbers: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()
    strategy_options: dict[str, float] = field(default_factory=dict)
    default_region: str = "US"

    @classmethod
    def from_row(cls, row: Any, default_region: str = "US") -> QueueConfig:
        """From a ``Queue`` row with its members, skill and schedule."""
        members = tuple(Member(m.agent_id, m.tier, m.position) for m in row.members)
        hours = OpeningHours.from_schedule(row.schedule) if row.schedule_id else None
        return cls(
            name=row.name, queue_id=row.id, strategy=row.strategy, skill=row.skill.name if row.skill_id else "",
            moh=row.moh, announce_position_seconds=row.announce_position_seconds,
            offer_timeout_seconds=row.offer_timeout_seconds, wrap_up_seconds=row.wrap_up_seconds,
            max_wait_seconds=row.max_wait_seconds, max_wait_no_agents_seconds=row.max_wait_no_agents_seconds,
            overflow_kind=row.overflow_kind, overflow_target=row.overflow_target, hours=hours,
            after_hours_kind=row.after_hours_kind, after_hours_target=row.after_hours_target, record=row.record,
            callback_offer=row.callback_offer, abandon_resume_seconds=row.abandon_resume_seconds,
            satisfaction_survey=row.satisfaction_survey, service_level_seconds=row.service_level_seconds,
            vip_numbers=tuple(normalise(n, default_region) for n in row.vip_numbers or []), members=members,
            default_region=default_region,
        )


@dataclass
class QueueStats:
    """Running numbers for the wallboard and ``bench/acd.py``."""

    entered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    overflowed: int = 0
    offer_delays: list[float] = field(default_factory=list)  # arrival -> first offer
    handle_times: deque[float] = field(default_factory=lambda: deque(maxlen=200))

    @property
    def service_level(self) -> float:
        """Answered within the queue's threshold over answered + abandoned."""
        handled = self.answered + self.abandoned
        return self.answered_in_sl / handled if handled else 1.0

    def average_handle_time(self, default: float = 180.0) -> float:
        return sum(self.handle_times) / len(self.handle_times) if self.handle_times else default


class AcdQueue:
    """Waiting callers of one queue, in offer order."""

    def __init__(self, config: QueueConfig, strategy: Strategy | None = None) -> None:
        self.config = config
        self.strategy = strategy or make_strategy(config.strategy, **config.strategy_options)
        self.members = {m.agent_id: m for m in config.members}
        self.waiting: dict[str, WaitingCall] = {}
        self._order: list[tuple[int, float, int, str]] = []  # sorted; entries of gone calls skipped
        self.stats = QueueStats()
        self._seq = itertools.count()
        self._abandoned: dict[str, tuple[float, float]] = {}  # caller -> (arrived_at, left_at)
        self.last_agent_by_caller: dict[str, int] = {}

    @property
    def name(self) -> str:
        return self.config.name

    def reconfigure(self, config: QueueConfig) -> None:
        """New settings from the store; waiting callers keep their places."""
        if config.strategy != self.config.strategy or config.strategy_options != self.config.strategy_options:
            self.strategy = make_strategy(config.strategy, **config.strategy_options)
        self.config = config
        self.members = {m.agent_id: m for m in config.members}

    def is_open(self, now: float) -> bool:
        return self.config.hours is None or self.config.hours.is_open(now)

    def is_vip(self, caller_number: str) -> bool:
        return bool(caller_number) and normalise(caller_number, self.config.default_region) in self.config.vip_numbers

    def enqueue(self, call: WaitingCall, now: float) -> None:
        """Add a caller (VIP priority, sticky agent, region, resumed place)."""
        caller = normalise(call.caller_number, self.config.default_region) if call.caller_number else ""
        call.seq = next(self._seq)
        call.arrived_at = call.arrived_at or now
        if caller and self.is_vip(caller):
            call.vip, call.priority = True, max(call.priority, VIP_PRIORITY)
        if caller and call.sticky_agent is None:
            call.sticky_agent = self.last_agent_by_caller.get(caller)
        if caller and not call.regions and self.config.strategy == "caller_region":
            call.regions = caller_regions(caller, self.config.default_region)
        if not call.skill:
            call.skill = self.config.skill
        previous = self._abandoned.pop(caller, None) if caller else None
        if previous and now - previous[1] <= self.config.abandon_resume_seconds:
            call.arrived_at = previous[0]
        self.waiting[call.call_uuid] = call
        bisect.insort(self._order, (-call.priority, call.arrived_at, call.seq, call.call_uuid))
        self.stats.entered += 1

    def ordered(self) -> list[WaitingCall]:
        """Waiting callers in offer order (priority, then arrival)."""
        return list(self.iter_waiting())

    def iter_waiting(self) -> Iterator[WaitingCall]:
        """Like ``ordered`` but lazy: the dispatcher stops as soon as agents run out."""
        waiting = self.waiting
        for entry in self._order[:]:
            call = waiting.get(entry[3])
            if call is not None and call.seq == entry[2]:
                yield call

    def _pop(self, call_uuid: str) -> WaitingCall | None:
        call = self.waiting.pop(call_uuid, None)
        # Entries of callers who left are skipped when walking; drop them once they pile up.
        if len(self._order) > 2 * len(self.waiting) + 64:
            waiting = self.waiting
            self._order = [e for e in self._order if (c := waiting.get(e[3])) is not None and c.seq == e[2]]
        return call

    def position(self, call_uuid: str) -> int:
        """1-based place in line, 0 when not waiting."""
        for index, call in enumerate(self.ordered(), start=1):
            if call.call_uuid == call_uuid:
                return index
        return 0

    def estimated_wait(self, position: int, staffed: int) -> float:
        """Position x average handle time / staffed agents (a plain, explainable estimate)."""
        return position * self.stats.average_handle_time() / max(1, staffed)

    def answered(self, call_uuid: str, agent_id: int, now: float, caller_number: str = "") -> WaitingCall | None:
        call = self._pop(call_uuid)
        if call is None:
            return None
        self.stats.answered += 1
        if call.waited(now) <= self.config.service_level_seconds:
            self.stats.answered_in_sl += 1
        caller = normalise(call.caller_number or caller_number, self.config.default_region)
        if caller:
            self.last_agent_by_caller[caller] = agent_id
        return call

    def abandoned(self, call_uuid: str, now: float) -> WaitingCall | None:
        call = self._pop(call_uuid)
        if call is None:
            return None
        self.stats.abandoned += 1
        if self.config.abandon_resume_seconds > 0 and call.caller_number:
            self._abandoned[normalise(call.caller_number, self.config.default_region)] = (call.arrived_at, now)
        return call

    def leave(self, call_uuid: str) -> WaitingCall | None:
        """Left without being answered or abandoning (overflow, transfer out)."""
        call = self._pop(call_uuid)
        if call is not None:
            self.stats.overflowed += 1
        return call

    def record_handle_time(self, seconds: float) -> None:
        self.stats.handle_times.append(seconds)
