"""Where agent state transitions go: one ``AgentStateInterval`` row per stretch of state."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from engine.clock import utc_datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transition:
    agent_id: int
    state: str
    reason: str
    call_uuid: str
    at: float


class IntervalSink(Protocol):
    """Receives every transition; must close the previous interval and open the next."""

    def record(self, transition: Transition) -> None: ...


class MemorySink:
    """Keeps transitions in a list (unit tests, benchmarks)."""

    def __init__(self) -> None:
        self.transitions: list[Transition] = []

    def record(self, transition: Transition) -> None:
        self.transitions.append(transition)

    def states(self, agent_id: int) -> list[str]:
        return [t.state for t in self.transitions if t.agent_id == agent_id]


class StoreSink:
    """Writes ``AgentStateInterval`` rows: ends the open one, starts the new one, atomically."""

    def record(self, transition: Transition) -> None:
        from engine.store import AgentStateInterval, database

        at = utc_datetime(transition.at)
        with database.atomic():
            (AgentStateInterval.update(ended_at=at)
             .where((AgentStateInterval.agent == transition.agent_id) & AgentStateInterval.ended_at.is_null())
             .execute())
            AgentStateInterval.create(
                agent=transition.agent_id, state=transition.state, reason=transition.reason,
                call_uuid=transition.call_uuid, started_at=at,
            )
