"""Inbound over SIP on a real FreeSWITCH: DID → IVR menu (RFC 2833 DTMF) → queue → agent phone.

Every assertion reads what an operator would: the store (CDR, agent intervals, recordings),
the recording file (measured with sox) and the switch itself.
"""
from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
import shutil
import subprocess

import pytest

from tests.e2e.harness import Stack, wait_until

pytestmark = pytest.mark.timeout(300)


def _seconds(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def _sox(path: pathlib.Path) -> tuple[float, float]:
    """(duration in seconds, RMS amplitude 0..1) of a WAV, measured by sox."""
    duration = float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True,
                                    check=True).stdout)
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    rms = float(re.search(r"RMS\s+amplitude:\s+([0-9.]+)", stat).group(1))  # type: ignore[union-attr]
    return duration, rms


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox measures the recording (make test installs it)")
def test_ivr_menu_queue_agent_with_recording(stack: Stack, ready_agents: list[str]) -> None:
    with stack.calling("8001", talk_ms=14000, dtmf="1", dtmf_delay_ms=2500) as caller:
        answered = wait_until(lambda: next((e for e in ready_agents if stack.agent_state(e)["state"] == "in_call"),
                                           None), 60, "an agent to take the call")
        leg = wait_until(lambda: stack.leg_of(answered), 30, f"agent {answered}'s channel")
        # The agent's phone echoes RTP: a tone sent to it comes back, so both directions of
        # the recorded call carry audio only if RTP really flows through the bridge.
        assert stack.fs_cli(f"uuid_displace {leg['uuid']} start tone_stream://%(400,100,440);loops=-1 0 mux").startswith("+OK")
        output, _ = caller.communicate(timeout=120)
    assert "successful=1" in output, output
    stack.wait_idle()

    cdrs = stack.query("SELECT call_uuid, direction, destination_number, caller_number, legs, hangup_cause "
                       "FROM cdr ORDER BY id")
    call = next(row for row in cdrs if row[2] == "8001")
    uuid, direction, _, caller_number, legs_json, cause = call
    assert direction == "inbound" and caller_number.startswith("1555") and cause == "NORMAL_CLEARING"
    legs = json.loads(legs_json)
    agent_leg = next(leg for leg in legs if leg["role"] == "agent" and leg["answered"])
    # DID 8001 reaches the queue only through the menu's key 1 (no input hangs up), so an
    # agent leg from queue "support" proves the RFC 2833 digit reached the IVR.
    assert agent_leg["queue"] == "support" and agent_leg["outcome"] == "connected"

    # Agent intervals: reserved → ringing → in_call → available, contiguous, for this call.
    agent_id = agent_leg["agent_id"]
    intervals = stack.query("SELECT state, call_uuid, started_at, ended_at FROM agent_state_interval "
                            "WHERE agent_id = ? ORDER BY id", agent_id)
    states = [row[0] for row in intervals]
    assert states[-4:] == ["reserved", "ringing", "in_call", "available"], states
    for before, after in zip(intervals[-4:], intervals[-3:], strict=False):
        assert before[3] == after[2]  # each interval ends where the next begins
    in_call = intervals[-2]
    assert in_call[1] == uuid
    talk = _seconds(in_call[2], in_call[3])

    recordings = stack.query("SELECT path, duration_seconds FROM recording WHERE call_uuid = ?", uuid)
    assert len(recordings) == 1
    path = pathlib.Path(recordings[0][0])
    duration, rms = _sox(path)
    # The recording spans the bridged talk (the switch's samples, not our clock): it starts
    # with the bridge and stops at hang-up, so it is neither empty nor longer than the talk.
    assert 0.8 * talk <= duration <= talk + 1.0, (duration, talk)
    assert abs(recordings[0][1] - duration) <= 1.0
    assert rms > 0.01, f"recording is silent (RMS {rms})"


def test_wait_with_fscc_music_then_voicemail(stack: Stack) -> None:
    """Queue "overflow" has no agents: the caller hears fscc's MOH, then leaves a message."""
    stack.wait_idle()
    # mod_local_stream serves `local_stream://moh` from fscc's sounds (rendered config).
    moh = stack.fs_cli("local_stream show moh")
    assert "sounds/moh" in moh and "ready:    true" in moh, moh
    with stack.calling("8003", talk_ms=16000) as caller:
        waiting = wait_until(lambda: stack.channel_running("playback"), 30, "the caller to wait in the queue")
        assert waiting["application_data"] == "local_stream://moh"
        recording = wait_until(lambda: stack.channel_running("voicemail"), 30, "the overflow to voicemail")
        # The caller "speaks": a tone mixed into what the switch reads from the caller's leg
        # (displace flags m+r), as a voice would arrive, for mod_voicemail to record.
        assert stack.fs_cli(f"uuid_displace {recording['uuid']} start tone_stream://%(400,100,440);loops=-1 0 mr"
                            ).startswith("+OK")
        output, _ = caller.communicate(timeout=120)
    assert "successful=1" in output, output
    stack.wait_idle()
    box = stack.fs_run / "storage" / "voicemail" / "default" / "127.0.0.1" / "1000"
    messages = sorted(box.glob("*.wav"))
    assert len(messages) == 1, f"no voicemail message in {box}:\n{stack.fs_log_tail()}"
    assert "Opening Stream [moh" in (stack.fs_run / "log" / "freeswitch.log").read_text(errors="replace")
    cdr = stack.query("SELECT hangup_cause, legs FROM cdr WHERE destination_number = '8003'")
    assert cdr and cdr[0][0] == "NORMAL_CLEARING"
