"""Trunk health: a trunk whose calls fail at once is backed off, not hammered.

A call that fails before any ring, answer or early media with a cause from
:data:`TRUNK_CAUSES` never reached the customer: the trunk (gateway, carrier, our own
switch) failed, not the callee. Customer causes (USER_BUSY, NO_ANSWER, UNALLOCATED_NUMBER,
CALL_REJECTED...) are never trunk failures. Such an attempt ends ``trunk_failed``; the
contact goes back to be dialed once the trunk is due again, with its attempt counter and its
per-number daily cap untouched (:func:`engine.campaigns.claims.finish_unplaced`).

Per trunk (the campaign's ``trunk`` row's gateway, ``default`` without one) the dialer waits
``first_seconds`` after the first failure, doubling per further failure in a row up to
``max_seconds`` (:data:`TRUNK_BACKOFF_SECONDS` 5 s, :data:`TRUNK_BACKOFF_MAX_SECONDS` 300 s);
a call that rings or is answered resets it. Time is always an argument.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

TRUNK_CAUSES = frozenset({
    "NORMAL_TEMPORARY_FAILURE", "DESTINATION_OUT_OF_ORDER", "GATEWAY_DOWN", "NETWORK_OUT_OF_ORDER",
    "RECOVERY_ON_TIMER_EXPIRE", "SWITCH_CONGESTION", "NORMAL_CIRCUIT_CONGESTION", "INVALID_GATEWAY",
    "SERVICE_UNAVAILABLE", "CHAN_NOT_IMPLEMENTED", "BEARERCAPABILITY_NOTAVAIL", "REQUESTED_CHAN_UNAVAIL",
})
TRUNK_BACKOFF_SECONDS = 5.0
TRUNK_BACKOFF_MAX_SECONDS = 300.0


def trunk_failure(cause: str, *, rang: bool) -> bool:
    """True when a call that ended with ``cause`` failed on the trunk (never rang or answered)."""
    return not rang and (cause or "").upper() in TRUNK_CAUSES


@dataclass
class _Trunk:
    failures: int = 0
    until: dt.datetime | None = None


class TrunkBackoff:
    """Exponential, capped back-off per trunk; see the module docstring."""

    def __init__(self, first_seconds: float = TRUNK_BACKOFF_SECONDS,
                 max_seconds: float = TRUNK_BACKOFF_MAX_SECONDS) -> None:
        if not 0 < first_seconds <= max_seconds:
            raise ValueError(f"need 0 < first_seconds <= max_seconds, got {first_seconds}, {max_seconds}")
        self.first_seconds = first_seconds
        self.max_seconds = max_seconds
        self._trunks: dict[str, _Trunk] = {}

    def failed(self, trunk: str, cause: str, now: dt.datetime) -> dt.datetime:
        """Record a failure; returns when the trunk may be tried again (logged as a WARNING)."""
        state = self._trunks.setdefault(trunk, _Trunk())
        state.failures += 1
        wait = min(self.first_seconds * 2 ** (state.failures - 1), self.max_seconds)
        until = now + dt.timedelta(seconds=wait)
        state.until = max(state.until or until, until)
        log.warning("trunk %s failing (%s, %d in a row): no calls on it for %.0f s", trunk, cause, state.failures,
                    wait)
        return state.until

    def worked(self, trunk: str) -> None:
        """A call on the trunk rang or was answered: the trunk is fine again."""
        if self._trunks.pop(trunk, None) is not None:
            log.info("trunk %s carries calls again", trunk)

    def blocked_until(self, trunk: str, now: dt.datetime) -> dt.datetime | None:
        """When the trunk may be used again, or None when it may be used now."""
        state = self._trunks.get(trunk)
        if state is None or state.until is None or state.until <= now:
            return None
        return state.until
