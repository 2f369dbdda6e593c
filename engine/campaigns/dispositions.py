"""Dispositions: the default set plus each campaign's own, and what submitting one does.

Control plane calls:

- :func:`ensure_default_types` once at start-up (idempotent);
- :func:`disposition_types(campaign)` for the agent's picker (campaign types override
  defaults of the same code); :func:`add_custom_type` from the campaign page;
- :func:`submit_disposition` when the agent saves. It stores the Disposition, updates the
  contact (done / callback / retry / do-not-call), writes the number to the DNC level the
  campaign names for a DNC disposition, logs a signed webhook delivery when the campaign
  has a URL, and returns what the desk must do next: ``end_wrap_up`` (auto-end wrap-up
  after saving) and ``hangup`` (hang up after submit). Then call
  ``result.send_webhook()`` (after the request's transaction) to deliver in a greenlet.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gevent

from engine.campaigns.callbacks import parse_callback_time, schedule_callback
from engine.campaigns.claims import DEFAULT_RETRY_SECONDS
from engine.campaigns.dnc import add_dnc
from engine.campaigns.errors import CampaignError
from engine.campaigns.sql import fk_id, pk
from engine.campaigns.webhooks import deliver_later, enqueue
from engine.store import (
    Attempt,
    Campaign,
    Contact,
    Disposition,
    DispositionType,
    WebhookDelivery,
    database,
    utcnow,
)

# code: (label, final, adds_to_dnc, success)
DEFAULT_TYPES: dict[str, tuple[str, bool, bool, bool]] = {
    "unprocessed": ("Unprocessed", False, False, False),
    "follow_up": ("Follow-up", False, False, False),
    "failed": ("Failed", True, False, False),
    "success": ("Success", True, False, True),
    "do_not_call": ("Do not call", True, True, False),
}
_CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,59}$")
EVENT = "disposition.submitted"


def ensure_default_types() -> None:
    """Create the default disposition set (campaign = null) if missing."""
    with database.atomic():
        for code, (label, final, adds_to_dnc, success) in DEFAULT_TYPES.items():
            if DispositionType.get_or_none((DispositionType.campaign.is_null(True)) & (DispositionType.code == code)) is None:
                DispositionType.create(code=code, label=label, final=final, adds_to_dnc=adds_to_dnc, success=success)


def disposition_types(campaign: Campaign) -> list[DispositionType]:
    """Defaults overlaid with the campaign's own types, defaults first then custom."""
    rows = DispositionType.select().where(DispositionType.campaign.is_null(True) | (DispositionType.campaign == campaign))
    by_code: dict[str, DispositionType] = {}
    for row in sorted(rows, key=lambda r: (r.__data__.get("campaign") is not None, r.id)):
        by_code[row.code] = row
    return list(by_code.values())


def add_custom_type(campaign: Campaign, code: str, label: str, *, final: bool = True, adds_to_dnc: bool = False,
                    success: bool = False) -> DispositionType:
    """A campaign's own disposition ("custom topic"); CampaignError names a bad field."""
    if not _CODE.match(code or ""):
        raise CampaignError("code", "use 1-60 lower-case letters, digits, _ or -, starting with a letter or digit")
    if not (label or "").strip() or len(label) > 120:
        raise CampaignError("label", "is required (at most 120 characters)")
    if DispositionType.select().where((DispositionType.campaign == campaign) & (DispositionType.code == code)).exists():
        raise CampaignError("code", f"{code!r} already exists in this campaign")
    return DispositionType.create(campaign=campaign, code=code, label=label.strip(), final=final,
                                  adds_to_dnc=adds_to_dnc, success=success)


@dataclass
class SubmitResult:
    """What a submit stored and what the desk does next."""

    disposition: Disposition
    contact_status: str
    end_wrap_up: bool
    hangup: bool
    webhook: WebhookDelivery | None
    webhook_secret: str = ""

    def send_webhook(self) -> gevent.Greenlet | None:
        """Deliver the logged webhook in its own greenlet (call after the submit committed)."""
        if self.webhook is None:
            return None
        return deliver_later(self.webhook, self.webhook_secret)


