"""The interpreter over a scripted in-memory channel: every node type, errors, loop guard."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.ivr.channel import CallChannel
from engine.ivr.interpreter import Interpreter, StepRecord
from engine.ivr.loader import load_flow
from engine.ivr.tts import TtsCache
from engine.ivr.webhook import WebhookError
from tests.ivr.fake_channel import FakeChannel

EVERYTHING = r"""
name: everything
start: hours
vars: {first_name: friend}
nodes:
  hours:
    type: time
    timezone: Europe/Paris
    schedules: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00", next: hello}]
    holidays: ["12-25"]
    holiday: bye
    closed: closed
  hello:
    type: say
    text: "Hello {first_name}, calling from {caller_id_number}."
    voice: male
    next: chime
  chime:
    type: play
    tone: "%(200,0,800)"
    next: intro
  intro:
    type: play
    file: welcome.wav
    next: main
  main:
    type: menu
    prompt: menu.wav
    invalid_prompt: invalid.wav
    choices: {"1": account, "2": main}
    into: ivr_key
    timeout: 4
    retries: 2
    no_input: bye
  account:
    type: collect
    prompt: {say: "Enter your account number"}
    into: account
    min_digits: 4
    max_digits: 6
    pattern: '^\d{4,6}$'
    next: lookup
  lookup:
    type: webhook
    url: "http://crm.test/customers/{account}"
    method: GET
    result: {tier: customer.tier}
    status_into: crm_status
    next: mark
    on_error: mark
  mark:
    type: set
    vars: {route: "{tier}-{account}"}
    next: route
  route:
    type: branch
    conditions:
      - {var: tier, op: eq, value: gold, next: rate}
    default: bye
  rate:
    type: survey
    question: happy
    prompt: menu.wav
    answers: [Yes, No]
    next: message
  message:
    type: record
    max_seconds: 20
    into: message_path
    next: hop
  hop:
    type: goto
    next: vm
  vm:
    type: voicemail
    box: "{account}"
    max_seconds: 30
    next: handoff
  handoff:
    type: transfer
    to: number
    target: "+3312345{account}"
    on_failure: gold_queue
  gold_queue:
    type: queue
    queue: gold
    priority: 5
    on_failure: bye
  closed:
    type: hangup
    cause: USER_BUSY
  bye:
    type: hangup
    prompt: bye.wav
