"""The engine's public API: what the control plane (pages, REST, SSE) may ask of it.

The control plane codes against ``EngineAPI`` only. In ``fscc run`` it holds the live
Engine object; with ``fscc web`` apart it holds an HTTP client to the engine's internal
API implementing the same protocol. Errors are ``EngineError`` with a field name when a
caller's input is at fault.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class EngineError(Exception):
    """A request the engine refused; ``field`` names the input at fault, if any."""

    def __init__(self, message: str, field: str = "", status: int = 409) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class DomainEvent:
    """One event on the engine's bus (agent state, call state, queue stats, campaign stats).

    ``kind`` is e.g. ``agent.state``, ``call.offered``, ``call.answered``, ``call.ended``,
    ``queue.stats``, ``campaign.stats``; ``data`` is JSON-serialisable.
    """

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0


class EngineAPI(Protocol):
    """Commands and live views the control plane uses."""

    # agents
    def agent_login(self, agent_id: int) -> None: ...
    def agent_logout(self, agent_id: int) -> None: ...
    def agent_ready(self, agent_id: int) -> None: ...
    def agent_break(self, agent_id: int, reason: str) -> None: ...
    def agent_state(self, agent_id: int) -> dict[str, Any]: ...
    def extend_wrap_up(self, agent_id: int, seconds: int) -> None: ...
    def end_wrap_up(self, agent_id: int) -> None: ...

    # calls (for the agent's current call unless a uuid is given); a dial with ``contact_id``
    # goes through the contact's campaign (compliance, DNC, caller ID, Attempt row first)
    def dial(self, agent_id: int, number: str, campaign_id: int | None = None, contact_id: int | None = None) -> str: ...
    def hangup(self, agent_id: int) -> None: ...
    def hold(self, agent_id: int, on: bool) -> None: ...
    def send_dtmf(self, agent_id: int, digits: str) -> None: ...
    def transfer(self, agent_id: int, kind: str, target: str, attended: bool = False) -> None: ...
    def pickup(self, agent_id: int, call_uuid: str) -> None: ...

    # preview campaigns: the record shown to the agent ({contact_id, campaign_id, countdown}
    # or None when nothing is due), dialing it ({call_uuid}), handing it back
    def preview_next(self, agent_id: int) -> dict[str, Any] | None: ...
    def preview_dial(self, agent_id: int) -> dict[str, Any]: ...
    def preview_skip(self, agent_id: int) -> bool: ...

    # campaign pacing: {campaign_id, mode, decision (last: lines, launched, agents_ready,
    # calls_ringing, pacer numbers), estimates (answer_probability, mean_*_seconds), observed,
    # abandon (rate_today, rate_30d, target, counts)}, or None when this engine does not dial it
    def campaign_pacing(self, campaign_id: int) -> dict[str, Any] | None: ...

    # live views
    def snapshot(self) -> dict[str, Any]: ...
    def subscribe(self) -> Iterator[DomainEvent]: ...
