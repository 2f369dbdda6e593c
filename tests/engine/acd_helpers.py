"""A recording OfferPort and a small world builder for ACD tests."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.acd.dispatcher import AcdDispatcher
from engine.acd.queue import AcdQueue, Member, QueueConfig
from engine.acd.strategies import WaitingCall
from engine.agents import AgentProfile, AgentRegistry, Reservation
from engine.clock import ManualClock


@dataclass
class RecordingPort:
    offers: list[tuple[str, list[int]]] = field(default_factory=list)
    cancels: list[tuple[str, int]] = field(default_factory=list)
    overflows: list[tuple[str, str, str, str]] = field(default_factory=list)
    announcements: list[tuple[str, int, float]] = field(default_factory=list)

    def offer(self, queue: AcdQueue, call: WaitingCall, reservations: list[Reservation]) -> None:
        self.offers.append((call.call_uuid, [r.agent_id for r in reservations]))

    def cancel_offer(self, queue: AcdQueue, call: WaitingCall, reservation: Reservation) -> None:
        self.cancels.append((call.call_uuid, reservation.agent_id))

    def overflow(self, queue: AcdQueue, call: WaitingCall, reason: str, kind: str, target: str) -> None:
        self.overflows.append((call.call_uuid, reason, kind, target))

    def announce(self, queue: AcdQueue, call: WaitingCall, position: int, estimated_wait: float) -> None:
        self.announcements.append((call.call_uuid, position, estimated_wait))

    def offered_to(self, call_uuid: str) -> list[int]:
        return [agent for uuid, agents in self.offers if uuid == call_uuid for agent in agents]


def world(n_agents: int = 3, skills: dict[int, dict[str, int]] | None = None, **queue: Any) -> tuple[ManualClock, AgentRegistry, AcdDispatcher, RecordingPort]:
    """Clock, registry with agents 1..n logged in (agent 1 idle longest), a queue ``q``."""
    clock = ManualClock()
    agents = AgentRegistry(clock)
    port = RecordingPort()
    dispatcher = AcdDispatcher(clock, agents, port)
    members = queue.pop("members", None) or tuple(Member(i, tier=1, position=i) for i in range(1, n_agents + 1))
    dispatcher.configure(QueueConfig(name="q", members=members, announce_position_seconds=0, **queue))
    for i in range(1, n_agents + 1):
        agents.add(AgentProfile(i, str(1000 + i), skills=(skills or {}).get(i, {}), wrap_up_seconds=0))
        agents.login(i)
        clock.advance(1)
    return clock, agents, dispatcher, port


def serve(dispatcher: AcdDispatcher, agents: AgentRegistry, call_uuid: str, agent_id: int) -> None:
    """The offered agent answers and hangs up at once."""
    dispatcher.agent_answered(call_uuid, agent_id)
    agents.call_ended(agent_id, wrap_up_seconds=0)


def call(uuid: str, **fields: Any) -> WaitingCall:
    return WaitingCall(uuid, **fields)
