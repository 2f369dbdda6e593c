"""Conference (f), call center (g) and SIP (i1/i2) transcripts against `esl_target`."""

from __future__ import annotations

import os

import pytest

from engine.esl.parser import Frame
from tests.simswitch.conftest import Target
from tests.simswitch.replay import Transcript, compare, event_key
from tests.simswitch.test_fidelity_inbound import TIMER_EVENTS, run


def _first_member_settled(frames: list) -> bool:
    """Leg 0 is in the room and has heard the failed MOH (floor-change seen)."""
    return any(f.event is not None and f.event.get("Action") == "floor-change" for f in frames)


def test_conference_matches(esl_target: Target) -> None:
    # The real client pipelined both originates; FreeSWITCH happened to settle the first
    # member (floor-change, MOH) before the second joined. We send the second originate
    # once that happened, so the order does not depend on thread timing.
    transcript, frames = run(esl_target, "f_conference", hold={4: _first_member_settled})
    diff = compare(transcript.frames, frames)
    assert diff.empty(), str(diff)


def members_of_this_run(text: str, frames: list[Frame]) -> str:
    """`callcenter_config queue list members`: drop rows of members that no event of this
    run names (CC-Member-UUID). mod_callcenter keeps abandoned members of earlier calls for
    `discard-abandoned-after` seconds, so the list carries the switch's history."""
    if not text.startswith("queue|instance_id|uuid|"):
        return text
    ours = {f.event.get("CC-Member-UUID") for f in frames if f.event is not None}
    lines = text.split("\n")
    rows = [line for line in lines[1:] if "|" in line and line.split("|")[2] in ours]
    return "\n".join([lines[0], *rows, *[line for line in lines[1:] if "|" not in line]])


HANGUP = frozenset({"CHANNEL_HANGUP_COMPLETE"})


def hangups_of(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f.event is not None and event_key(f) in HANGUP]


def forget_agent(target: Target) -> None:
    """Remove the capture's agent and tier, which a run that stopped half-way leaves."""
    from tests.simswitch.client import Client

    client = Client(target.port, target.password, target.host)
    client.api("callcenter_config tier del support@default agent1@default")
    client.api("callcenter_config agent del agent1@default")
    client.close()


def test_callcenter_matches(esl_target: Target, request: pytest.FixtureRequest) -> None:
    if esl_target.sim is not None:
        request.applymarker(pytest.mark.xfail(
            reason="mod_callcenter is not simulated: simswitch answers "
            "`-ERR callcenter_config Command not found!` like a FreeSWITCH without it",
            strict=True))
    if esl_target.sim is None:
        forget_agent(esl_target)
    # simswitch answers every command at once and then lacks the call's events: do not
    # wait for them there; the real switch gets the capture's pacing.
    wait = 0.3 if esl_target.sim is not None else 10.0
    transcript = Transcript.load("g_callcenter", ignore=TIMER_EVENTS)
    # The agent's loopback pair bows out at a moment of its own (often before `hupall`,
    # sometimes only with it): pacing does not count hangups; the agent is logged out once
    # every channel of the capture hung up, as in the real run.
    hangups = len(hangups_of(transcript.frames))
    logout = next(i for i, (_, data) in enumerate(transcript.sends) if b"Logged Out" in data)
    transcript, frames = run(esl_target, "g_callcenter", timeout=wait, final_wait=wait,
                             optional=HANGUP, hold={logout: lambda frames: len(
                                 hangups_of(frames)) >= hangups})
    # mod_callcenter's agent leg bows out of the loopback pair while the caller id of the
    # echo leg behind it is propagated: its caller id name may or may not be set by then.
    racy = {("channel loopback/esl_agent-a #1", "CHANNEL_HANGUP_COMPLETE"):
            {"Caller-Caller-ID-Name"}}
    diff = compare(transcript.frames, frames, rewrite=members_of_this_run, racy_headers=racy)
    assert diff.empty(), str(diff)


