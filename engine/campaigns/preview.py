"""Agent-driven dialing: preview (with optional auto-dial countdown), manual and click-to-dial.

The control plane (agent desk) calls, for a campaign's :class:`CampaignDialer`:

- ``desk.next_record(agent_id, now)`` -> the Contact to show (claimed for that agent,
  their own due callbacks first), or None when nothing is due;
- ``desk.dial(agent_id, now)`` -> dial the shown record (the agent is reserved first);
- ``desk.skip(agent_id, now)`` -> hand the record back without dialing;
- ``desk.click_to_dial(agent_id, contact_id, now, phone="")`` -> dial a chosen contact;
- the group's tick calls ``desk.tick(now)``, which dials records whose countdown
  (``preview_countdown_seconds`` > 0) ran out: the auto-dial loop.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.campaigns.claims import claim_batch, claim_contact, release
from engine.campaigns.dialer import CampaignDialer
from engine.campaigns.live import LiveCall
from engine.store import Contact

SKIP_DELAY = dt.timedelta(minutes=10)
PREVIEW_LEASE_SECONDS = 900


@dataclass
class Shown:
    """A record on an agent's screen since ``shown_at``."""

    contact: Contact
    shown_at: dt.datetime


class PreviewDesk:
    """Records shown to agents of one campaign, and dialing them."""

    def __init__(self, dialer: CampaignDialer) -> None:
        self.dialer = dialer
        self.shown: dict[int, Shown] = {}

    @property
    def countdown(self) -> int:
        return int(self.dialer.campaign.preview_countdown_seconds or 0)

    def next_record(self, agent_id: int, now: dt.datetime) -> Contact | None:
        """Claim and show the next record to ``agent_id`` (the one already shown, if any)."""
        if agent_id in self.shown:
            return self.shown[agent_id].contact
        claimed = claim_batch(self.dialer.campaign, 1, owner=f"{self.dialer.owner}/agent-{agent_id}", now=now,
                              lease_seconds=PREVIEW_LEASE_SECONDS, agent_id=agent_id)
        if not claimed:
            return None
        self.shown[agent_id] = Shown(claimed[0], now)
        return claimed[0]

    def dial(self, agent_id: int, now: dt.datetime, phone: str = "") -> LiveCall | None:
        """Dial the record shown to ``agent_id``; None if none is shown or the call was refused."""
        shown = self.shown.pop(agent_id, None)
        if shown is None:
            return None
        return self.dialer.launch(shown.contact, now, agent_id=agent_id, phone=phone)

    def skip(self, agent_id: int, now: dt.datetime) -> bool:
        """Put the shown record back (due again after a short delay)."""
        shown = self.shown.pop(agent_id, None)
        return shown is not None and release(shown.contact, status="retry", retry_at=now + SKIP_DELAY)

    def click_to_dial(self, agent_id: int, contact_id: int, now: dt.datetime, phone: str = "") -> LiveCall | None:
        """Dial a contact the agent chose (manual mode); None when it is taken or refused."""
        contact = claim_contact(contact_id, owner=f"{self.dialer.owner}/agent-{agent_id}", now=now)
        if contact is None:
            return None
        if phone and phone not in contact.phones:
            release(contact, status="retry", retry_at=None)
            raise ValueError(f"phone: {phone} is not a number of contact {contact_id}")
        return self.dialer.launch(contact, now, agent_id=agent_id, phone=phone)

    def tick(self, now: dt.datetime) -> int:
        """Auto-dial records whose countdown ran out; returns how many were dialed."""
        if self.countdown <= 0:
            return 0
        due = [a for a, s in self.shown.items() if (now - s.shown_at).total_seconds() >= self.countdown]
        return sum(1 for agent_id in due if self.dial(agent_id, now) is not None)