def _payload(campaign: Campaign, contact: Contact, disposition: Disposition, label: str,
             attempt: Attempt | None) -> dict[str, Any]:
    return {
        "event": EVENT, "campaign": {"id": campaign.id, "name": campaign.name},
        "contact": {"id": contact.id, "phone": contact.phone, "phones": contact.phones,
                    "first_name": contact.first_name, "last_name": contact.last_name,
                    "organisation": contact.organisation, "custom": contact.custom, "attempts": contact.attempts},
        "disposition": {"id": disposition.id, "code": disposition.code, "label": label, "notes": disposition.notes,
                        "answers": disposition.answers, "agent_id": fk_id(disposition, "agent"),
                        "created_at": disposition.created_at.isoformat()},
        "attempt": None if attempt is None else {"origination_uuid": attempt.origination_uuid,
                                                 "outcome": attempt.outcome, "phone": attempt.phone},
    }


def submit_disposition(contact: Contact, code: str = "", *, agent_id: int | None = None,
                       attempt: Attempt | None = None, notes: str = "", answers: Mapping[str, Any] | None = None,
                       callback: str | dt.datetime | None = None, now: dt.datetime | None = None) -> SubmitResult:
    """Store the agent's result for ``contact`` (``code`` empty: the campaign's default).

    ``callback`` ("3h", "2d", a date) books a callback owned by the agent. Raises
    CampaignError naming ``code``/``notes``/``callback`` for bad input.
    """
    now = now or utcnow()
    campaign = Campaign.get_by_id(fk_id(contact, "campaign"))
    code = (code or campaign.default_disposition or "").strip()
    kind = next((t for t in disposition_types(campaign) if t.code == code), None)
    if kind is None:
        raise CampaignError("code", f"{code!r} is not a disposition of this campaign")
    if len(notes) > 10_000:
        raise CampaignError("notes", "must be at most 10,000 characters")
    due = None
    if callback:
        due = callback if isinstance(callback, dt.datetime) else parse_callback_time(callback, now)
    if attempt is None:
        attempt = Attempt.select().where(Attempt.contact == contact.id).order_by(pk(Attempt).desc()).first()
    with database.atomic():
        disposition = Disposition.create(contact=contact.id, attempt=attempt.id if attempt else None, agent=agent_id,
                                         code=code, notes=notes, answers=dict(answers or {}), created_at=now)
        if kind.adds_to_dnc:
            status = "dnc"
            for phone in contact.phones:
                add_dnc(phone, scope=campaign.dnc_level, team=fk_id(campaign, "team"), campaign=campaign.id,
                        list_color="black", category="disposition", reason=f"{code} by agent {agent_id or '-'}")
            Contact.update(status=status, disposition=code).where(pk(Contact) == contact.id).execute()
        elif due is not None or code == "follow_up":
            status = "callback"
            schedule_callback(contact, due or now + dt.timedelta(days=1), agent_id=agent_id,
                              reason=code, now=now)
            Contact.update(disposition=code).where(pk(Contact) == contact.id).execute()
        elif kind.final:
            status = "done"
            Contact.update(status=status, disposition=code, next_attempt_at=None).where(pk(Contact) == contact.id).execute()
        else:
            status = "retry"
            (Contact.update(status=status, disposition=code,
                            next_attempt_at=now + dt.timedelta(seconds=DEFAULT_RETRY_SECONDS))
             .where(pk(Contact) == contact.id).execute())
        contact = Contact.get_by_id(contact.id)
        webhook = None
        if campaign.webhook_url:
            webhook = enqueue(campaign.webhook_url, EVENT, _payload(campaign, contact, disposition, kind.label, attempt))
    return SubmitResult(disposition, status, bool(campaign.auto_end_wrap_up), bool(campaign.hangup_after_submit),
                        webhook, campaign.webhook_secret)
