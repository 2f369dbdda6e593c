"""A flow driven over real ESL: simswitch delivers an inbound call to our OutboundServer,
whose handler runs the interpreter through EslCallChannel; DTMF is injected over ESL."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import wave
from collections.abc import Iterator
from pathlib import Path

import gevent
import gevent.event
import pytest
from gevent.pywsgi import WSGIServer

from engine.esl.connection import InboundConnection
from engine.esl.outbound import OutboundCall, OutboundServer
from engine.ivr.esl_channel import EslCallChannel
from engine.ivr.interpreter import Interpreter, RunResult
from engine.ivr.loader import load_flow
from engine.ivr.tts import TtsCache, espeak_path, to_telephone_wav

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "sounds"
PASSWORD = "ivr-test"
SPEED = 50  # simulated seconds per real second: prompts and timeouts pass quickly

pytestmark = pytest.mark.skipif(not (ROOT / "simswitch" / "__main__.py").exists(),
                                reason="simswitch is not in this checkout")

SCENARIO = """
seed: 7
agents:
  - {extension: "1001", answer_delay: 0.5, talk_time: 2}
  - {extension: "1002", registered: false}
"""

FLOW = """
name: wire
start: hours
nodes:
  hours:
    type: time
    timezone: UTC
    schedules: [{days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "24:00", next: hello}]
    closed: bye
  hello: {type: say, text: "Hello {first_name}.", next: chime}
  chime: {type: play, tone: "%(100,0,800)", next: welcome}
  welcome: {type: play, file: welcome.wav, next: main}
  main:
    type: menu
    prompt: main_menu_en.wav
    invalid_prompt: invalid.wav
    choices: {"1": account, "2": bye}
    no_input: bye
  account:
    type: collect
    prompt: account_number.wav
    min_digits: 4
    max_digits: 8
    into: account
    next: crm
  crm:
    type: webhook
    method: POST
    url: "{crm_url}"
    body: {account: "{account}"}
    result: {tier: customer.tier}
    next: route
  route:
    type: branch
    conditions: [{var: tier, op: eq, value: gold, next: rate}]
    default: bye
  rate:
    type: survey
    question: satisfaction
    prompt: rating.wav
    answers: [Poor, Fair, Good]
    next: note
  note: {type: set, vars: {rated: "yes"}, next: message}
  message: {type: record, max_seconds: 2, next: hop}
  hop: {type: goto, next: vm}
  vm: {type: voicemail, box: "{account}", max_seconds: 2, next: agent}
  agent: {type: transfer, to: agent, target: "{agent_ext}", on_failure: overflow}
  overflow: {type: queue, queue: support, on_failure: bye}
  bye: {type: hangup, prompt: goodbye.wav}