"""

WEDNESDAY_10H_PARIS = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CHRISTMAS = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)


def fake_synth(text: str, voice: str, language: str) -> bytes:
    return f"RIFF|{voice}|{language}|{text}".encode()


class Crm:
    """A fake HTTP client recording requests."""

    def __init__(self, reply=None, error: Exception | None = None) -> None:
        self.reply = reply if reply is not None else {"customer": {"tier": "gold"}}
        self.error = error
        self.requests: list[tuple] = []

    def __call__(self, method, url, body, timeout):
        self.requests.append((method, url, body, timeout))
        if self.error:
            raise self.error
        return 200, self.reply


@pytest.fixture
def everything(write_flow, sounds_dir):
    return load_flow(write_flow(EVERYTHING, "everything.yaml"), sounds_dir=sounds_dir)


def make(flow, channel, tmp_path, **kwargs) -> Interpreter:
    options = {
        "tts": TtsCache(tmp_path / "cache", synth=fake_synth),
        "http": Crm(),
        "now": lambda: WEDNESDAY_10H_PARIS,
        "recordings_dir": tmp_path / "recordings",
    }
    options.update(kwargs)
    return Interpreter(flow, channel, **options)


def test_fake_channel_satisfies_the_protocol():
    assert isinstance(FakeChannel(), CallChannel)


def test_walks_every_node_type(everything, tmp_path, sounds_dir):
    channel = FakeChannel(dtmf=["1", "12345", "1"], transfers=[False, True])
    channel.channel_vars["caller_id_number"] = "+33100000000"
    answers, voicemails, streamed = [], [], []
    crm = Crm()
    run = make(everything, channel, tmp_path, http=crm, variables={"first_name": "Ada"},
               on_survey_answer=lambda *a: answers.append(a),
               on_voicemail=lambda box, path: voicemails.append((box, path)),
               on_step=streamed.append).run()

    assert run.end == "queue" and run.error is None
    assert [(s.node, s.type) for s in run.steps] == [
        ("hours", "time"), ("hello", "say"), ("chime", "play"), ("intro", "play"),
        ("main", "menu"), ("account", "collect"), ("lookup", "webhook"), ("mark", "set"),
        ("route", "branch"), ("rate", "survey"), ("message", "record"), ("hop", "goto"),
        ("vm", "voicemail"), ("handoff", "transfer"), ("gold_queue", "queue"),
    ]
    assert streamed == run.steps
    assert all(isinstance(s, StepRecord) and s.duration >= 0 and s.started > 0 for s in run.steps)
    results = {s.node: s.result for s in run.steps}
    assert results["hours"] == "open wed 10:00"
    assert results["main"] == "key 1"
    assert results["rate"] == "answer 1 (Yes)"
    assert results["handoff"] == "number '+331234512345' refused"
    assert results["gold_queue"] == "queue gold"
    assert run.steps[-1].next is None

    # Media, in order, with contact and channel variables rendered into the TTS text.
    said = TtsCache(tmp_path / "cache").path_for("Hello Ada, calling from +33100000000.", "male", "en")
    assert said.read_bytes() == b"RIFF|male|en|Hello Ada, calling from +33100000000."
    names = channel.names()
    assert names == ["answer", "playback", "playback", "playback", "pagd", "pagd", "pagd",
                     "playback", "record", "playback", "record", "transfer", "transfer"]
    assert channel.ops[1] == ("playback", str(said))
    assert channel.ops[2] == ("playback", "tone_stream://%(200,0,800)")
    assert channel.ops[3] == ("playback", str((sounds_dir / "welcome.wav").resolve()))
    assert channel.ops[4] == ("pagd", 1, 1, 2, 4000, "#", "menu.wav", "invalid.wav", "^(1|2)$")
    assert channel.ops[5][1:6] == (4, 6, 3, 5000, "#") and channel.ops[5][7:] == ("silence_stream://250", r"^\d{4,6}$")
    assert channel.ops[7] == ("playback", "tone_stream://%(500,0,800)")  # record beep
    assert channel.ops[11] == ("transfer", "number", "+331234512345")
    assert channel.ops[12] == ("transfer", "queue", "gold")

    assert crm.requests == [("GET", "http://crm.test/customers/12345", {}, 5.0)]
    assert answers == [("happy", "1", "Yes")]
    assert voicemails and voicemails[0][0] == "12345" and Path(voicemails[0][1]).is_file()
    assert run.variables["ivr_key"] == "1" and run.variables["account"] == "12345"
    assert run.variables["route"] == "gold-12345" and run.variables["crm_status"] == 200
    assert Path(run.variables["message_path"]).parent == (tmp_path / "recordings").resolve()
    assert channel.channel_vars["route"] == "gold-12345"
    assert channel.channel_vars["fscc_queue_priority"] == "5"


def test_closed_and_holiday_hang_up(everything, tmp_path):
    closed = FakeChannel()
    run = make(everything, closed, tmp_path, now=lambda: SUNDAY).run()
    assert run.end == "hangup" and [s.node for s in run.steps] == ["hours", "closed"]
    assert run.steps[0].result == "closed sun 10:00"
    assert closed.hangup_cause == "USER_BUSY"
    holiday = FakeChannel()
    run = make(everything, holiday, tmp_path, now=lambda: CHRISTMAS).run()
    assert [s.node for s in run.steps] == ["hours", "bye"]
    assert run.steps[0].result == "holiday 2026-12-25"
    assert holiday.ops[-2][1].endswith("bye.wav") and holiday.hangup_cause == "NORMAL_CLEARING"


def test_menu_retries_then_no_input(everything, tmp_path):
    channel = FakeChannel(dtmf=["2", ""])  # 2 loops back to the menu, then nothing valid
    run = make(everything, channel, tmp_path).run()
    assert [s.node for s in run.steps][-3:] == ["main", "main", "bye"]
    assert run.steps[-2].result == "no valid input"
    assert run.end == "hangup"


def test_webhook_failure_takes_on_error_and_branch_default(everything, tmp_path):
    channel = FakeChannel(dtmf=["1", "1234"])
    run = make(everything, channel, tmp_path, http=Crm(error=WebhookError("GET x: timed out"))).run()
    results = {s.node: s.result for s in run.steps}
    assert results["lookup"] == "webhook failed: GET x: timed out"
    assert results["route"] == "default"
    assert run.variables["crm_status"] == "error" and run.end == "hangup"


def test_caller_hangup_stops_the_flow_quietly(everything, tmp_path):
    channel = FakeChannel(dtmf=["1"], hang_up_after=5)  # hangs up during the menu
    run = make(everything, channel, tmp_path).run()
    assert run.end == "caller_hangup" and run.error is None
    assert run.steps[-1].node == "main" and run.steps[-1].result == "caller hung up"
    assert "hangup" not in channel.names()


def test_channel_error_plays_fallback_and_hangs_up(everything, tmp_path, sounds_dir):
    channel = FakeChannel(dtmf=["1", "1234"], fail_on="record")
    run = make(everything, channel, tmp_path).run()
    assert run.end == "error" and "record failed" in (run.error or "")
    assert run.steps[-1].type == "fallback"
    assert channel.ops[-2] == ("playback", str((sounds_dir / "fallback.wav").resolve()))
    assert channel.ops[-1] == ("hangup", "NORMAL_CLEARING")
    assert channel.channel_vars["fscc_ivr_error"].startswith("ChannelError")


def test_refused_transfer_without_on_failure_falls_back(write_flow, sounds_dir, tmp_path):
    flow = load_flow(write_flow("""
        name: t
        start: op
        nodes:
          op: {type: transfer, to: agent, target: "{agent_id}"}
    """), sounds_dir=sounds_dir)
    channel = FakeChannel(transfers=[False])
    run = make(flow, channel, tmp_path, variables={"agent_id": "1001"}).run()
    assert run.end == "error" and "refused" in (run.error or "")
    assert channel.names() == ["answer", "transfer", "playback", "hangup"]


def test_say_without_tts_renderer_falls_back(everything, tmp_path):
    channel = FakeChannel()
    run = make(everything, channel, tmp_path, tts=None).run()
    assert run.end == "error" and "no TTS renderer" in (run.error or "")
    assert channel.names()[-2:] == ["playback", "hangup"]


def test_loop_guard_ends_a_runaway_flow(write_flow, sounds_dir, tmp_path):
    flow = load_flow(write_flow("""
        name: loop
        start: count
        max_steps: 25
        nodes:
          count: {type: set, vars: {n: "x"}, next: check}
          check:
            type: branch
            conditions: [{var: never, op: present, next: done}]
            default: count
          done: {type: hangup}
    """), sounds_dir=sounds_dir)
    channel = FakeChannel()
    run = make(flow, channel, tmp_path).run()
    assert run.end == "max_steps" and len(run.steps) == 26  # 25 steps + the fallback record
    assert channel.names()[-2:] == ["playback", "hangup"]


def test_fallback_failure_still_hangs_up(everything, tmp_path):
    channel = FakeChannel(dtmf=["1", "1234"], fail_on="record")
    flow = everything
    flow.fallback = {"say": "Sorry"}
    run = make(flow, channel, tmp_path, tts=TtsCache(tmp_path / "c", synth=_broken_synth)).run()
    assert run.end == "error" and "fallback prompt failed" in run.steps[-1].result
    assert channel.names()[-1] == "hangup"


def _broken_synth(text: str, voice: str, language: str) -> bytes:
    if text == "Sorry":
        raise OSError("disk full")
    return b"RIFF"


def test_survey_keys_labels_and_answer_targets(write_flow, sounds_dir, tmp_path):
    flow = load_flow(write_flow("""
        name: s
        start: q
        nodes:
          q:
            type: survey
            question: colour
            prompt: menu.wav
            first_key: 0
            answers:
              - Red
              - {label: Blue, next: blue}
              - {key: "7", label: Green}
              - Yellow
            next: done
          blue: {type: hangup, cause: NORMAL_CLEARING}
          done: {type: hangup}
    """), sounds_dir=sounds_dir)
    assert [(a.key, a.label) for a in flow.nodes["q"].survey_answers()] == [
        ("0", "Red"), ("1", "Blue"), ("7", "Green"), ("8", "Yellow")]
    for pressed, target in (("1", "blue"), ("8", "done"), ("", "done")):
        answers: list[tuple] = []
        channel = FakeChannel(dtmf=[pressed])
        run = make(flow, channel, tmp_path, on_survey_answer=lambda *a, store=answers: store.append(a)).run()
        assert run.steps[1].node == target
        assert channel.ops[1][-1] == "^(0|1|7|8)$"
        assert answers == ([] if not pressed else [("colour", pressed, {"1": "Blue", "8": "Yellow"}[pressed])])


def test_webhook_url_values_are_percent_encoded(write_flow, sounds_dir, tmp_path):
    flow = load_flow(write_flow("""
        name: w
        start: hook
        nodes:
          hook:
            type: webhook
            url: "http://crm.test/c/{who}?q={who}"
            body: {who: "{who}", fixed: 3}
            next: done
          done: {type: hangup}
    """), sounds_dir=sounds_dir)
    crm = Crm()
    make(flow, FakeChannel(), tmp_path, http=crm, variables={"who": "a/b?c=d&e"}).run()
    assert crm.requests == [("POST", "http://crm.test/c/a%2Fb%3Fc%3Dd%26e?q=a%2Fb%3Fc%3Dd%26e",
                             {"who": "a/b?c=d&e", "fixed": 3}, 5.0)]


def test_failing_callbacks_do_not_hurt_the_caller(everything, tmp_path):
    def broken(*args):
        raise RuntimeError("store is down")

    channel = FakeChannel(dtmf=["1", "12345", "1"])
    run = make(everything, channel, tmp_path, on_step=broken, on_survey_answer=broken,
               on_voicemail=broken).run()
    assert run.end == "transfer" and run.error is None
    assert run.steps[-1].node == "handoff"
