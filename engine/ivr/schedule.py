"""Pure time-condition routing: a moment in, a target out (no clock reads here)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import datetime
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_holiday(local: datetime, holidays: list[str]) -> bool:
    """True if the local date is listed (YYYY-MM-DD, or MM-DD for every year)."""
    full = local.strftime("%Y-%m-%d")
    yearly = local.strftime("%m-%d")
    return any(day in (full, yearly) for day in holidays)


def pick_target(spec: Mapping[str, Any], moment: datetime) -> tuple[str, str]:
    """Target of a `time` node at `moment` (aware datetime), with the reason for the step log.

    Holidays win (target `holiday`, else `closed`); then the first schedule whose days include
    the local weekday and whose [from, to) window holds the local time; else `closed`.
    """
    if moment.tzinfo is None:
        raise ValueError("time conditions need an aware datetime (with a time zone)")
    local = moment.astimezone(zoneinfo.ZoneInfo(spec["timezone"]))
    if is_holiday(local, list(spec.get("holidays") or [])):
        return spec.get("holiday") or spec["closed"], f"holiday {local:%Y-%m-%d}"
    weekday = WEEKDAYS[local.weekday()]
    minute = local.hour * 60 + local.minute
    for schedule in spec["schedules"]:
        if weekday in schedule["days"] and _minutes(schedule["from"]) <= minute < _minutes(schedule["to"]):
            return schedule["next"], f"open {weekday} {local:%H:%M}"
    return spec["closed"], f"closed {weekday} {local:%H:%M}"
