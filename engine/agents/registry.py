"""``AgentRegistry``: owns every agent's state machine, offers, timers and intervals.

One reservation per agent at a time. A reservation ends in exactly one of: ``answered``
(it becomes a call), ``release`` (with an outcome), or its timeout (released as
``no_answer``); so it never leaks. Every state change goes to the interval sink and, as an
``agent.state`` event, to the bus.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from engine.agents.sink import IntervalSink, MemorySink, Transition
from engine.agents.state import (
    AVAILABLE,
    IN_CALL,
    LOGGED_OUT,
    ON_BREAK,
    RESERVED,
    RINGING,
    WRAP_UP,
    AgentProfile,
    AgentRuntime,
    AgentStateError,
    Reservation,
)
from engine.api import EngineError
from engine.clock import Clock

log = logging.getLogger(__name__)

NO_ANSWER_BREAK = "no_answer"


class AgentRegistry:
    """Every agent known to the engine, keyed by agent id (and by extension)."""

    def __init__(self, clock: Clock, sink: IntervalSink | None = None, bus: Any = None) -> None:
        self.clock = clock
        self.sink: IntervalSink = sink or MemorySink()
        self.bus = bus
        self._agents: dict[int, AgentRuntime] = {}
        self._by_extension: dict[str, int] = {}
        self._listeners: list[Callable[[AgentRuntime], None]] = []

    # ----- membership -------------------------------------------------------------------
    def add(self, profile: AgentProfile) -> AgentRuntime:
        """Add an agent, or refresh the profile of a known one (state is kept)."""
        runtime = self._agents.get(profile.agent_id)
        if runtime is None:
            runtime = AgentRuntime(profile=profile, since=self.clock.now())
            self._agents[profile.agent_id] = runtime
        else:
            self._by_extension.pop(runtime.profile.extension, None)
            runtime.profile = profile
        self._by_extension[profile.extension] = profile.agent_id
        return runtime

    def get(self, agent_id: int) -> AgentRuntime:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise EngineError(f"unknown agent {agent_id}", field="agent_id", status=404) from None

    def by_extension(self, extension: str) -> AgentRuntime | None:
        agent_id = self._by_extension.get(extension)
        return self._agents.get(agent_id) if agent_id is not None else None

    def __iter__(self) -> Iterator[AgentRuntime]:
        return iter(self._agents.values())

    def __len__(self) -> int:
        return len(self._agents)

    def on_change(self, listener: Callable[[AgentRuntime], None]) -> None:
        """Call ``listener(agent)`` after every transition (the ACD re-dispatches on it)."""
        self._listeners.append(listener)

    def offerable(self, agent_ids: Iterable[int] | None = None) -> list[AgentRuntime]:
        """Agents that may receive an offer now, among ``agent_ids`` (default: all)."""
        now = self.clock.now()
        pool = self._agents.values() if agent_ids is None else (self._agents[a] for a in agent_ids if a in self._agents)
        return [agent for agent in pool if agent.offerable(now)]

    def logged_in(self, agent_ids: Iterable[int]) -> int:
        return sum(1 for a in agent_ids if a in self._agents and self._agents[a].state != LOGGED_OUT)

    # ----- the one place state changes --------------------------------------------------
    def _move(self, agent: AgentRuntime, state: str, reason: str = "", call_uuid: str = "") -> None:
        if not agent.can_go(state):
            raise AgentStateError(agent.agent_id, agent.state, state)
        now = self.clock.now()
        if agent.state == IN_CALL and agent.answered_at:
            agent.talk_seconds_today += now - agent.answered_at
            agent.answered_at = 0.0
        agent.state, agent.reason, agent.call_uuid, agent.since = state, reason, call_uuid, now
        if state == AVAILABLE:
            agent.idle_since = now
        self.sink.record(Transition(agent.agent_id, state, reason, call_uuid, now))
        if self.bus is not None:
            self.bus.publish("agent.state", agent_id=agent.agent_id, state=state, reason=reason, call_uuid=call_uuid)
        for listener in self._listeners:
            listener(agent)

    # ----- desk commands ----------------------------------------------------------------
    def login(self, agent_id: int) -> None:
        agent = self.get(agent_id)
        if agent.state == LOGGED_OUT:
            self._move(agent, AVAILABLE)

    def logout(self, agent_id: int) -> None:
        agent = self.get(agent_id)
        if agent.state in (RESERVED, RINGING, IN_CALL):
            agent.after_call = (LOGGED_OUT, "")
            return
        if agent.state != LOGGED_OUT:
            self._end_wrap_up_timer(agent)
            self._move(agent, LOGGED_OUT)

    def ready(self, agent_id: int) -> None:
        agent = self.get(agent_id)
        if agent.state in (RESERVED, RINGING, IN_CALL):
            agent.after_call = None
            return
        if agent.state == LOGGED_OUT:
            raise AgentStateError(agent_id, agent.state, AVAILABLE)
        agent.no_answer_count = 0
        agent.ready_at = 0.0
        if agent.state != AVAILABLE:
            self._end_wrap_up_timer(agent)
            self._move(agent, AVAILABLE)

    def set_break(self, agent_id: int, reason: str) -> None:
        agent = self.get(agent_id)
        reason = reason.strip() or "break"
        if agent.state in (RESERVED, RINGING, IN_CALL):
            agent.after_call = (ON_BREAK, reason)
            return
        self._end_wrap_up_timer(agent)
        self._move(agent, ON_BREAK, reason)

    def set_registered(self, extension: str, registered: bool) -> None:
        """Phone registration seen (sofia::register / unregister / expire)."""
        agent = self.by_extension(extension)
        if agent is not None and agent.registered != registered:
            agent.registered = registered
            if registered:
                for listener in self._listeners:
                    listener(agent)

    # ----- offers -----------------------------------------------------------------------
    def reserve(
        self, agent_id: int, call_uuid: str, *, timeout: float = 20.0, wrap_up_seconds: int | None = None,
        queue: str = "", campaign_id: int | None = None, on_expire: Callable[[Reservation], None] | None = None,
    ) -> Reservation | None:
        """Hold an offerable agent for ``call_uuid``; None if they cannot take it now."""
        agent = self._agents.get(agent_id)
        if agent is None or not agent.offerable(self.clock.now()):
            return None
        reservation = Reservation(
            agent_id, call_uuid, self.clock.now(), timeout, wrap_up_seconds, queue=queue,
            campaign_id=campaign_id, on_expire=on_expire,
        )
        agent.reservation = reservation
        agent.last_offer_at = reservation.created_at
        reservation.timer = self.clock.call_later(timeout, self._expire, reservation)
        self._move(agent, RESERVED, call_uuid=call_uuid)
        return reservation

    def ringing(self, agent_id: int, leg_uuid: str = "") -> None:
        """The agent's phone rings (the ``user/EXT`` leg was created)."""
        agent = self.get(agent_id)
        if agent.state == RESERVED and agent.reservation is not None:
            agent.reservation.leg_uuid = leg_uuid or agent.reservation.leg_uuid
            self._move(agent, RINGING, call_uuid=agent.call_uuid)

    def answered(self, agent_id: int) -> None:
        """The agent answered the offer: the reservation becomes a call."""
        agent = self.get(agent_id)
        if agent.state not in (RESERVED, RINGING) or agent.reservation is None:
            raise AgentStateError(agent_id, agent.state, IN_CALL)
        self._finish(agent.reservation)
        agent.no_answer_count = 0
        agent.calls_today += 1
        self._move(agent, IN_CALL, call_uuid=agent.call_uuid)
        agent.answered_at = self.clock.now()

    def start_call(self, agent_id: int, call_uuid: str, wrap_up_seconds: int | None = None) -> None:
        """A call the agent placed or picked up themselves (no offer first)."""
        reservation = self.reserve(agent_id, call_uuid, wrap_up_seconds=wrap_up_seconds)
        if reservation is None:
            raise AgentStateError(agent_id, self.get(agent_id).state, IN_CALL)
        self.answered(agent_id)
        agent = self.get(agent_id)
        agent.reservation = reservation

    def release(self, agent_id: int, outcome: str = "cancelled", call_uuid: str = "") -> None:
        """End an unanswered offer; ``outcome`` decides the agent's rest or break."""
        agent = self._agents.get(agent_id)
        if agent is None or agent.reservation is None or agent.state not in (RESERVED, RINGING):
            return
        if call_uuid and agent.reservation.call_uuid != call_uuid:
            return
        self._finish(agent.reservation)
        agent.reservation = None
        profile, now = agent.profile, self.clock.now()
        if outcome in ("no_answer", "failed"):
            agent.no_answer_count += 1
            if agent.no_answer_count >= profile.max_no_answer:
                self._move(agent, ON_BREAK, NO_ANSWER_BREAK)
                return
            agent.ready_at = now + (profile.no_answer_delay_seconds if outcome == "no_answer" else 0)
        elif outcome == "rejected":
            agent.ready_at = now + profile.reject_delay_seconds
        elif outcome == "busy":
            agent.ready_at = now + profile.busy_delay_seconds
        elif outcome == "unregistered":
            agent.registered = False
        if agent.after_call is not None:
            # Straight to the state asked for: passing through available could be re-offered.
            state, reason = agent.after_call
            agent.after_call = None
            self._after_call(agent, state, reason)
            return
        self._move(agent, AVAILABLE)
        if agent.ready_at > now:
            # Re-dispatch when the rest ends: listeners only hear about transitions.
            self.clock.call_later(agent.ready_at - now, self._rested, agent)

    def _rested(self, agent: AgentRuntime) -> None:
        if agent.offerable(self.clock.now()):
            for listener in self._listeners:
                listener(agent)

    def _finish(self, reservation: Reservation) -> None:
        reservation.ended = True
        if reservation.timer is not None:
            reservation.timer.cancel()

    def _expire(self, reservation: Reservation) -> None:
        agent = self._agents.get(reservation.agent_id)
        if reservation.ended or agent is None or agent.reservation is not reservation:
            return
        log.info("offer timed out agent_id=%s call_uuid=%s", reservation.agent_id, reservation.call_uuid)
        if reservation.on_expire is not None:
            # First withdraw the ringing leg (hold_leg), then free the agent: never two legs at once.
            reservation.on_expire(reservation)
        self.release(reservation.agent_id, "no_answer")

    def hold_leg(self, agent_id: int, leg_uuid: str) -> None:
        """A withdrawn offer's leg is still up: no new offer until ``leg_gone``."""
        agent = self._agents.get(agent_id)
        if agent is not None and leg_uuid:
            agent.ringing_legs.add(leg_uuid)

    def leg_gone(self, agent_id: int, leg_uuid: str) -> None:
        """The agent's phone leg hung up; the agent may be offered again."""
        agent = self._agents.get(agent_id)
        if agent is None or leg_uuid not in agent.ringing_legs:
            return
        agent.ringing_legs.discard(leg_uuid)
        if agent.offerable(self.clock.now()):
            for listener in self._listeners:
                listener(agent)

    # ----- end of call and wrap-up ------------------------------------------------------
    def call_ended(self, agent_id: int, wrap_up_seconds: int | None = None) -> None:
        """The agent's call ended: wrap-up for the queue's/campaign's time, then ready."""
        agent = self.get(agent_id)
        if agent.state != IN_CALL:
            return
        reservation, agent.reservation = agent.reservation, None
        seconds = wrap_up_seconds
        if seconds is None and reservation is not None:
            seconds = reservation.wrap_up_seconds
        if seconds is None:
            seconds = agent.profile.wrap_up_seconds
        if seconds > 0:
            self._move(agent, WRAP_UP, call_uuid=agent.call_uuid)
            self._arm_wrap_up(agent, float(seconds))
        elif agent.after_call is None:
            self._move(agent, AVAILABLE)
        if agent.after_call is not None and agent.state != WRAP_UP:
            state, reason = agent.after_call
            agent.after_call = None
            self._after_call(agent, state, reason)

    def _after_call(self, agent: AgentRuntime, state: str, reason: str) -> None:
        if state == LOGGED_OUT:
            self._move(agent, LOGGED_OUT)
        elif state == ON_BREAK:
            self._move(agent, ON_BREAK, reason)

    def _arm_wrap_up(self, agent: AgentRuntime, seconds: float) -> None:
        self._end_wrap_up_timer(agent)
        agent.wrap_up_until = self.clock.now() + seconds
        agent.wrap_up_timer = self.clock.call_later(seconds, self._wrap_up_over, agent)

    def _end_wrap_up_timer(self, agent: AgentRuntime) -> None:
        if agent.wrap_up_timer is not None:
            agent.wrap_up_timer.cancel()
            agent.wrap_up_timer = None

    def _wrap_up_over(self, agent: AgentRuntime) -> None:
        if agent.state != WRAP_UP:
            return
        agent.wrap_up_timer = None
        if agent.after_call is not None:
            state, reason = agent.after_call
            agent.after_call = None
            self._after_call(agent, state, reason)
        else:
            self._move(agent, AVAILABLE)

    def extend_wrap_up(self, agent_id: int, seconds: int) -> None:
        """Add ``seconds`` to the running wrap-up."""
        agent = self.get(agent_id)
        if agent.state != WRAP_UP:
            raise AgentStateError(agent_id, agent.state, "wrap_up (extend)")
        if seconds <= 0:
            raise EngineError("seconds must be positive", field="seconds", status=400)
        self._arm_wrap_up(agent, agent.wrap_up_until - self.clock.now() + seconds)

    def end_wrap_up(self, agent_id: int) -> None:
        agent = self.get(agent_id)
        if agent.state != WRAP_UP:
            raise AgentStateError(agent_id, agent.state, "end wrap-up")
        self._end_wrap_up_timer(agent)
        self._wrap_up_over(agent)

    def reset_day(self) -> None:
        """Midnight roll-over of the per-day counters strategies read."""
        for agent in self._agents.values():
            agent.calls_today, agent.talk_seconds_today = 0, 0.0
