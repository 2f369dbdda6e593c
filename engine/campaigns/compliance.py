"""Compliance, enforced where the attempt is made: may this number be dialed now?

:func:`check` gathers the facts from the store (DNC lists at global/team/campaign level,
attempts to the number in the last 24 h across campaigns, answered contacts in the last
30 days, the contact's attempts per outcome) and the callee's time zones from
phonenumbers, then :func:`decide` (pure) applies the campaign's rules:

- not on a blocking DNC list (red/black; grey too when the campaign says so);
- under the campaign's total and per-outcome attempt limits;
- under the cap on attempts per number per day across campaigns (a rolling 24 h, which
  is never looser than a calendar day);
- under the monthly (rolling 30 days) contact cap per customer, across campaigns;
- inside the callee's local window in *every* time zone the number may be in (a number
  with unknown zones is refused), and in "operators_and_clients" mode also inside the
  campaign's own schedule.

A refusal carries ``retry_at`` when waiting helps (the next time the window opens).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import peewee
import phonenumbers
from phonenumbers import timezone as pn_timezone

from engine.campaigns.dnc import blocked_numbers
from engine.campaigns.sql import rows
from engine.campaigns.timeparse import parse_hhmm
from engine.campaigns.windows import campaign_schedule_open, to_utc_aware
from engine.store import Attempt, Campaign, Contact
from engine.store.contacts import UNPLACED_OUTCOMES

UNKNOWN_ZONE = "Etc/Unknown"
ANSWERED_OUTCOMES = ("answered", "abandoned", "machine")


@dataclass(frozen=True)
class Verdict:
    """``allowed`` or not, why, and when trying again could succeed (None: not by waiting)."""

    allowed: bool
    reason: str
    retry_at: dt.datetime | None = None


ALLOWED = Verdict(True, "allowed")


@dataclass(frozen=True)
class Rules:
    """The campaign's compliance settings, as plain values."""

    window_start: dt.time
    window_end: dt.time
    max_attempts: int
    max_attempts_per_outcome: Mapping[str, int] = field(default_factory=dict)
    daily_attempts_per_number: int = 3
    monthly_contacts_per_customer: int = 0  # 0: no cap

    @classmethod
    def of(cls, campaign: Campaign) -> Rules:
        return cls(parse_hhmm(campaign.local_window_start), parse_hhmm(campaign.local_window_end),
                   int(campaign.max_attempts), dict(campaign.max_attempts_per_outcome or {}),
                   int(campaign.daily_attempts_per_number), int(campaign.monthly_contacts_per_customer))


@dataclass(frozen=True)
class Facts:
    """What the store and phonenumbers say about one contact and number at ``now``."""

    zones: tuple[str, ...]
    dnc_reason: str | None = None
    attempts: int = 0
    outcome_counts: Mapping[str, int] = field(default_factory=dict)
    attempts_24h: int = 0
    contacts_30d: int = 0
    operators_open: bool = True
    operators_reason: str = ""


