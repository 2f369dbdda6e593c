"""Originate results and hangup causes -> how an offer ended."""
from __future__ import annotations

import pytest

from engine.acd.switchops import job_failure_cause, offer_outcome


@pytest.mark.parametrize(("body", "cause", "outcome"), [
    ("+OK 0d39a2c4-f199-4687-97a9-799746a79561\n", None, None),
    ("-ERR USER_BUSY\n", "USER_BUSY", "busy"),
    ("-ERR NO_ANSWER\n", "NO_ANSWER", "no_answer"),
    ("-ERR CALL_REJECTED\n", "CALL_REJECTED", "rejected"),
    ("-ERR USER_NOT_REGISTERED\n", "USER_NOT_REGISTERED", "unregistered"),
    ("-ERR SUBSCRIBER_ABSENT\n", "SUBSCRIBER_ABSENT", "unregistered"),
    ("-ERR ORIGINATOR_CANCEL\n", "ORIGINATOR_CANCEL", "cancelled"),
    ("-ERR CHAN_NOT_IMPLEMENTED\n", "CHAN_NOT_IMPLEMENTED", "failed"),
    ("-USAGE: <call url> ...\n", "FAILURE", "failed"),
])
def test_failed_originates_map_to_offer_outcomes(body: str, cause: str | None, outcome: str | None) -> None:
    assert job_failure_cause(body) == cause
    if cause is not None:
        assert offer_outcome(cause) == outcome
