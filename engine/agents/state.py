"""One agent's state and the rules for moving between states (no I/O, no timers).

States: logged_out, available, on_break(reason), reserved, ringing, in_call, wrap_up.
Legal moves are listed in ``TRANSITIONS``; anything else raises ``AgentStateError``.
An available agent may still be "resting" (``ready_at`` in the future) after a reject,
busy or missed offer: they stay available on the wallboard but receive no offer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.api import EngineError
from engine.clock import Timer

LOGGED_OUT, AVAILABLE, ON_BREAK, RESERVED, RINGING, IN_CALL, WRAP_UP = (
    "logged_out", "available", "on_break", "reserved", "ringing", "in_call", "wrap_up",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    LOGGED_OUT: frozenset({AVAILABLE, ON_BREAK}),
    AVAILABLE: frozenset({ON_BREAK, RESERVED, LOGGED_OUT}),
    ON_BREAK: frozenset({AVAILABLE, LOGGED_OUT, ON_BREAK, RESERVED}),
    RESERVED: frozenset({RINGING, IN_CALL, AVAILABLE, ON_BREAK, LOGGED_OUT}),
    RINGING: frozenset({IN_CALL, AVAILABLE, ON_BREAK, LOGGED_OUT}),
    IN_CALL: frozenset({WRAP_UP, AVAILABLE, ON_BREAK, LOGGED_OUT}),
    WRAP_UP: frozenset({AVAILABLE, ON_BREAK, LOGGED_OUT, RESERVED}),
}

# How an offer ended; each maps to what happens to the agent afterwards.
OFFER_OUTCOMES = ("cancelled", "no_answer", "rejected", "busy", "unregistered", "failed")


class AgentStateError(EngineError):
    """A command that the agent's current state does not allow."""

    def __init__(self, agent_id: int, state: str, wanted: str) -> None:
        super().__init__(f"agent {agent_id} is {state}; cannot go {wanted}", field="agent_id")
        self.agent_id = agent_id
        self.state = state
        self.wanted = wanted


@dataclass(frozen=True)
class AgentProfile:
    """What the store says about an agent (reloaded when an admin edits it)."""

    agent_id: int
    extension: str
    name: str = ""
    team_id: int | None = None
    max_no_answer: int = 3
    wrap_up_seconds: int = 10
    reject_delay_seconds: int = 10
    busy_delay_seconds: int = 60
    no_answer_delay_seconds: int = 30
    skills: dict[str, int] = field(default_factory=dict)

    @property
    def dial_string(self) -> str:
        return f"user/{self.extension}"

    def tags(self, prefix: str) -> set[str]:
        """Skill names of the form ``prefix:value`` (``region:US``, ``customer:gold``)."""
        start = prefix + ":"
        return {name[len(start):] for name in self.skills if name.startswith(start)}


@dataclass
class Reservation:
    """An agent held for one call until it is answered (becomes a call) or released."""

    agent_id: int
    call_uuid: str
    created_at: float
    timeout: float
    wrap_up_seconds: int | None = None
    leg_uuid: str = ""
    queue: str = ""
    campaign_id: int | None = None
    timer: Timer | None = None
    on_expire: Any = None  # callable(Reservation) run after a timeout released the agent
    ended: bool = False


@dataclass
class AgentRuntime:
    """Live state of one agent; mutated only by ``AgentRegistry``."""

    profile: AgentProfile
    state: str = LOGGED_OUT
    reason: str = ""
    call_uuid: str = ""
    since: float = 0.0
    ready_at: float = 0.0
    idle_since: float = 0.0
    registered: bool = True
    no_answer_count: int = 0
    calls_today: int = 0
    talk_seconds_today: float = 0.0
    answered_at: float = 0.0
    last_offer_at: float = 0.0
    reservation: Reservation | None = None
    wrap_up_until: float = 0.0
    wrap_up_timer: Timer | None = None
    after_call: tuple[str, str] | None = None  # (state, reason) asked for during a call
    ringing_legs: set[str] = field(default_factory=set)  # withdrawn offers whose leg still exists

    @property
    def agent_id(self) -> int:
        return self.profile.agent_id

    def can_go(self, new_state: str) -> bool:
        return new_state in TRANSITIONS[self.state]

    def offerable(self, now: float) -> bool:
        """May receive an offer right now (available, phone registered, not resting)."""
        return (self.state == AVAILABLE and self.registered and self.ready_at <= now and self.reservation is None
                and not self.ringing_legs)

    def view(self, now: float) -> dict[str, Any]:
        """JSON-ready snapshot for the desk, wallboard and ``agent_state``."""
        return {
            "agent_id": self.agent_id, "extension": self.profile.extension, "name": self.profile.name,
            "state": self.state, "reason": self.reason, "call_uuid": self.call_uuid,
            "seconds_in_state": round(max(0.0, now - self.since), 1), "registered": self.registered,
            "resting_seconds": round(max(0.0, self.ready_at - now), 1), "calls_today": self.calls_today,
            "talk_seconds_today": round(self.talk_seconds_today, 1), "no_answer_count": self.no_answer_count,
            "wrap_up_remaining": round(max(0.0, self.wrap_up_until - now), 1) if self.state == WRAP_UP else 0.0,
        }
