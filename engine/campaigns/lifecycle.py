"""Campaign lifecycle: draft -> scheduled -> running -> paused -> completed, restart, second pass.

The control plane calls :func:`transition` for the buttons (schedule, start, pause,
resume, complete, restart) and :func:`second_pass` for "dial unreached contacts again";
the engine calls :func:`auto_status` about once a minute to move scheduled campaigns to
running when their window opens and back when it closes. Illegal moves raise
:class:`LifecycleError`.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

import peewee

from engine.campaigns.amd import amd_method
from engine.campaigns.errors import CampaignError, LifecycleError
from engine.campaigns.sql import pk
from engine.campaigns.windows import campaign_schedule_open
from engine.capabilities import SwitchCapabilities
from engine.store import Attempt, Campaign, Contact, database, utcnow

log = logging.getLogger(__name__)

# target -> statuses it may be reached from
ALLOWED: dict[str, tuple[str, ...]] = {
    "draft": ("scheduled", "paused"),
    "scheduled": ("draft", "paused", "running", "completed"),
    "running": ("scheduled", "paused"),
    "paused": ("scheduled", "running"),
    "completed": ("scheduled", "running", "paused"),
}
UNREACHED_OUTCOMES = ("busy", "no_answer", "failed", "machine", "abandoned")
OPEN_STATUSES = ("new", "retry", "callback", "claimed", "dialing")


def can_run(campaign: Campaign, now: dt.datetime, ready_agents: int,
            switches: Collection[SwitchCapabilities] | None = None) -> tuple[bool, str]:
    """Whether the campaign may be running at ``now``: what the switches can do (AMD,
    :func:`engine.campaigns.amd.amd_method`; skipped when ``switches`` is None), dates, hour
    grid, and an agent ready. Agentless modes need no agent; every other mode needs
    ``ready_agents >= 1``.
    """
    refusal = switch_refusal(campaign, switches)
    if refusal:
        return False, refusal
    is_open, reason = campaign_schedule_open(campaign, now)
    if not is_open:
        return False, reason
    if not campaign.is_agentless and ready_agents < 1:
        return False, "no agent ready"
    return True, "open"


def switch_refusal(campaign: Campaign, switches: Collection[SwitchCapabilities] | None) -> str:
    """Why the switch nodes cannot run this campaign (``"amd_enabled: ..."``), or ``""``."""
    try:
        amd_method(campaign, switches)
    except CampaignError as exc:
        return str(exc)
    return ""


def transition(campaign: Campaign, target: str, *, now: dt.datetime | None = None,
               ready_agents: int = 0, switches: Collection[SwitchCapabilities] | None = None) -> Campaign:
    """Move ``campaign`` to ``target`` and save it, or raise LifecycleError.

    Going to running checks :func:`can_run` (with ``switches``, the nodes' capabilities);
    restart is completed -> scheduled.
    """
    now = now or utcnow()
    current = campaign.status
    if target not in ALLOWED:
        raise LifecycleError(current, target, "unknown status")
    if current not in ALLOWED[target]:
        raise LifecycleError(current, target, f"allowed only from {', '.join(ALLOWED[target])}")
    if target == "running":
        ok, reason = can_run(campaign, now, ready_agents, switches)
        if not ok:
            raise LifecycleError(current, target, reason)
    if target == "scheduled" and current == "draft" and campaign.end_date and campaign.end_date < now.date():
        raise LifecycleError(current, target, f"end date {campaign.end_date} is in the past")
    campaign.status = target
    campaign.updated_at = now
    campaign.save(only=[Campaign.status, Campaign.updated_at])
    log.info("campaign status changed campaign_id=%s from=%s to=%s", campaign.id, current, target)
    return campaign


def restart(campaign: Campaign, *, now: dt.datetime | None = None) -> Campaign:
    """A completed (or paused) campaign goes back to scheduled with its contacts as they are."""
    return transition(campaign, "scheduled", now=now)


def reopen_unreached(campaign: Campaign, *, older_than: dt.datetime | None = None) -> int:
    """Put contacts whose attempts ran out without reaching anyone back to ``new``.

    Invalid numbers, DNC hits and contacts with a final disposition stay closed.
    ``older_than`` limits it to contacts last tried before that time (recycling).
    Returns how many contacts were reopened.
    """
    query = Contact.update(status="new", attempts=0, next_attempt_at=None, lease_owner="", lease_until=None)
    where = (Contact.campaign == campaign) & (Contact.status == "failed") & \
        Contact.last_outcome.in_(UNREACHED_OUTCOMES)
    if older_than is not None:
        recent = Attempt.select(Attempt.contact).where(
            (Attempt.campaign == campaign) & (Attempt.created_at >= older_than) & Attempt.contact.is_null(False))
        where &= pk(Contact).not_in(recent)
    with database.atomic():
        return int(query.where(where).execute())


def second_pass(campaign: Campaign, *, now: dt.datetime | None = None) -> int:
    """Dial unreached contacts again: reopen them and schedule a paused/completed campaign.

    Returns how many contacts were reopened.
    """
    if campaign.status not in ("paused", "completed", "scheduled"):
        raise LifecycleError(campaign.status, "scheduled", "pause or complete the campaign before a second pass")
    reopened = reopen_unreached(campaign)
    if campaign.status != "scheduled":
        transition(campaign, "scheduled", now=now)
    log.info("campaign second pass campaign_id=%s reopened=%s", campaign.id, reopened)
    return reopened


def contacts_left(campaign: Campaign) -> int:
    """Contacts that may still be dialed (new, waiting for a retry or a callback, in flight)."""
    return int(Contact.select(peewee.fn.COUNT(Contact.id))
               .where((Contact.campaign == campaign) & Contact.status.in_(OPEN_STATUSES)).scalar() or 0)


def auto_status(campaign: Campaign, now: dt.datetime, ready_agents: int,
                switches: Collection[SwitchCapabilities] | None = None) -> str:
    """The engine's periodic step: scheduled <-> running by the window, completed when done.

    A running campaign with no ready agent stays running (it just dials nothing);
    it goes back to scheduled when its dates or hour grid close, and to completed past
    its end date or when no contact is left to dial. A running campaign the switches can no
    longer serve (mod_amd unloaded, :func:`switch_refusal`) is paused, with the reason logged.
    Returns the status after the step.
    """
    refusal = switch_refusal(campaign, switches) if campaign.status == "running" else ""
    if refusal:
        log.error("campaign paused campaign_id=%s: %s", campaign.id, refusal)
        transition(campaign, "paused", now=now)
    elif campaign.status == "scheduled":
        ok, _ = can_run(campaign, now, ready_agents, switches)
        if ok:
            transition(campaign, "running", now=now, ready_agents=ready_agents, switches=switches)
    elif campaign.status == "running":
        past_end = campaign.end_date is not None and now.date() > campaign.end_date
        if past_end or contacts_left(campaign) == 0:
            transition(campaign, "completed", now=now)
        else:
            is_open, _ = campaign_schedule_open(campaign, now)
            if not is_open:
                transition(campaign, "scheduled", now=now)
    return str(campaign.status)
