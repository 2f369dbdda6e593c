"""Claiming contacts so no two engine processes dial the same one, and what follows a dial.

A claim marks a batch of eligible contacts ``claimed`` under a unique lease token
(``lease_owner``) until ``lease_until``:

- PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks rows no other transaction holds;
- SQLite: the claim runs in a ``BEGIN IMMEDIATE`` transaction (one writer at a time);
- both: the UPDATE re-checks eligibility (compare-and-set) and the claimer reads back only
  rows carrying its own token, so even an expired lease cannot hand a contact out twice.

Eligible: status new/retry/callback (or a ``claimed`` whose lease expired), due
(``next_attempt_at`` empty or past); callbacks owned by an agent only for that agent, and
for an agent's claim only their own or unowned contacts.
Order: due callbacks, (for an agent) their own contacts, contact priority (1 first),
then the longest waiting.

:func:`start_attempt` writes the Attempt row with a pre-chosen ``origination_uuid`` and
moves the contact to ``dialing`` *before* the dialer sends ``originate``;
:func:`finish_attempt` records the outcome and schedules the retry (per-outcome waits and
limits) or closes the contact. :func:`release` hands back a claim that was not dialed.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

import peewee

from engine.campaigns.lifecycle import reopen_unreached
from engine.campaigns.sql import pk, rows
from engine.store import Attempt, Campaign, Contact, database, utcnow
from engine.store.db import is_postgres

log = logging.getLogger(__name__)

CLAIMABLE = ("new", "retry", "callback")
RETRY_OUTCOMES = ("busy", "no_answer", "failed", "machine", "abandoned")
DEFAULT_RETRY_SECONDS = 600
LEASE_SECONDS = 120


class LostClaim(RuntimeError):
    """The contact is no longer claimed by this token (lease expired and taken, or released)."""


def _eligible(campaign_id: int, now: dt.datetime, agent_id: int | None) -> peewee.Expression:
    claimable = Contact.status.in_(CLAIMABLE) | ((Contact.status == "claimed") & (Contact.lease_until < now))
    due = Contact.next_attempt_at.is_null(True) | (Contact.next_attempt_at <= now)
    if agent_id:
        # An agent's claim (preview, manual): their own contacts and unowned ones.
        whose = Contact.owner.is_null(True) | (Contact.owner == agent_id)
    else:
        # The automatic dialer: anything but callbacks an agent booked for themselves.
        whose = (Contact.status != "callback") | Contact.owner.is_null(True)
    return (Contact.campaign == campaign_id) & claimable & due & whose


def _write_lock() -> peewee._atomic:
    return database.atomic() if is_postgres() else database.atomic(lock_type="IMMEDIATE")


def claim_batch(campaign: Campaign | int, n: int, *, owner: str, now: dt.datetime | None = None,
                lease_seconds: int = LEASE_SECONDS, agent_id: int | None = None) -> list[Contact]:
    """Claim up to ``n`` contacts of ``campaign`` for ``owner`` (e.g. "engine-1"); return them.

    The returned contacts carry their lease token in ``lease_owner``: pass them as they are
    to :func:`start_attempt` / :func:`release`.
    """
    if n <= 0:
        return []
    now = now or utcnow()
    campaign_id = campaign if isinstance(campaign, int) else campaign.id
    token = f"{owner}:{uuid.uuid4().hex[:12]}"
    order = (peewee.Case(None, [(Contact.status == "callback", 0)], 1),
             *((peewee.Case(None, [(Contact.owner == agent_id, 0)], 1),) if agent_id else ()), Contact.priority,
             Contact.next_attempt_at.asc(nulls="first"), pk(Contact))
    with _write_lock():
        query = Contact.select(pk(Contact)).where(_eligible(campaign_id, now, agent_id)).order_by(*order).limit(n)
        if is_postgres():
            query = query.for_update(skip_locked=True)
        ids = [cid for (cid,) in rows(query)]
        if not ids:
            return []
        (Contact.update(status="claimed", lease_owner=token, lease_until=now + dt.timedelta(seconds=lease_seconds))
         .where(pk(Contact).in_(ids) & _eligible(campaign_id, now, agent_id)).execute())
    rank = {cid: i for i, cid in enumerate(ids)}
    claimed = sorted(Contact.select().where(Contact.lease_owner == token), key=lambda c: rank[c.id])
    log.debug("contacts claimed campaign_id=%s owner=%s count=%s", campaign_id, owner, len(claimed))
    return claimed


def claim_contact(contact_id: int, *, owner: str, now: dt.datetime | None = None,
                  lease_seconds: int = LEASE_SECONDS) -> Contact | None:
    """Claim one given contact (click-to-dial, preview of a chosen record); None if it is taken.

    Unlike :func:`claim_batch` the contact need not be due yet: an agent asked for it.
    """
    now = now or utcnow()
    token = f"{owner}:{uuid.uuid4().hex[:12]}"
    free = Contact.status.in_(CLAIMABLE) | ((Contact.status == "claimed") & (Contact.lease_until < now))
    with _write_lock():
        updated = (Contact.update(status="claimed", lease_owner=token,
                                  lease_until=now + dt.timedelta(seconds=lease_seconds))
                   .where((pk(Contact) == contact_id) & free).execute())
    return Contact.get_by_id(contact_id) if updated else None


def start_attempt(contact: Contact, phone: str, *, caller_id: str, now: dt.datetime | None = None,
                  node: str = "", agent_id: int | None = None, origination_uuid: str = "") -> Attempt:
    """Write the Attempt row and mark the contact dialing.

    Call this BEFORE sending originate, and use ``attempt.origination_uuid`` in it (a fresh
    uuid4 unless the caller chose one already, e.g. to reserve an agent under it).
    Raises LostClaim when the contact is not (any more) claimed by this lease.
    """
    now = now or utcnow()
    with database.atomic():
        updated = (Contact.update(status="dialing", attempts=Contact.attempts + 1, lease_until=None)
                   .where((pk(Contact) == contact.id) & (Contact.lease_owner == contact.lease_owner)
                          & (Contact.status == "claimed")).execute())
        if updated != 1:
            raise LostClaim(f"contact {contact.id} is no longer claimed by {contact.lease_owner}")
        attempt = Attempt.create(contact=contact.id, campaign=contact.__data__.get("campaign"), phone=phone,
                                 origination_uuid=origination_uuid or str(uuid.uuid4()), caller_id=caller_id, node=node,
                                 agent=agent_id, created_at=now)
    contact.status, contact.attempts = "dialing", contact.attempts + 1
    return attempt


def release(contact: Contact, *, status: str = "retry", retry_at: dt.datetime | None = None,
            outcome: str = "") -> bool:
    """Hand back a claim that was not dialed (compliance said no, or the pacer shrank).

    ``status`` is where it goes (retry, dnc, failed, new); ``retry_at`` when it is due again.
    Returns False when the claim was already gone.
    """
    fields: dict[peewee.Field, object] = {Contact.status: status, Contact.lease_owner: "", Contact.lease_until: None,
                                          Contact.next_attempt_at: retry_at}
    if outcome:
        fields[Contact.last_outcome] = outcome
    with database.atomic():
        return bool(Contact.update(fields).where((pk(Contact) == contact.id) & (Contact.lease_owner == contact.lease_owner)
                                                 & (Contact.status == "claimed")).execute())


def outcome_counts(contact_id: int) -> dict[str, int]:
    """How many of the contact's attempts ended in each outcome."""
    query = (Attempt.select(Attempt.outcome, peewee.fn.COUNT(pk(Attempt))).where(Attempt.contact == contact_id)
             .group_by(Attempt.outcome))
    return {outcome: int(count) for outcome, count in rows(query)}