@functools.lru_cache(maxsize=65536)
def callee_time_zones(phone: str) -> tuple[str, ...]:
    """Time zones phonenumbers gives for an E.164 number ("Etc/Unknown" when it cannot tell)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return (UNKNOWN_ZONE,)
    return tuple(pn_timezone.time_zones_for_number(number)) or (UNKNOWN_ZONE,)


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def window_open_everywhere(zones: Sequence[str], now: dt.datetime, start: dt.time, end: dt.time) -> bool:
    """True when ``start <= local time < end`` in every zone (and every zone is known)."""
    moment = to_utc_aware(now)
    if not zones or UNKNOWN_ZONE in zones:
        return False
    return all(start <= moment.astimezone(_zone(z)).time() < end for z in zones)


def next_window_opening(zones: Sequence[str], now: dt.datetime, start: dt.time, end: dt.time) -> dt.datetime | None:
    """The earliest time after ``now`` (naive UTC) when the window is open in every zone.

    Candidates are each zone's next local window starts over the coming week; None when
    the windows never overlap (or a zone is unknown).
    """
    if not zones or UNKNOWN_ZONE in zones:
        return None
    moment = to_utc_aware(now)
    candidates = []
    for name in zones:
        local = moment.astimezone(_zone(name))
        for days in range(8):
            day = local.date() + dt.timedelta(days=days)
            opening = dt.datetime.combine(day, start, tzinfo=_zone(name)).astimezone(dt.UTC)
            if opening > moment:
                candidates.append(opening)
    for candidate in sorted(candidates):
        if window_open_everywhere(zones, candidate, start, end):
            return candidate.replace(tzinfo=None)
    return None


def decide(facts: Facts, rules: Rules, now: dt.datetime) -> Verdict:
    """Apply the rules to the facts (pure); the first rule that says no gives the reason."""
    if facts.dnc_reason:
        return Verdict(False, f"dnc: {facts.dnc_reason}")
    if facts.attempts >= rules.max_attempts:
        return Verdict(False, f"attempt limit: {facts.attempts} of {rules.max_attempts}")
    for outcome, limit in rules.max_attempts_per_outcome.items():
        if limit and facts.outcome_counts.get(outcome, 0) >= limit:
            return Verdict(False, f"attempt limit for {outcome}: {facts.outcome_counts[outcome]} of {limit}")
    if facts.attempts_24h >= rules.daily_attempts_per_number:
        return Verdict(False, f"daily cap: {facts.attempts_24h} attempts to this number in 24 h",
                       retry_at=now + dt.timedelta(hours=1))
    if rules.monthly_contacts_per_customer and facts.contacts_30d >= rules.monthly_contacts_per_customer:
        return Verdict(False, f"monthly cap: {facts.contacts_30d} contacts in 30 days",
                       retry_at=now + dt.timedelta(days=1))
    if not facts.operators_open:
        return Verdict(False, f"operators' schedule: {facts.operators_reason}", retry_at=now + dt.timedelta(minutes=15))
    if not window_open_everywhere(facts.zones, now, rules.window_start, rules.window_end):
        if UNKNOWN_ZONE in facts.zones:
            return Verdict(False, "callee time zone unknown")
        return Verdict(False, f"outside the callee's local window ({', '.join(facts.zones)})",
                       retry_at=next_window_opening(facts.zones, now, rules.window_start, rules.window_end))
    return ALLOWED


def gather(contact: Contact, phone: str, campaign: Campaign, now: dt.datetime) -> Facts:
    """Read the facts :func:`decide` needs from the store (a few indexed queries)."""
    naive_now = to_utc_aware(now).replace(tzinfo=None)
    dnc = blocked_numbers(contact.phones if phone in contact.phones else [phone], campaign)
    outcome_counts: dict[str, int] = {}
    if contact.id:
        query = (Attempt.select(Attempt.outcome, peewee.fn.COUNT(Attempt.id))
                 .where((Attempt.contact == contact.id) & (Attempt.outcome != "")).group_by(Attempt.outcome))
        outcome_counts = {outcome: int(count) for outcome, count in rows(query)}
    attempts_24h = Attempt.select().where(  # calls never placed (trunk failed, switch lost) do not count
        (Attempt.phone == phone) & (Attempt.created_at > naive_now - dt.timedelta(hours=24))
        & Attempt.outcome.not_in(UNPLACED_OUTCOMES)).count()
    contacts_30d = 0
    if campaign.monthly_contacts_per_customer:
        contacts_30d = Attempt.select().where(
            Attempt.phone.in_(contact.phones) & Attempt.answered_at.is_null(False)
            & (Attempt.created_at > naive_now - dt.timedelta(days=30))).count()
    operators_open, operators_reason = True, ""
    if campaign.window_mode == "operators_and_clients":
        operators_open, operators_reason = campaign_schedule_open(campaign, naive_now)
    return Facts(callee_time_zones(phone), next(iter(dnc.values()), None), int(contact.attempts), outcome_counts,
                 attempts_24h, contacts_30d, operators_open, operators_reason)


def check(contact: Contact, phone: str, campaign: Campaign, now: dt.datetime) -> Verdict:
    """May ``campaign`` dial ``phone`` (one of ``contact``'s numbers) at ``now``?

    A DNC entry on any of the contact's numbers blocks the contact.
    """
    if contact.status == "dnc":
        return Verdict(False, "dnc: contact marked do-not-call")
    return decide(gather(contact, phone, campaign, now), Rules.of(campaign), now)
