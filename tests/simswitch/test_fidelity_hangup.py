"""What a dialer reads from a hang-up, measured on the real switch (needs the SIP peers of
tests/fixtures/fs-overlay there) and checked on `esl_target`."""

from __future__ import annotations

from uuid import uuid4

import pytest

from engine.esl.event import Event
from tests.simswitch.client import Client, named
from tests.simswitch.conftest import Target

SIP_FAILURES = [
    # dial string, originate reply, variables on CHANNEL_HANGUP (None: absent there),
    # variables on CHANNEL_HANGUP_COMPLETE
    ("sofia/external/fscc_busy@127.0.0.1:5080", "-ERR USER_BUSY\n",
     {"sip_hangup_disposition": "recv_refuse", "sip_invite_failure_status": "486",
      "sip_invite_failure_phrase": "Busy Here",
      "sip_reason": 'Q.850;cause=17;text="USER_BUSY"', "sip_term_status": "486",
      "proto_specific_hangup_cause": "sip:486", "sip_term_cause": "17"}, None),
    ("{originate_timeout=5}sofia/internal/nobody@127.0.0.1:5999",
     "-ERR NORMAL_TEMPORARY_FAILURE\n",
     {"sip_hangup_disposition": "recv_refuse", "sip_invite_failure_status": "503",
      "sip_invite_failure_phrase": "Service Unavailable", "sip_reason": None,
      "sip_term_status": "503", "proto_specific_hangup_cause": "sip:503",
      "sip_term_cause": "41"}, None),
    ("{originate_timeout=2}sofia/external/fscc_ring@127.0.0.1:5080", "-ERR NO_ANSWER\n",
     {"sip_hangup_disposition": None, "sip_invite_failure_status": None},
     {"sip_hangup_disposition": "send_cancel", "sip_invite_failure_status": "487",
      "sip_invite_failure_phrase": "CANCEL", "sip_term_status": None}),
]


def _dial(dial: str, uuid: str) -> str:
    if dial.startswith("{"):
        return "{origination_uuid=" + uuid + "," + dial[1:]
    return "{origination_uuid=" + uuid + "}" + dial


def _variables(event: Event, wanted: dict[str, str | None]) -> dict[str, str | None]:
    return {name: event.get(f"variable_{name}") for name in wanted}


@pytest.mark.parametrize(("dial", "reply", "on_hangup", "on_complete"), SIP_FAILURES)
def test_failed_sip_originate_reports_the_sip_failure(
        esl_target: Target, dial: str, reply: str, on_hangup: dict[str, str | None],
        on_complete: dict[str, str | None] | None) -> None:
    client = Client(esl_target.port, esl_target.password, esl_target.host)
    client.command("event plain CHANNEL_HANGUP CHANNEL_CALLSTATE CHANNEL_HANGUP_COMPLETE")
    uuid = str(uuid4())
    assert client.api(f"originate {_dial(dial, uuid)} &park()", timeout=30) == reply
    complete = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid), 30)
    hangup = client.wait_event(named("CHANNEL_HANGUP", Unique_ID=uuid))
    client.close()
    assert _variables(hangup, on_hangup) == on_hangup
    # A refusal without ringing (486 busy, 503) leaves the call state DOWN; a peer that rang
    # (no answer, cancelled) says RINGING: a dialer tells "never rang" from these.
    rang = "fscc_ring" in dial
    assert hangup.get("Channel-Call-State") == ("RINGING" if rang else "DOWN")
    expected = on_complete or on_hangup
    assert _variables(complete, expected) == expected
    # the hang-up time is stamped after CHANNEL_HANGUP
    assert hangup.get("Caller-Channel-Hangup-Time") == "0"
    assert complete.get("Caller-Channel-Hangup-Time") != "0"


def test_loopback_legs_say_is_loopback_and_stamp_hangup_after_the_event(
        esl_target: Target) -> None:
    client = Client(esl_target.port, esl_target.password, esl_target.host)
    client.command("event plain CHANNEL_HANGUP CHANNEL_CALLSTATE CHANNEL_HANGUP_COMPLETE")
    uuid = client.api("originate loopback/esl_echo &park()")[4:].strip()
    client.api(f"uuid_kill {uuid}")
    complete = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid))
    hangup = client.wait_event(named("CHANNEL_HANGUP", Unique_ID=uuid))
    callstate = client.wait_event(named("CHANNEL_CALLSTATE", Unique_ID=uuid,
                                        Channel_Call_State="HANGUP"))
    other = complete.get("variable_other_loopback_leg_uuid") or ""
    b_leg = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=other))
    client.close()
    assert hangup.get("Caller-Channel-Hangup-Time") == "0"
    assert hangup.get("variable_is_loopback") is None
    assert callstate.get("Caller-Channel-Hangup-Time") != "0"
    assert complete.get("variable_is_loopback") == "1"
    assert b_leg.get("variable_is_loopback") == "1"
