"""What we can tell about a caller from their number: region code and geocoded place."""
from __future__ import annotations

import functools

import phonenumbers
from phonenumbers import geocoder


@functools.lru_cache(maxsize=4096)
def caller_regions(number: str, default_region: str = "US") -> tuple[str, ...]:
    """``("GB", "London")``-style tags for routing; empty when the number is not valid."""
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException:
        return ()
    if not phonenumbers.is_valid_number(parsed):
        return ()
    tags = [phonenumbers.region_code_for_number(parsed) or ""]
    place = geocoder.description_for_number(parsed, "en")
    if place:
        tags.append(place)
        tags.extend(part.strip() for part in place.split(",") if part.strip() and part.strip() != place)
    return tuple(tag for tag in tags if tag)


@functools.lru_cache(maxsize=65536)
def normalise(number: str, default_region: str = "US") -> str:
    """E.164 when parseable, else the digits as given (for VIP and sticky lookups)."""
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException:
        return number.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
