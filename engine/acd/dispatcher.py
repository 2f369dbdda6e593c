"""``AcdDispatcher``: matches waiting callers with offerable agents, queue by queue.

It owns the timers of waiting (max wait, no-agents wait, position announcements) and the
offers (reservations via ``AgentRegistry``). What an offer, an overflow or an announcement
means on the wire is the ``OfferPort``'s business (the Engine, or a fake in tests and in
``bench/acd.py``), so this file runs unchanged in virtual time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from engine.acd.queue import AcdQueue, QueueConfig
from engine.acd.strategies import Candidate, WaitingCall
from engine.agents import AgentRegistry, AgentRuntime, Reservation
from engine.api import EngineError
from engine.clock import Clock, Timer

log = logging.getLogger(__name__)


class OfferPort(Protocol):
    """What the dispatcher asks of the outside world."""

    def offer(self, queue: AcdQueue, call: WaitingCall, reservations: list[Reservation]) -> None:
        """Ring these reserved agents for this caller."""

    def cancel_offer(self, queue: AcdQueue, call: WaitingCall, reservation: Reservation) -> None:
        """Stop ringing one agent (timed out, or someone else answered)."""

    def overflow(self, queue: AcdQueue, call: WaitingCall, reason: str, kind: str, target: str) -> None:
        """Send the caller elsewhere: reason is max_wait, no_agents or after_hours."""

    def announce(self, queue: AcdQueue, call: WaitingCall, position: int, estimated_wait: float) -> None:
        """Tell the caller their place in line and estimated wait."""


@dataclass
class _Waiting:
    """Dispatcher-side bookkeeping of one waiting caller."""

    queue: AcdQueue
    call: WaitingCall
    offers: dict[int, Reservation] = field(default_factory=dict)
    timers: list[Timer] = field(default_factory=list)
    first_offer_at: float | None = None

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


class AcdDispatcher:
    """Every inbound queue of the engine and the offers in flight."""

    def __init__(self, clock: Clock, agents: AgentRegistry, port: OfferPort) -> None:
        self.clock = clock
        self.agents = agents
        self.port = port
        self.queues: dict[str, AcdQueue] = {}
        self._waiting: dict[str, _Waiting] = {}
        self._dispatching = False
        self._again = False
        agents.on_change(self._agent_changed)

    # ----- configuration ----------------------------------------------------------------
    def configure(self, config: QueueConfig) -> AcdQueue:
        queue = self.queues.get(config.name)
        if queue is None:
            queue = self.queues[config.name] = AcdQueue(config)
        else:
            queue.reconfigure(config)
        return queue

    def queue(self, name: str) -> AcdQueue:
        try:
            return self.queues[name]
        except KeyError:
            raise EngineError(f"unknown queue {name!r}", field="queue", status=404) from None

    def waiting_call(self, call_uuid: str) -> WaitingCall | None:
        entry = self._waiting.get(call_uuid)
        return entry.call if entry else None

    def queue_of(self, call_uuid: str) -> AcdQueue | None:
        entry = self._waiting.get(call_uuid)
        return entry.queue if entry else None

    # ----- callers ----------------------------------------------------------------------
    def enqueue(self, queue_name: str, call: WaitingCall) -> bool:
        """Put a caller in line; False (and an after-hours overflow) when the queue is closed."""
        queue = self.queue(queue_name)
        now = self.clock.now()
        if not queue.is_open(now):
            self.port.overflow(queue, call, "after_hours", queue.config.after_hours_kind, queue.config.after_hours_target)
            return False
        queue.enqueue(call, now)
        entry = self._waiting[call.call_uuid] = _Waiting(queue, call)
        config = queue.config
        if config.max_wait_seconds > 0:
            remaining = max(0.0, config.max_wait_seconds - call.waited(now))
            entry.timers.append(self.clock.call_later(remaining, self._max_wait, call.call_uuid))
        if config.max_wait_no_agents_seconds > 0 and not self.agents.logged_in(queue.members):
            entry.timers.append(self.clock.call_later(config.max_wait_no_agents_seconds, self._no_agents, call.call_uuid))
        if config.announce_position_seconds > 0:
            entry.timers.append(self.clock.call_later(config.announce_position_seconds, self._announce, call.call_uuid))
        self.dispatch()
        return True

    def caller_left(self, call_uuid: str) -> WaitingCall | None:
        """The caller hung up while waiting: abandoned (unless waiting for a callback)."""
        entry = self._waiting.get(call_uuid)
        if entry is None or entry.call.callback:
            return None
        self._drop(entry)
        return entry.queue.abandoned(call_uuid, self.clock.now())

    def request_callback(self, call_uuid: str) -> None:
        """The caller chose to be called back: they may hang up and keep their place."""
        entry = self._waiting.get(call_uuid)
        if entry is None:
            raise EngineError(f"call {call_uuid} is not waiting in a queue", field="call_uuid", status=404)
        entry.call.callback = True

    def remove(self, call_uuid: str) -> WaitingCall | None:
        """Take a caller out of line for another destination (transfer, IVR)."""
        entry = self._waiting.get(call_uuid)
        if entry is None:
            return None
        self._drop(entry)
        return entry.queue.leave(call_uuid)

    def _drop(self, entry: _Waiting, keep_agent: int | None = None) -> None:
        entry.cancel_timers()
        self._waiting.pop(entry.call.call_uuid, None)
        for agent_id, reservation in list(entry.offers.items()):
            if agent_id != keep_agent:
                # Withdraw the leg before freeing the agent, so no second offer overlaps it.
                self.port.cancel_offer(entry.queue, entry.call, reservation)
                self.agents.release(agent_id, "cancelled", entry.call.call_uuid)
        entry.offers.clear()

    # ----- offers -----------------------------------------------------------------------
    def agent_answered(self, call_uuid: str, agent_id: int) -> WaitingCall | None:
        """An offered agent answered: the call leaves the queue, other offers are withdrawn."""
        entry = self._waiting.get(call_uuid)
        if entry is None or agent_id not in entry.offers:
            return None
        self.agents.answered(agent_id)
        self._drop(entry, keep_agent=agent_id)
        return entry.queue.answered(call_uuid, agent_id, self.clock.now())

    def offer_failed(self, call_uuid: str, agent_id: int, outcome: str) -> None:
        """An agent's leg failed (no_answer, rejected, busy, unregistered, failed)."""
        entry = self._waiting.get(call_uuid)
        if entry is not None:
            entry.offers.pop(agent_id, None)
        self.agents.release(agent_id, outcome, call_uuid)
        self.dispatch()

    def pickup(self, call_uuid: str, agent_id: int) -> WaitingCall:
        """A chosen agent takes a waiting caller out of line (supervisor or desk pickup)."""
        entry = self._waiting.get(call_uuid)
        if entry is None:
            raise EngineError(f"call {call_uuid} is not waiting in a queue", field="call_uuid", status=404)
        if agent_id not in entry.offers:
            reservation = self.agents.reserve(
                agent_id, call_uuid, timeout=entry.queue.config.offer_timeout_seconds,
                wrap_up_seconds=entry.queue.config.wrap_up_seconds, queue=entry.queue.name)
            if reservation is None:
                raise EngineError(f"agent {agent_id} is not available", field="agent_id")
            entry.offers[agent_id] = reservation
        self.agents.answered(agent_id)
        self._drop(entry, keep_agent=agent_id)
        call = entry.queue.answered(call_uuid, agent_id, self.clock.now())
        assert call is not None
        return call

    def _expired(self, reservation: Reservation) -> None:
        entry = self._waiting.get(reservation.call_uuid)
        if entry is not None and entry.offers.get(reservation.agent_id) is reservation:
            del entry.offers[reservation.agent_id]
            self.port.cancel_offer(entry.queue, entry.call, reservation)
        self.dispatch()

    def _agent_changed(self, agent: AgentRuntime) -> None:
        if agent.offerable(self.clock.now()):
            self.dispatch()

    def dispatch(self) -> int:
        """Offer every free agent the best call it may take; returns offers made."""
        if self._dispatching:
            self._again = True
            return 0
        self._dispatching, made = True, 0
        try:
            self._again = True
            while self._again:
                self._again = False
                for queue in list(self.queues.values()):
                    made += self._dispatch_queue(queue)
        finally:
            self._dispatching = False
        return made

    def _dispatch_queue(self, queue: AcdQueue) -> int:
        if not queue.waiting:
            return 0
        free = self.agents.offerable(queue.members)
        if not free:
            return 0
        made, now = 0, self.clock.now()
        for call in queue.iter_waiting():
            if not free:
                break
            entry = self._waiting.get(call.call_uuid)
            if entry is None or entry.offers:
                continue
            ordered = queue.strategy.order(call, [self._candidate(queue, a) for a in free], now)
            chosen = ordered[: queue.strategy.ring_count(call, ordered, now)]
            reservations = []
            for candidate in chosen:
                reservation = self.agents.reserve(
                    candidate.agent_id, call.call_uuid, timeout=queue.config.offer_timeout_seconds,
                    wrap_up_seconds=queue.config.wrap_up_seconds, queue=queue.name, on_expire=self._expired)
                if reservation is not None:
                    reservations.append(reservation)
                    entry.offers[candidate.agent_id] = reservation
                    queue.strategy.offered(candidate.agent_id)
            if not reservations:
                continue
            if entry.first_offer_at is None:
                entry.first_offer_at = now
                queue.stats.offer_delays.append(now - call.arrived_at)
            taken = {r.agent_id for r in reservations}
            free = [a for a in free if a.agent_id not in taken]
            made += 1
            self.port.offer(queue, call, reservations)
        return made

    def _candidate(self, queue: AcdQueue, agent: AgentRuntime) -> Candidate:
        member = queue.members[agent.agent_id]
        return Candidate(
            agent.agent_id, agent.idle_since, agent.calls_today, agent.talk_seconds_today,
            member.tier, member.position, agent.profile.skills,
        )

    # ----- waiting timers ---------------------------------------------------------------
    def _max_wait(self, call_uuid: str) -> None:
        self._overflow(call_uuid, "max_wait")

    def _no_agents(self, call_uuid: str) -> None:
        entry = self._waiting.get(call_uuid)
        if entry is not None and not self.agents.logged_in(entry.queue.members):
            self._overflow(call_uuid, "no_agents")

    def _overflow(self, call_uuid: str, reason: str) -> None:
        entry = self._waiting.get(call_uuid)
        if entry is None:
            return
        self._drop(entry)
        entry.queue.leave(call_uuid)
        config = entry.queue.config
        log.info("queue overflow queue=%s call_uuid=%s reason=%s", entry.queue.name, call_uuid, reason)
        self.port.overflow(entry.queue, entry.call, reason, config.overflow_kind, config.overflow_target)

    def _announce(self, call_uuid: str) -> None:
        entry = self._waiting.get(call_uuid)
        if entry is None:
            return
        queue = entry.queue
        position = queue.position(call_uuid)
        staffed = self.agents.logged_in(queue.members)
        if not entry.offers and not entry.call.callback:
            self.port.announce(queue, entry.call, position, queue.estimated_wait(position, staffed))
        entry.timers.append(self.clock.call_later(queue.config.announce_position_seconds, self._announce, call_uuid))
