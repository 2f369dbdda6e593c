"""Caller ID selection: always a number, chosen the way the campaign says.

- ``fixed``: the campaign's number, unless the agent has their own (agent page/extension
  first, then campaign, as the hosted products do);
- ``forced``: the campaign's number, always;
- ``pool``: rotation through the approved numbers of the campaign's pool;
- ``local_presence``: the approved pool number whose ``area`` is the longest prefix of
  the callee's national number (e.g. "415"), else rotation through the pool.

When the pool is empty the campaign's fixed number is used; with nothing at all,
:class:`NoCallerId` is raised so the dialer never sends an anonymous call.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import phonenumbers
from phonenumbers import geocoder

from engine.store import CallerId, Campaign


class NoCallerId(LookupError):
    """The campaign has no usable caller ID (set a number or approve pool entries)."""


def national_number(phone: str) -> str:
    """The national significant number of an E.164 number ("" when it cannot be parsed)."""
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return ""


def number_region(phone: str, language: str = "en") -> str:
    """Where a number is from, for "number region lookup" (e.g. "San Francisco, CA")."""
    try:
        return str(geocoder.description_for_number(phonenumbers.parse(phone, None), language))
    except phonenumbers.NumberParseException:
        return ""


class CallerIdPicker:
    """Chooses the caller ID for each attempt of one campaign; keeps the pool rotation."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self._pool: list[tuple[str, str]] | None = None
        self._rotation: Iterator[int] = itertools.count()

    def reload(self) -> None:
        """Forget the cached pool (after numbers are approved or removed)."""
        self._pool = None

    def pool(self) -> list[tuple[str, str]]:
        """Approved (number, area) pairs of the campaign's pool, in a stable order."""
        if self._pool is None:
            name = self.campaign.caller_id_pool
            query = (CallerId.select(CallerId.number, CallerId.area)
                     .where((CallerId.pool == name) & (CallerId.approved == True))  # noqa: E712
                     .order_by(CallerId.number))
            self._pool = [(c.number, c.area or "") for c in query] if name else []
        return self._pool

    def pick(self, callee: str, agent_number: str = "") -> str:
        """The caller ID for a call to ``callee``; raises NoCallerId when none can be set."""
        mode = self.campaign.caller_id_mode
        fixed = self.campaign.caller_id_number
        if mode == "forced" and fixed:
            return str(fixed)
        if mode == "fixed":
            if agent_number or fixed:
                return agent_number or str(fixed)
            raise NoCallerId(f"campaign {self.campaign.name!r}: no caller ID number set")
        pool = self.pool()
        if mode == "local_presence" and pool:
            national = national_number(callee)
            matches = [(len(area), number) for number, area in pool if area and national.startswith(area)]
            if matches:
                best = max(length for length, _ in matches)
                local = [number for length, number in matches if length == best]
                return local[next(self._rotation) % len(local)]
        if pool:
            return pool[next(self._rotation) % len(pool)][0]
        if fixed:
            return str(fixed)
        raise NoCallerId(f"campaign {self.campaign.name!r}: pool {self.campaign.caller_id_pool!r} has no approved number")