"""


def silent_synth(text: str, voice: str, language: str) -> bytes:
    """Used when espeak-ng is missing: the wire test is about ESL, not speech."""
    import io

    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 4000)
    return to_telephone_wav(out.getvalue())


@pytest.fixture
def crm_url() -> Iterator[str]:
    def app(environ, start_response):
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        tier = "gold" if body.get("account") == "12345" else "basic"
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"customer": {"tier": tier}}).encode()]

    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    yield f"http://127.0.0.1:{server.server_port}/lookup"
    server.stop(timeout=1)


class Harness:
    """simswitch (subprocess) + our OutboundServer + an inbound ESL connection for control."""

    def __init__(self, tmp_path: Path, flow_path: Path, variables: dict[str, str],
                 speed: float = SPEED) -> None:
        self.flow = load_flow(flow_path, sounds_dir=SOUNDS)
        self.tmp_path = tmp_path
        self.variables = variables
        self.results: dict[str, gevent.event.AsyncResult] = {}
        self.answers: list[tuple[str, str, str]] = []
        self.voicemails: list[tuple[str, str]] = []
        self.welcomed = gevent.event.Event()  # set once the `welcome` step has finished
        synth = None if espeak_path() else silent_synth
        self.tts = TtsCache(tmp_path / "tts", **({"synth": synth} if synth else {}))
        self.server = OutboundServer("127.0.0.1", 0, self._handler)
        self.server.start()
        scenario = tmp_path / "scenario.yaml"
        scenario.write_text(textwrap.dedent(SCENARIO))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simswitch", "--port", "0", "--password", PASSWORD,
             "--scenario", str(scenario), "--outbound", f"127.0.0.1:{self.server.port}",
             "--speed", str(speed)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "listening on" not in line:
            self.close()
            raise RuntimeError(f"simswitch did not start: {line!r}")
        self.esl = InboundConnection("127.0.0.1", int(line.rsplit(":", 1)[1]), PASSWORD,
                                     reconnect=False)
        self.esl.connect()

    def _handler(self, call: OutboundCall):
        harness = self

        class RunFlow:
            def run(self) -> None:
                result = harness.results.setdefault(call.uuid or "", gevent.event.AsyncResult())
                run = Interpreter(
                    harness.flow, EslCallChannel(call), variables=harness.variables,
                    tts=harness.tts, recordings_dir=harness.tmp_path / "recordings",
                    on_survey_answer=lambda *a: harness.answers.append(a),
                    on_voicemail=lambda *a: harness.voicemails.append(a),
                    on_step=lambda step: step.node == "welcome" and harness.welcomed.set(),
                ).run()
                result.set(run)

        return RunFlow()

    def call(self, digits: str = "", uuid: str | None = None) -> tuple[str, gevent.event.AsyncResult]:
        reply = self.esl.api(f"simswitch_inbound 100 15557654321 {uuid or ''}".strip())
        assert reply.startswith("+OK"), reply
        call_uuid = reply.split()[1]
        result = self.results.setdefault(call_uuid, gevent.event.AsyncResult())
        if digits:
            # Buffered by the channel until a digit collector reads them, as on a real line.
            assert self.esl.api(f"uuid_recv_dtmf {call_uuid} {digits}").startswith("+OK")
        return call_uuid, result

    def close(self) -> None:
        if getattr(self, "esl", None):
            self.esl.close()
        self.server.stop(timeout=1)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()


@pytest.fixture
def harness_for(tmp_path: Path, crm_url: str) -> Iterator:
    made: list[Harness] = []

    def make(agent_ext: str = "1001", speed: float = SPEED) -> Harness:
        flow_path = tmp_path / "wire.yaml"
        flow_path.write_text(textwrap.dedent(FLOW).replace("{crm_url}", crm_url))
        harness = Harness(tmp_path, flow_path, {"first_name": "Ada", "agent_ext": agent_ext},
                          speed)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


def test_flow_over_esl_walks_the_nodes(harness_for):
    harness = harness_for()
    _, pending = harness.call(digits="112345#3")
    run: RunResult = pending.get(timeout=30)
    assert [s.node for s in run.steps] == [
        "hours", "hello", "chime", "welcome", "main", "account", "crm", "route", "rate", "note",
        "message", "hop", "vm", "agent"]
    assert run.end == "transfer" and run.error is None
    results = {s.node: s.result for s in run.steps}
    assert results["main"] == "key 1"
    assert results["account"] == "collected 5 digits"
    assert results["crm"] == "HTTP 200"
    assert results["rate"] == "answer 3 (Good)"
    assert results["agent"] == "agent 1001"
    assert harness.answers == [("satisfaction", "3", "Good")]
    assert run.variables["account"] == "12345" and run.variables["tier"] == "gold"
    recording = Path(run.variables["recording_path"])
    with wave.open(str(recording)) as wav:  # simswitch wrote a real WAV of the recording
        assert wav.getnframes() > 0
    assert harness.voicemails[0][0] == "12345" and Path(harness.voicemails[0][1]).is_file()


def test_no_input_and_refused_transfer_end_cleanly(harness_for):
    harness = harness_for(agent_ext="1002")  # not registered: the bridge fails
    _, silent = harness.call()
    run = silent.get(timeout=30)
    assert [s.node for s in run.steps][-2:] == ["main", "bye"] and run.end == "hangup"
    assert run.steps[-2].result == "no valid input"
    _, basic = harness.call(digits="12222#")
    run = basic.get(timeout=30)
    assert run.variables["tier"] == "basic"  # not gold: straight to bye
    assert [s.node for s in run.steps][-2:] == ["route", "bye"]
    _, refused = harness.call(digits="112345#1")
    run = refused.get(timeout=30)
    assert [s.node for s in run.steps][-3:] == ["vm", "agent", "overflow"]
    assert run.steps[-2].result == "agent '1002' refused"
    assert run.end == "queue" and run.steps[-1].result == "queue support"


def test_caller_hangup_mid_flow(harness_for):
    harness = harness_for(speed=2)  # the menu lasts seconds: the hangup lands inside it
    call_uuid, pending = harness.call()
    assert harness.welcomed.wait(timeout=30)  # the caller now hears the main menu
    harness.esl.api(f"uuid_kill {call_uuid} NORMAL_CLEARING")
    run = pending.get(timeout=30)
    assert run.end == "caller_hangup"
    assert run.steps[-1].node == "main" and run.steps[-1].result == "caller hung up"
