"""Working-time windows: a campaign's dates and weekly hour grid, in its schedule's zone.

``hours`` maps a weekday (0 = Monday, as int or str) to ``[["09:00", "12:00"], ...]``.
A campaign without a schedule may dial at any hour; dates and holidays still apply.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from engine.campaigns.timeparse import in_window, parse_hhmm


def to_utc_aware(now: dt.datetime) -> dt.datetime:
    """Naive datetimes are UTC (the store's format); aware ones are converted."""
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def grid_open(hours: Mapping[Any, Sequence[Sequence[str]]], local: dt.datetime) -> bool:
    """True when the local time falls inside one of that weekday's ``[start, end)`` slots."""
    slots = hours.get(local.weekday(), hours.get(str(local.weekday()), []))
    moment = local.time()
    return any(in_window(moment, parse_hhmm(start), parse_hhmm(end)) for start, end in slots)


def campaign_open(now: dt.datetime, *, timezone: str = "UTC",
                  hours: Mapping[Any, Sequence[Sequence[str]]] | None = None,
                  holidays: Collection[dt.date] = (), start_date: dt.date | None = None,
                  end_date: dt.date | None = None) -> tuple[bool, str]:
    """Whether a campaign may dial at ``now``; the reason names the rule that says no."""
    local = to_utc_aware(now).astimezone(ZoneInfo(timezone))
    today = local.date()
    if start_date and today < start_date:
        return False, f"before start date {start_date.isoformat()}"
    if end_date and today > end_date:
        return False, f"after end date {end_date.isoformat()}"
    if today in holidays:
        return False, f"holiday {today.isoformat()}"
    if hours is not None and not grid_open(hours, local):
        return False, f"outside the hour grid ({local:%a %H:%M} {timezone})"
    return True, "open"


def campaign_schedule_open(campaign: Any, now: dt.datetime) -> tuple[bool, str]:
    """:func:`campaign_open` for a stored Campaign (reads its Schedule and holidays)."""
    schedule = campaign.schedule
    if schedule is None:
        return campaign_open(now, start_date=campaign.start_date, end_date=campaign.end_date)
    holidays = {h.day for h in schedule.holidays}
    return campaign_open(now, timezone=schedule.timezone, hours=schedule.hours, holidays=holidays,
                         start_date=campaign.start_date, end_date=campaign.end_date)