def next_step(campaign: Campaign, outcome: str, attempts: int, counts: dict[str, int],
              now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """Pure: the contact's status and next_attempt_at after an attempt ended with ``outcome``.

    Answered contacts are done (the disposition may reopen them as a callback); invalid
    numbers fail; retryable outcomes wait ``retry_delays[outcome]`` until either the
    outcome's own limit or the campaign's max attempts is reached.
    """
    if outcome == "answered":
        return "done", None
    if outcome in ("dnc_blocked",):
        return "dnc", None
    if outcome not in RETRY_OUTCOMES:
        return "failed", None
    limit = int((campaign.max_attempts_per_outcome or {}).get(outcome, campaign.max_attempts))
    if attempts >= campaign.max_attempts or counts.get(outcome, 0) >= limit:
        return "failed", None
    delay = int((campaign.retry_delays or {}).get(outcome, DEFAULT_RETRY_SECONDS))
    return "retry", now + dt.timedelta(seconds=delay)


def finish_attempt(attempt: Attempt, outcome: str, *, campaign: Campaign, now: dt.datetime | None = None,
                   hangup_cause: str = "", amd_result: str = "", answered_at: dt.datetime | None = None,
                   connected_at: dt.datetime | None = None, abandoned: bool = False,
                   agent_id: int | None = None) -> str:
    """Record how the attempt ended and schedule the contact; returns the contact's new status."""
    now = now or utcnow()
    contact_id = attempt.__data__.get("contact")
    with database.atomic():
        attempt.outcome, attempt.hangup_cause, attempt.amd_result = outcome, hangup_cause, amd_result
        attempt.answered_at, attempt.connected_at, attempt.ended_at = answered_at, connected_at, now
        attempt.abandoned = abandoned
        if agent_id is not None:
            attempt.__data__["agent"] = agent_id  # the id, without loading the Agent row
        attempt.save()
        if contact_id is None:
            return ""
        attempts = Contact.select(Contact.attempts).where(pk(Contact) == contact_id).scalar() or 0
        counts = outcome_counts(contact_id) if outcome in RETRY_OUTCOMES else {}
        status, due = next_step(campaign, outcome, int(attempts), counts, now)
        (Contact.update(status=status, next_attempt_at=due, last_outcome=outcome, lease_owner="", lease_until=None)
         .where(pk(Contact) == contact_id).execute())
    return status


def finish_unplaced(attempt: Attempt, *, cause: str, retry_at: dt.datetime, now: dt.datetime | None = None,
                    outcome: str = "trunk_failed") -> None:
    """The call never reached the callee (its trunk failed at once: ``trunk_failed``; the
    switch or the engine went away first: ``lost``): the attempt ends with ``outcome`` and the
    contact goes back to ``retry`` at ``retry_at`` with its attempt counter given back (the
    per-number daily cap skips such rows) and its last outcome kept."""
    now = now or utcnow()
    contact_id = attempt.__data__.get("contact")
    with database.atomic():
        attempt.outcome, attempt.hangup_cause, attempt.ended_at = outcome, cause, now
        attempt.save()
        if contact_id is not None:
            (Contact.update(status="retry", next_attempt_at=retry_at, lease_owner="", lease_until=None,
                            attempts=peewee.Case(None, [(Contact.attempts > 0, Contact.attempts - 1)], 0))
             .where(pk(Contact) == contact_id).execute())


def recycle(campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Reopen unreached contacts last tried more than ``campaign.recycle_days`` ago."""
    if not campaign.recycle_days:
        return 0
    now = now or utcnow()
    return reopen_unreached(campaign, older_than=now - dt.timedelta(days=campaign.recycle_days))