def test_callcenter_answers_like_missing_module(esl_target: Target) -> None:
    if esl_target.sim is None:
        pytest.skip("real FreeSWITCH has mod_callcenter")
    from tests.simswitch.client import Client

    client = Client(esl_target.port)
    assert client.api("callcenter_config queue list") == \
        "-ERR callcenter_config Command not found!\n"
    assert client.command("event plain CUSTOM callcenter::info") == \
        "+OK event listener enabled plain"
    client.close()


def test_sip_call_to_uas_matches(esl_target: Target) -> None:
    # simswitch plays the SIPp UAS: the scenario answers `sipp` after 50 ms. Against a real
    # FreeSWITCH, `sipp -sn uas` must listen on 192.0.2.2:5070 as in the capture.
    if esl_target.sim is None and not os.environ.get("FSCC_SIPP_UAS"):
        pytest.skip("real FreeSWITCH run needs a SIPp UAS (set FSCC_SIPP_UAS=1)")
    transcript, frames = run(esl_target, "i1_sip_call_fs_to_sipp_uas")
    diff = compare(transcript.frames, frames, skip_events={"HEARTBEAT", "RE_SCHEDULE"})
    assert diff.empty(), str(diff)


def test_inbound_sip_call_matches_uac_capture(esl_target: Target) -> None:
    """i2: an inbound SIP call to 9196 (answer, echo), the caller hangs up after 3 s.

    The capture's call came from SIPp; here simswitch's own injection API creates it, so
    this test only runs against simswitch.
    """
    if esl_target.sim is None:
        pytest.skip("the call is injected with the simswitch_inbound API")
    from tests.simswitch.client import Client, named
    from tests.simswitch.replay import Transcript

    transcript = Transcript.load("i2_sip_call_sipp_uac_to_fs")
    client = Client(esl_target.port)
    client.command("event plain ALL")
    reply = client.api("simswitch_inbound 9196 sipp 3")
    uuid = reply[4:].strip()
    client.wait_event(named("CHANNEL_DESTROY", Unique_ID=uuid))
    client.wait_event(named("CHANNEL_STATE", Unique_ID=uuid, Channel_State="CS_DESTROY"))
    frames = [f for f in client.conn.frames if f.content_type == "text/event-plain"]
    real = [f for f in transcript.frames if f.content_type == "text/event-plain"]
    # API (the dialplan's ${strftime()}), HEARTBEAT and RE_SCHEDULE are not part of the call.
    diff = compare(real, frames, skip_events={"API", "HEARTBEAT", "RE_SCHEDULE"})
    client.close()
    assert not diff.events, str(diff)
    assert not diff.headers, str(diff)


def test_bridge_events_carry_the_captured_headers(esl_target: Target) -> None:
    """CHANNEL_BRIDGE/UNBRIDGE of a `bridge` app (esl_agent → loopback/esl_echo) have the
    header names of the bridge in capture g (the call-center run)."""
    from tests.simswitch.client import Client, named
    from tests.simswitch.replay import Transcript, event_key, header_names

    real: dict[str, Frame] = {}
    for frame in Transcript.load("g_callcenter").frames:
        # the first bridge is the agent's plain `bridge`; later ones went through
        # mod_callcenter's transfer (Caller-Transfer-Source), which simswitch lacks
        if frame.content_type == "text/event-plain" and \
                event_key(frame) in ("CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE"):
            real.setdefault(event_key(frame), frame)
    client = Client(esl_target.port)
    client.command("event plain CHANNEL_BRIDGE CHANNEL_UNBRIDGE")
    client.api("originate loopback/esl_agent &park()")
    ours = {"CHANNEL_BRIDGE": client.wait_event(named("CHANNEL_BRIDGE"))}
    client.api("hupall")
    ours["CHANNEL_UNBRIDGE"] = client.wait_event(named("CHANNEL_UNBRIDGE"))
    client.close()
    for name, frame in real.items():
        want = {h for h in header_names(frame) if not h.startswith("variable_")}
        got = {h for h in ours[name].headers if not h.startswith("variable_")}
        assert want == got, f"{name}: missing {want - got} extra {got - want}"
