"""Small parsers for times people type: "HH:MM", durations ("45m", "3h", "2d", "1w")."""
from __future__ import annotations

import datetime as dt
import re

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_hhmm(text: str) -> dt.time:
    """Parse "HH:MM" (24 h, "24:00" allowed as end of day); ValueError names the problem."""
    if text == "24:00":
        return dt.time.max
    match = _HHMM.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a time as HH:MM (00:00-23:59)")
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_duration(text: str | int | float) -> int:
    """Seconds from an int or a string like "90", "45m", "3h", "2d", "1w"."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"{text!r} is negative")
        return int(text)
    stripped = str(text).strip()
    if stripped.isdigit():
        return int(stripped)
    match = _DURATION.match(stripped)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90, 45m, 3h, 2d or 1w")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


def in_window(local: dt.time, start: dt.time, end: dt.time) -> bool:
    """True when ``start <= local < end`` (windows never wrap past midnight)."""
    return start <= local < end
