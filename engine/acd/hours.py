"""Working hours: a weekly grid of "HH:MM" windows plus holidays, in one time zone."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class HoursError(ValueError):
    """A schedule field is malformed; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def _minutes(text: str, field_name: str) -> int:
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise HoursError(field_name, f"expected HH:MM, got {text!r}") from None
    if not 0 <= value <= 24 * 60 or int(minutes) >= 60:
        raise HoursError(field_name, f"time out of range: {text!r}")
    return value


@dataclass(frozen=True)
class OpeningHours:
    """When a queue or route is open; ``windows[weekday]`` lists [start, end) minutes."""

    timezone: str = "UTC"
    windows: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def build(cls, timezone: str, hours: Mapping[Any, Any], holidays: Iterable[dt.date] = (), where: str = "hours") -> OpeningHours:
        """From the store's shape: ``{"0": [["09:00", "17:00"]], ...}`` (0 = Monday)."""
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"{where}.timezone", f"unknown time zone {timezone!r}") from None
        windows: dict[int, tuple[tuple[int, int], ...]] = {}
        for day, spans in hours.items():
            try:
                weekday = int(day)
            except (TypeError, ValueError):
                raise HoursError(f"{where}.{day}", "weekday must be 0 (Monday) .. 6 (Sunday)") from None
            if not 0 <= weekday <= 6:
                raise HoursError(f"{where}.{day}", "weekday must be 0 (Monday) .. 6 (Sunday)")
            parsed = []
            for i, span in enumerate(spans or []):
                if not isinstance(span, (list, tuple)) or len(span) != 2:
                    raise HoursError(f"{where}.{day}[{i}]", "expected [start, end]")
                start, end = (_minutes(span[0], f"{where}.{day}[{i}]"), _minutes(span[1], f"{where}.{day}[{i}]"))
                if end <= start:
                    raise HoursError(f"{where}.{day}[{i}]", "end must be after start")
                parsed.append((start, end))
            windows[weekday] = tuple(parsed)
        return cls(timezone, windows, frozenset(holidays))

    @classmethod
    def from_schedule(cls, schedule: Any) -> OpeningHours:
        """From a ``Schedule`` row and its ``Holiday`` rows."""
        days = [h.day for h in schedule.holidays]
        return cls.build(schedule.timezone, schedule.hours or {}, days, where=f"schedule {schedule.name!r}")

    def is_open(self, epoch_seconds: float) -> bool:
        local = dt.datetime.fromtimestamp(epoch_seconds, zoneinfo.ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.windows.get(local.weekday(), ()))
