"""What an attempt's end means, and the abandon rates computed from Attempt rows.

:func:`classify` turns a FreeSWITCH hangup cause (plus whether it was answered, the AMD
result and how long it rang) into an attempt outcome. :func:`abandon_rates` is what the
control plane shows and the pacer reads: abandoned / answered-by-a-human, for the day
(UTC calendar day of ``now``) and the last 30 days.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from engine.campaigns.sql import pk, rows
from engine.campaigns.windows import to_utc_aware
from engine.store import Attempt, Campaign

BUSY_CAUSES = frozenset({"USER_BUSY"})
NO_ANSWER_CAUSES = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "PROGRESS_TIMEOUT"})
INVALID_CAUSES = frozenset({"UNALLOCATED_NUMBER", "INVALID_NUMBER_FORMAT", "NO_ROUTE_DESTINATION", "NUMBER_CHANGED",
                            "NO_ROUTE_TRANSIT_NET", "INCOMPATIBLE_DESTINATION", "REDIRECTION_TO_NEW_DESTINATION"})
REJECTED_CAUSES = frozenset({"CALL_REJECTED", "USER_CHALLENGE"})
MACHINE_RESULTS = frozenset({"machine", "MACHINE", "fax", "FAX"})


def classify(cause: str, *, answered: bool, amd_result: str = "", abandoned: bool = False,
             ring_seconds: float = 0.0, ring_timeout: float = 30.0, early_media: bool = False) -> str:
    """The attempt outcome for a hangup (one of ``engine.store.OUTCOMES``).

    ORIGINATOR_CANCEL counts as no answer only once the ring timeout has passed (we gave
    up on an unanswered call); earlier it is our own cancel and counts as failed. An
    unanswered call that played early media (an operator announcement or SIT tone) and
    then failed without a busy/no-answer/rejected cause is an invalid number.
    """
    if answered:
        if amd_result in MACHINE_RESULTS:
            return "machine"
        return "abandoned" if abandoned else "answered"
    cause = (cause or "").upper()
    if cause in BUSY_CAUSES:
        return "busy"
    if cause in NO_ANSWER_CAUSES:
        return "no_answer"
    if cause == "ORIGINATOR_CANCEL":
        return "no_answer" if ring_seconds >= ring_timeout - 0.5 else "failed"
    if cause in INVALID_CAUSES:
        return "invalid"
    if cause in REJECTED_CAUSES:
        return "rejected"
    return "invalid" if early_media else "failed"


@dataclass(frozen=True)
class AbandonRates:
    """Abandons over human answers, today and over the last 30 days (0.0 with no answers)."""

    answered_today: int
    abandoned_today: int
    answered_30d: int
    abandoned_30d: int

    @property
    def today(self) -> float:
        return self.abandoned_today / self.answered_today if self.answered_today else 0.0

    @property
    def last_30_days(self) -> float:
        return self.abandoned_30d / self.answered_30d if self.answered_30d else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"answered_today": self.answered_today, "abandoned_today": self.abandoned_today,
                "rate_today": round(self.today, 4), "answered_30d": self.answered_30d,
                "abandoned_30d": self.abandoned_30d, "rate_30d": round(self.last_30_days, 4)}


def abandon_rates(campaign: Campaign | int, now: dt.datetime) -> AbandonRates:
    """Abandon rate of ``campaign`` for the day of ``now`` (UTC) and the 30 days before ``now``.

    Human answers are attempts answered and not classified as machines; abandons are
    attempts flagged ``abandoned`` (answered, no agent within 2 s).
    """
    campaign_id = campaign if isinstance(campaign, int) else campaign.id
    now = to_utc_aware(now).replace(tzinfo=None)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = min(day_start, now - dt.timedelta(days=30))
    human = Attempt.answered_at.is_null(False) & (Attempt.outcome != "machine")
    today = peewee.Case(None, [(Attempt.created_at >= day_start, 1)], 0)
    abandoned = peewee.Case(None, [(Attempt.abandoned == True, 1)], 0)  # noqa: E712
    recent = Attempt.created_at > now - dt.timedelta(days=30)
    query = (Attempt.select(
        peewee.fn.SUM(today), peewee.fn.SUM(today * abandoned),
        peewee.fn.SUM(peewee.Case(None, [(recent, 1)], 0)),
        peewee.fn.SUM(peewee.Case(None, [(recent, 1)], 0) * abandoned), peewee.fn.COUNT(pk(Attempt)))
        .where((Attempt.campaign == campaign_id) & human & (Attempt.created_at >= since)
               & (Attempt.created_at <= now)))
    values = next(iter(rows(query)), (0, 0, 0, 0, 0))
    answered_today, abandoned_today, answered_30d, abandoned_30d = (int(v or 0) for v in values[:4])
    return AbandonRates(answered_today, abandoned_today, answered_30d, abandoned_30d)
