"""Callbacks agents schedule: "in 45m", "3h", "2d", "1w" or a date/time.

``schedule_callback`` writes a Callback row and puts the contact in ``callback`` status
with ``next_attempt_at`` at the due time. With an agent the callback is theirs (only
claims made for that agent pick it up); without, it is open to the team.
"""
from __future__ import annotations

import datetime as dt
import re

from engine.campaigns.errors import CampaignError
from engine.campaigns.sql import fk_id, pk
from engine.campaigns.timeparse import parse_duration
from engine.campaigns.windows import to_utc_aware
from engine.store import Callback, Contact, database, utcnow

_IN = re.compile(r"^\s*(?:in\s+)?(\d+\s*[mhdw])\s*$", re.IGNORECASE)
MAX_AHEAD = dt.timedelta(days=366)


def parse_callback_time(text: str, now: dt.datetime, timezone: dt.tzinfo | None = None) -> dt.datetime:
    """Due time (naive UTC) from "45m", "in 3h", "2d", "1w", "2026-03-05" or "2026-03-05T14:30".

    A date or time without a zone is read in ``timezone`` (default UTC); a bare date
    means 09:00 that day. Raises CampaignError("due", ...) for anything else or the past.
    """
    now = to_utc_aware(now).replace(tzinfo=None)
    match = _IN.match(text or "")
    if match:
        due = now + dt.timedelta(seconds=parse_duration(match.group(1).replace(" ", "")))
    else:
        try:
            stamp = dt.datetime.fromisoformat(text.strip())
        except (ValueError, AttributeError):
            raise CampaignError("due", f"{text!r} is not like 45m, 3h, 2d, 1w or a date (2026-03-05 14:30)") from None
        if len(text.strip()) == 10:
            stamp = stamp.replace(hour=9)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone or dt.UTC)
        due = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    if due <= now:
        raise CampaignError("due", f"{text!r} is in the past")
    if due - now > MAX_AHEAD:
        raise CampaignError("due", "a callback must be within a year")
    return due


def schedule_callback(contact: Contact, when: str | dt.datetime, *, agent_id: int | None = None,
                      team_id: int | None = None, reason: str = "", created_by: int | None = None,
                      phone: str = "", now: dt.datetime | None = None) -> Callback:
    """Book a callback for ``contact`` (owned by ``agent_id``, or open to the team)."""
    now = now or utcnow()
    due = when if isinstance(when, dt.datetime) else parse_callback_time(when, now)
    with database.atomic():
        callback = Callback.create(contact=contact.id, campaign=fk_id(contact, "campaign"), team=team_id,
                                   agent=agent_id, phone=phone or contact.phone, due_at=due, reason=reason[:120],
                                   created_by=created_by)
        (Contact.update(status="callback", next_attempt_at=due, owner=agent_id, lease_owner="", lease_until=None)
         .where(pk(Contact) == contact.id).execute())
        # Older open callbacks of this contact are replaced by this one.
        (Callback.update(done=True).where((Callback.contact == contact.id) & (pk(Callback) != callback.id)
                                          & (Callback.done == False)).execute())  # noqa: E712
    return callback


def due_callbacks(now: dt.datetime, *, agent_id: int | None = None, campaign_id: int | None = None) -> list[Callback]:
    """Open callbacks due by ``now``: an agent's own plus the open ones of the campaign."""
    where = (Callback.done == False) & (Callback.due_at <= now)  # noqa: E712
    if agent_id is not None:
        where &= Callback.agent.is_null(True) | (Callback.agent == agent_id)
    if campaign_id is not None:
        where &= Callback.campaign == campaign_id
    return list(Callback.select().where(where).order_by(Callback.due_at))


def complete_callbacks(contact_id: int) -> int:
    """Close the contact's open callbacks (after it was dialed); returns how many."""
    return int(Callback.update(done=True).where((Callback.contact == contact_id) & (Callback.done == False))  # noqa: E712
               .execute())
