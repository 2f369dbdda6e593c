"""Media semantics: real WAV durations, recorded files, digits, machine detection."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from engine.esl.event import Event
from simswitch.media import play_length, write_wav
from simswitch.scenario import BUNDLE_MODULES, parse_scenario
from simswitch.switch import SimSwitch
from tests.simswitch.client import Client, named


def sendmsg(client: Client, uuid: str, app: str, arg: str = "", event_uuid: str = "") -> str:
    lines = [f"sendmsg {uuid}", "call-command: execute", f"execute-app-name: {app}"]
    if arg:
        lines.append(f"execute-app-arg: {arg}")
    if event_uuid:
        lines.append(f"Event-UUID: {event_uuid}")
    return client.command("\n".join(lines))


def sim_seconds(start: Event, stop: Event) -> float:
    return (int(stop.get("Event-Date-Timestamp") or 0)
            - int(start.get("Event-Date-Timestamp") or 0)) / 1e6


@pytest.fixture
def line():
    scenario = parse_scenario({"customers": [
        {"prefix": "1", "ring_time": 0.1, "talk_time": 3600, "dtmf": ["42#"]},
        {"prefix": "9", "ring_time": 0.1, "talk_time": 3600, "machine": 1.0, "greeting": 3}],
        "modules": [*BUNDLE_MODULES, "mod_amd"]})  # amd needs mod_amd, which the bundle lacks
    sim = SimSwitch(port=0, scenario=scenario, speed=10.0).start()
    client = Client(sim.port)
    client.command("event plain ALL")
    yield client
    client.close()
    sim.stop()


def call(client: Client, number: str) -> str:
    reply = client.api(f"originate sofia/gateway/gw/{number} &park()")
    assert reply.startswith("+OK "), reply
    uuid = reply[4:].strip()
    client.wait_event(named("CHANNEL_PARK", Unique_ID=uuid))
    return uuid


def test_play_length_of_streams_and_wav(tmp_path: Path) -> None:
    path = tmp_path / "prompt.wav"
    write_wav(str(path), 1.5)
    assert play_length(str(path)) == (1.5, "")
    assert play_length("tone_stream://%(200,100,440);loops=3") == (pytest.approx(0.9),
                                                                   "tone_stream")
    assert play_length("silence_stream://250") == (0.25, "silence_stream")
    assert play_length(str(tmp_path / "missing.wav")) == (None, "")


def test_playback_lasts_the_wav_duration(line: Client, tmp_path: Path) -> None:
    prompt = tmp_path / "welcome.wav"
    write_wav(str(prompt), 2.0, tone_hz=440)
    uuid = call(line, "1555")
    assert sendmsg(line, uuid, "playback", str(prompt), "play-1") == "+OK"
    start = line.wait_event(named("PLAYBACK_START", Unique_ID=uuid))
    stop = line.wait_event(named("PLAYBACK_STOP", Unique_ID=uuid))
    assert stop.get("Playback-Status") == "done"
    assert stop.get("Playback-File-Path") == str(prompt)
    assert 1.9 <= sim_seconds(start, stop) <= 2.6
    done = line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="play-1"))
    assert done.get("Application-Response") == "FILE PLAYED"


def test_missing_file_is_reported(line: Client, tmp_path: Path) -> None:
    uuid = call(line, "1555")
    sendmsg(line, uuid, "playback", str(tmp_path / "nope.wav"), "play-2")
    done = line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="play-2"))
    assert done.get("Application-Response") == "FILE NOT FOUND"


def test_uuid_record_writes_a_real_wav(line: Client, tmp_path: Path) -> None:
    path = tmp_path / "rec" / "call.wav"
    uuid = call(line, "1555")
    assert line.api(f"uuid_record {uuid} start {path}") == "+OK Success\n"
    line.wait_event(named("RECORD_START", Unique_ID=uuid))
    sendmsg(line, uuid, "sleep", "1000", "sleep-1")
    line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="sleep-1"))
    assert line.api(f"uuid_record {uuid} stop {path}") == "+OK Success\n"
    stop = line.wait_event(named("RECORD_STOP", Unique_ID=uuid))
    assert stop.get("Record-File-Path") == str(path)
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == 8000
        assert wav.getnframes() >= 8000 * 0.9


def test_record_session_file_is_written_at_hangup(line: Client, tmp_path: Path) -> None:
    path = tmp_path / "session.wav"
    uuid = call(line, "1555")
    sendmsg(line, uuid, "record_session", str(path))
    line.wait_event(named("RECORD_START", Unique_ID=uuid))
    line.api(f"uuid_kill {uuid}")
    line.wait_event(named("RECORD_STOP", Unique_ID=uuid))
    assert path.exists() and wave.open(str(path)).getnchannels() == 1


def test_play_and_get_digits_uses_the_scripted_dtmf(line: Client) -> None:
    uuid = call(line, "1555")
    sendmsg(line, uuid, "play_and_get_digits",
            "1 4 1 3000 # silence_stream://200 silence_stream://100 choice \\d+", "pagd-1")
    done = line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="pagd-1"))
    assert done.get("variable_choice") == "42"
    assert done.get("variable_read_result") == "success"
    digits = [e.get("DTMF-Digit") for e in line.events("DTMF") if e.get("Unique-ID") == uuid]
    assert digits == ["4", "2", "#"]


def test_uuid_recv_dtmf_feeds_play_and_get_digits(line: Client) -> None:
    uuid = call(line, "9555")  # the machine presses nothing
    sendmsg(line, uuid, "play_and_get_digits",
            "2 2 1 5000 # silence_stream://100 silence_stream://100 pin \\d+", "pagd-2")
    line.wait_event(named("CHANNEL_EXECUTE", Application_UUID="pagd-2"))
    assert line.api(f"uuid_recv_dtmf {uuid} 77") == f"+OK {uuid} received DTMF 77.\n"
    done = line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="pagd-2"))
    assert done.get("variable_pin") == "77"


def test_amd_and_avmd_detect_the_answering_machine(line: Client) -> None:
    machine = call(line, "9555")
    sendmsg(line, machine, "amd", "", "amd-1")
    done = line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="amd-1"))
    assert done.get("variable_amd_result") == "MACHINE"
    line.command("event plain CUSTOM avmd::beep")
    sendmsg(line, machine, "avmd_start")
    beep = line.wait_event(named("CUSTOM", Event_Subclass="avmd::beep"))
    assert beep.get("Unique-ID") == machine
    assert beep.get("Beep-Status") == "DETECTED"
    human = call(line, "1555")
    sendmsg(line, human, "amd", "", "amd-2")
    done = line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="amd-2"))
    assert done.get("variable_amd_result") == "HUMAN"


def test_relative_prompts_resolve_against_sound_prefix(line: Client, tmp_path: Path) -> None:
    (tmp_path / "ivr").mkdir()
    write_wav(str(tmp_path / "ivr" / "hello.wav"), 0.5)
    line.api(f"global_setvar sound_prefix={tmp_path}")
    uuid = call(line, "1555")
    sendmsg(line, uuid, "playback", "ivr/hello.wav", "rel-1")
    done = line.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="rel-1"))
    assert done.get("Application-Response") == "FILE PLAYED"
