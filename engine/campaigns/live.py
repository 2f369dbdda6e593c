"""A campaign call in flight, the pacer's clock and the pacer per dial mode."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.campaigns.windows import to_utc_aware
from engine.pacing.base import Pacer, make_pacer
from engine.store import Attempt, Campaign


def seconds(now: dt.datetime) -> float:
    """A naive-UTC datetime as epoch seconds (the pacer's clock)."""
    return to_utc_aware(now).timestamp()


def pacer_for(campaign: Campaign) -> Pacer | None:
    """The campaign's pacer by dial mode (None for modes the agent drives)."""
    if campaign.dial_mode == "power":
        return make_pacer("power", ratio=float(campaign.power_ratio))
    if campaign.dial_mode == "predictive":
        return make_pacer("predictive")  # its target comes with each snapshot: edits apply at once
    if campaign.dial_mode == "progressive":
        return make_pacer("progressive")
    return None


def pacing_key(campaign: Campaign) -> tuple[str, float]:
    """What the pacer is built from: a change means a new pacer."""
    return str(campaign.dial_mode), float(campaign.power_ratio or 0)


@dataclass
class LiveCall:
    """One customer call of the campaign from originate to hangup."""

    uuid: str
    attempt: Attempt
    contact_id: int
    phone: str
    launched_at: dt.datetime
    ringing_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    human_at: dt.datetime | None = None  # answered and AMD (if any) says human
    amd_result: str = ""
    agent_id: int | None = None  # reserved or connected agent
    connecting_at: dt.datetime | None = None  # the agent is being rung for this call
    connected_at: dt.datetime | None = None  # the agent's leg is bridged to the customer
    ending: bool = False  # the dialer is ending it (a machine): no agent, no abandon
    abandoned: bool = False
    agent_leg: str = ""  # agent_first: the agent's leg uuid
    early_media: bool = False  # the far end played media before (not) answering
    ring_reported: bool = False  # the pacer has had this human answer's ring report

    @property
    def waiting(self) -> bool:
        """A human with no agent yet (none being rung either): the abandon clock runs."""
        return self.human_at is not None and self.connected_at is None and self.connecting_at is None \
            and not self.abandoned and not self.ending
