"""What the campaign dialer needs from the rest of the engine, as two small protocols.

The live Engine implements them through :mod:`engine.campaigns.engine_port`; tests use
fakes. Keeping the dialer behind these lets it run against a fake, simswitch or a real
FreeSWITCH without change.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.capabilities import SwitchCapabilities


class Originator(Protocol):
    """Places and steers calls (FreeSWITCH through ESL in the engine)."""

    def originate(self, dial_string: str, *, origination_uuid: str, variables: Mapping[str, object],
                  app: str) -> Any:
        """Send ``originate``; the Attempt row with ``origination_uuid`` already exists."""

    def connect(self, call_uuid: str, agent_id: int) -> None:
        """Ring the (already reserved) agent and bridge them to the answered call."""

    def play_and_hangup(self, call_uuid: str, sound: str) -> None:
        """Play a recorded message to the call, then hang it up."""

    def hangup(self, call_uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        """Hang the call up now."""

    def send_to(self, call_uuid: str, kind: str, target: str) -> None:
        """Hand the answered call to an IVR flow (``kind="ivr"``) or an inbound queue (``"queue"``)."""

    def start_amd(self, call_uuid: str) -> None:
        """Run answering-machine detection on the answered call (mod_amd's ``amd``)."""

    def start_avmd(self, call_uuid: str) -> None:
        """Listen for a voicemail beep on the answered call (mod_avmd's ``avmd_start``)."""

    def switch_capabilities(self) -> list[SwitchCapabilities] | None:
        """What the switch nodes calls go through can do (None: not known, e.g. a fake)."""

    def switch_up(self) -> bool:
        """Whether the switch calls go through takes commands now (while not, nothing is claimed)."""


@dataclass(frozen=True)
class AgentCounts:
    """Agents of a campaign right now: logged in, and seconds spent in the current call/wrap-up."""

    logged_in: int
    in_call_seconds: list[float] = field(default_factory=list)
    wrap_up_seconds: list[float] = field(default_factory=list)


class AgentPool(Protocol):
    """The agents' side: who is free, and holding one for a call."""

    def ready(self, agent_ids: Collection[int] | None) -> list[int]:
        """Agents that could take a call now, among ``agent_ids`` (None: any), longest idle first."""

    def counts(self, agent_ids: Collection[int] | None, now: float) -> AgentCounts:
        """Logged-in count and busy ages, for the pacer."""

    def reserve(self, agent_id: int, call_uuid: str, campaign_id: int, wrap_up_seconds: int | None = None) -> bool:
        """Hold the agent for ``call_uuid`` (wrap-up after it as given); False when no longer free."""

    def release(self, agent_id: int) -> None:
        """Give back a reservation that did not turn into a call."""

    def dial_string(self, agent_id: int) -> str:
        """How to ring the agent's phone (``user/1001``)."""
