"""Virtual-time discrete-event simulation of one outbound campaign.

Agents log in, talk (lognormal), wrap up (lognormal with its own parameters), take breaks
and log out; calls are invalid, busy, unanswered until the ring timeout, answered by a
machine (dropped by answering-machine detection) or answered by a human after a
ring-to-answer delay. A human who finds no agent waits at most ``patience`` seconds, then
counts as abandoned. The pacer is consulted once every virtual second, after all events up
to that second, and may launch calls up to the lines limit. Everything random comes from
one seeded generator, so a (config, pacer, seed) triple always gives the same result.

Metrics (:class:`SimResult`) are counted after ``warmup`` seconds; see its docstring.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.pacing.base import CallOutcome, Pacer, PacingError, PacingSnapshot
from engine.pacing.simstate import AgentClock, SimResult

__all__ = ["SimConfig", "SimResult", "simulate"]

# event kinds, ordered so simultaneous events resolve deterministically
_ANSWER, _CALL_END, _ABANDON, _TALK_END, _WRAP_END, _AGENT_IN, _BREAK_DUE, _BREAK_END, _LOGOUT = range(9)


@dataclass(frozen=True)
class SimConfig:
    """One campaign shift. Times in seconds; shares are fractions of all dials."""

    agents: int = 20
    hours: float = 8.0
    answer_rate: float = 0.25  # P(answered by someone: human or machine), before the timeout
    machine_share: float = 0.0  # fraction of answers that are answering machines
    busy_share: float = 0.0
    invalid_share: float = 0.0
    ring_timeout: float = 25.0
    answer_delay_mean: float = 8.0  # ring-to-answer: 2 s + gamma(shape 3), truncated at the timeout
    amd_seconds: float = 3.0
    talk_mean: float = 120.0
    talk_sigma: float = 0.6
    wrap_mean: float = 10.0
    wrap_sigma: float = 0.3
    patience: float = 2.0
    max_lines: int | None = None
    warmup: float = 900.0
    login_spread: float = 60.0
    breaks: bool = False  # breaks every ~2 h (mean 10 min), 10 % late logins and early logouts
    answer_rate_changes: tuple[tuple[float, float], ...] = ()  # (at seconds, new answer rate)
    talk_factor_changes: tuple[tuple[float, float], ...] = ()  # (at seconds, talk-time multiplier)
    abandon_target: float = 0.03

    def __post_init__(self) -> None:
        checks = {
            "agents": self.agents >= 1,
            "hours": self.hours > 0,
            "answer_rate": 0 < self.answer_rate <= 1,
            "machine_share": 0 <= self.machine_share < 1,
            "busy_share": 0 <= self.busy_share and self.busy_share + self.invalid_share < 1,
            "invalid_share": 0 <= self.invalid_share,
            "ring_timeout": self.ring_timeout > 2,
            "answer_delay_mean": 2 < self.answer_delay_mean < self.ring_timeout,
            "talk_mean": self.talk_mean > 0,
            "talk_sigma": self.talk_sigma > 0,
            "wrap_mean": self.wrap_mean > 0,
            "wrap_sigma": self.wrap_sigma > 0,
            "patience": self.patience >= 0,
            "warmup": 0 <= self.warmup < self.hours * 3600,
        }
        for name, ok in checks.items():
            if not ok:
                raise PacingError(name, f"invalid simulation setting {getattr(self, name)!r}")
        for at, rate in self.answer_rate_changes:
            if not 0 < rate <= 1:
                raise PacingError("answer_rate_changes", f"rate {rate} at {at}s not in (0, 1]")

    @property
    def shift_seconds(self) -> int:
        return int(round(self.hours * 3600))


def _schedule_value(changes: tuple[tuple[float, float], ...], base: float, now: float) -> float:
    value = base
    for at, new in changes:
        if now >= at:
            value = new
    return value


@dataclass
class _Call:
    launched: float
    answered_at: float = -1.0
    talk: float = 0.0


@dataclass
class _Campaign:
    """Mutable state of one simulated campaign."""

    config: SimConfig
    pacer: Pacer
    rng: random.Random
    clock: AgentClock
    events: list[tuple[float, int, int, int]] = field(default_factory=list)
    seq: int = 0
    ready: deque[int] = field(default_factory=deque)
    talking: dict[int, float] = field(default_factory=dict)  # agent -> talk start
    wrapping: dict[int, float] = field(default_factory=dict)  # agent -> wrap start
    agent_call: dict[int, int] = field(default_factory=dict)  # agent -> call id
    ringing: dict[int, float] = field(default_factory=dict)  # call -> launch time
    waiting: dict[int, float] = field(default_factory=dict)  # call -> answer time (FIFO)
    calls: dict[int, _Call] = field(default_factory=dict)
    break_pending: set[int] = field(default_factory=set)
    logout_pending: set[int] = field(default_factory=set)
    next_call: int = 0

    def push(self, at: float, kind: int, ident: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, kind, self.seq, ident))

    # -- calls -------------------------------------------------------------------------
    def launch(self, now: float) -> None:
        cfg, rng, res = self.config, self.rng, self.clock.result
        call_id = self.next_call
        self.next_call += 1
        self.calls[call_id] = _Call(launched=now)
        self.ringing[call_id] = now
        res.count_dial(now)
        draw = rng.random()
        if draw < cfg.invalid_share:
            self.push(now + 1.0, _CALL_END, call_id)
            return
        if draw < cfg.invalid_share + cfg.busy_share:
            self.push(now + 3.0 + rng.random() * 3.0, _CALL_END, call_id)
            return
        rate = _schedule_value(cfg.answer_rate_changes, cfg.answer_rate, now)
        if rng.random() >= rate:
            self.push(now + cfg.ring_timeout, _CALL_END, call_id)
            return
        delay = answer_delay(rng, cfg.answer_delay_mean, cfg.ring_timeout)
        if rng.random() < cfg.machine_share:
            self.calls[call_id].answered_at = -2.0  # machine marker
            self.push(now + delay + cfg.amd_seconds, _CALL_END, call_id)
        else:
            self.push(now + delay, _ANSWER, call_id)

    def end_unanswered(self, now: float, call_id: int) -> None:
        call = self.calls.pop(call_id)
        del self.ringing[call_id]
        machine = call.answered_at == -2.0
        self.clock.result.count_end("machine" if machine else "unanswered", now)
        self.pacer.observe(CallOutcome(at=now, answered=False, machine=machine, ring_seconds=now - call.launched))

    def answer(self, now: float, call_id: int) -> None:
        call = self.calls[call_id]
        del self.ringing[call_id]
        call.answered_at = now
        self.clock.result.count_answer(now)
        self.pacer.observe(CallOutcome(at=now, answered=True, ring_seconds=now - call.launched, phase="ring"))
        if self.ready:
            self.connect(now, self.ready.popleft(), call_id)
        else:
            self.waiting[call_id] = now
            self.push(now + self.config.patience, _ABANDON, call_id)

    def abandon(self, now: float, call_id: int) -> None:
        if self.waiting.pop(call_id, None) is None:
            return  # connected in time
        call = self.calls.pop(call_id)
        self.clock.result.count_end("abandoned", now, wait=now - call.answered_at, at_answer=call.answered_at)
        self.pacer.observe(CallOutcome(at=now, answered=True, abandoned=True, ring_seconds=call.answered_at - call.launched))

    def connect(self, now: float, agent: int, call_id: int) -> None:
        cfg, call = self.config, self.calls[call_id]
        factor = _schedule_value(cfg.talk_factor_changes, 1.0, now)
        call.talk = lognormal(self.rng, cfg.talk_mean * factor, cfg.talk_sigma)
        self.clock.result.count_connect(now, wait=now - call.answered_at, at_answer=call.answered_at)
        self.clock.set(agent, "talk", now)
        self.talking[agent] = now
        self.agent_call[agent] = call_id
        self.push(now + call.talk, _TALK_END, agent)

    # -- agents ------------------------------------------------------------------------
    def agent_free(self, now: float, agent: int) -> None:
        """Agent ready for a call: take a pending break/logout, a waiting customer, or wait."""
        if agent in self.logout_pending:
            self.logout_pending.discard(agent)
            self.clock.set(agent, "out", now)
            return
        if agent in self.break_pending:
            self.break_pending.discard(agent)
            self.clock.set(agent, "break", now)
            self.push(now + lognormal(self.rng, 600.0, 0.4), _BREAK_END, agent)
            return
        if self.waiting:
            call_id = next(iter(self.waiting))
            del self.waiting[call_id]
            self.connect(now, agent, call_id)
            return
        self.clock.set(agent, "ready", now)
        self.ready.append(agent)

    def break_end(self, now: float, agent: int) -> None:
        self.push(now + 5400.0 + self.rng.random() * 3600.0, _BREAK_DUE, agent)  # next one ~2 h on
        self.agent_free(now, agent)

    def talk_end(self, now: float, agent: int) -> None:
        del self.talking[agent]
        self.clock.set(agent, "wrap", now)
        self.wrapping[agent] = now
        self.push(now + lognormal(self.rng, self.config.wrap_mean, self.config.wrap_sigma), _WRAP_END, agent)

    def wrap_end(self, now: float, agent: int) -> None:
        started = self.wrapping.pop(agent)
        call_id = self.agent_call.pop(agent)
        call = self.calls.pop(call_id)
        self.clock.result.count_end("connected", now)
        self.pacer.observe(CallOutcome(at=now, answered=True, ring_seconds=call.answered_at - call.launched,
                                       talk_seconds=call.talk, wrap_seconds=now - started))
        self.agent_free(now, agent)

    def leave(self, now: float, agent: int, kind: int) -> None:
        """A break falls due or a logout comes: immediate if ready, else after the call."""
        if agent in self.ready:
            self.ready.remove(agent)
            self.break_pending.discard(agent)
            self.logout_pending.discard(agent)
            if kind == _LOGOUT:
                self.clock.set(agent, "out", now)
            else:
                self.break_pending.add(agent)
                self.agent_free(now, agent)
        elif self.clock.state[agent] != "out":
            (self.logout_pending if kind == _LOGOUT else self.break_pending).add(agent)

    def snapshot(self, now: float, answered: int, abandoned: int) -> PacingSnapshot:
        cfg = self.config
        return PacingSnapshot(
            now=now,
            agents_ready=len(self.ready),
            agents_logged_in=self.clock.logged_in,
            agents_in_call=now - np.fromiter(self.talking.values(), np.float64, len(self.talking)),
            agents_wrap_up=now - np.fromiter(self.wrapping.values(), np.float64, len(self.wrapping)),
            calls_ringing=now - np.fromiter(self.ringing.values(), np.float64, len(self.ringing)),
            calls_waiting=len(self.waiting),
            calls_in_progress=len(self.calls),
            answered_today=answered,
            abandoned_today=abandoned,
            answered_30d=answered,
            abandoned_30d=abandoned,
            max_lines=cfg.max_lines,
            ring_timeout=cfg.ring_timeout,
            abandon_target=cfg.abandon_target,
        )


def lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """Lognormal draw with the given mean (not median) and log-sd ``sigma``."""
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2.0, sigma)


def answer_delay(rng: random.Random, mean: float, ring_timeout: float) -> float:
    """Ring-to-answer delay: 2 s + gamma(shape 3), redrawn while it would pass the timeout."""
    while True:
        delay = 2.0 + rng.gammavariate(3.0, (mean - 2.0) / 3.0)
        if delay < ring_timeout - 0.5:
            return delay


def simulate(config: SimConfig, pacer: Pacer, seed: int = 0,
             on_tick: Callable[[PacingSnapshot, int], None] | None = None) -> SimResult:
    """Run one shift with ``pacer`` and return its metrics (see :class:`SimResult`)."""
    rng = random.Random(seed)
    shift = config.shift_seconds
    clock = AgentClock(config.agents, config.warmup, SimResult(config.agents, config.warmup))
    camp = _Campaign(config=config, pacer=pacer, rng=rng, clock=clock)
    for agent in range(config.agents):
        login_at = rng.random() * config.login_spread
        if config.breaks:
            camp.push(login_at + 5400.0 + rng.random() * 3600.0, _BREAK_DUE, agent)
            draw = rng.random()
            if draw < 0.1:  # late login
                login_at = 3600.0 + rng.random() * 600.0
            elif draw < 0.2:  # early logout
                camp.push(shift - 3600.0 + rng.random() * 600.0, _LOGOUT, agent)
        camp.push(login_at, _AGENT_IN, agent)
    handlers: dict[int, Callable[[float, int], None]] = {
        _ANSWER: camp.answer, _CALL_END: camp.end_unanswered, _ABANDON: camp.abandon,
        _TALK_END: camp.talk_end, _WRAP_END: camp.wrap_end,
        _AGENT_IN: camp.agent_free,
        _BREAK_DUE: lambda now, agent: camp.leave(now, agent, _BREAK_DUE),
        _BREAK_END: camp.break_end,
        _LOGOUT: lambda now, agent: camp.leave(now, agent, _LOGOUT),
    }
    events = camp.events
    result = clock.result
    for second in range(shift):
        now = float(second)
        while events and events[0][0] <= now:
            at, kind, _seq, ident = heapq.heappop(events)
            handlers[kind](at, ident)
        snap = camp.snapshot(now, result.answered_total, result.abandoned_total)
        launches = pacer.decide(snap)
        if launches < 0:
            raise PacingError("decide", f"{pacer.mode} returned {launches} < 0")
        headroom = snap.line_headroom()
        for _ in range(min(launches, headroom)):
            camp.launch(now)
        if on_tick is not None:
            on_tick(snap, launches)
    clock.close(float(shift))
    result.open_at_end = len(camp.calls)
    return result
