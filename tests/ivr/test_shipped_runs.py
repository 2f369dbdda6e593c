"""The shipped example flows, run by the interpreter over a scripted caller."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.ivr.interpreter import Interpreter, RunResult
from engine.ivr.loader import load_flow
from engine.ivr.tts import TtsCache
from engine.ivr.webhook import WebhookError
from tests.ivr.fake_channel import FakeChannel

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "sounds"
WEDNESDAY_10H_PARIS = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def run_flow(name: str, tmp_path: Path, dtmf=(), transfers=(), now=WEDNESDAY_10H_PARIS,
             http=None, **variables) -> tuple[RunResult, FakeChannel, list[tuple]]:
    answers: list[tuple] = []
    channel = FakeChannel(dtmf=list(dtmf), transfers=list(transfers))

    def no_http(*args):
        raise WebhookError("no CRM in this test")

    run = Interpreter(
        load_flow(ROOT / "dialplans" / f"{name}.yaml", sounds_dir=SOUNDS), channel,
        variables=variables, now=lambda: now, http=http or no_http,
        tts=TtsCache(tmp_path / "tts", synth=lambda text, voice, lang: b"RIFF" + text.encode()),
        recordings_dir=tmp_path / "recordings",
        on_survey_answer=lambda *a: answers.append(a),
    ).run()
    return run, channel, answers


def path_of(run: RunResult) -> list[str]:
    return [step.node for step in run.steps]


def test_survey_campaign_stores_answers(tmp_path):
    run, channel, answers = run_flow("survey", tmp_path, dtmf=["2", "1", "1"], first_name="Ada")
    assert answers == [("satisfaction", "2", "Satisfied"), ("recommend", "1", "Yes")]
    assert path_of(run) == ["greeting", "q1", "q2", "comment_offer", "comment", "thanks"]
    assert run.end == "hangup" and Path(run.variables["survey_comment"]).is_file()
    said = next(path for op, *path in channel.ops if op == "playback")
    assert Path(said[0]).read_bytes().startswith(b"RIFFHello Ada. This is Acme")


def test_survey_silent_contact_hears_goodbye(tmp_path):
    run, _, answers = run_flow("survey", tmp_path)
    assert answers == [] and path_of(run) == ["greeting", "q1", "goodbye"]


@pytest.mark.parametrize(("dtmf", "expected_path", "end"), [
    (["1"], ["message", "options", "to_agent"], "queue"),
    (["2", "1"], ["message", "options", "message", "options", "to_agent"], "queue"),
    (["9"], ["message", "options", "opt_out", "removed"], "hangup"),
    ([], ["message", "options", "goodbye"], "hangup"),
])
def test_press1_campaign(tmp_path, dtmf, expected_path, end):
    run, channel, _ = run_flow("press1", tmp_path, dtmf=dtmf, first_name="Bob")
    assert path_of(run) == expected_path and run.end == end
    if end == "queue":
        assert channel.ops[-1] == ("transfer", "queue", "renewals")
    if "opt_out" in expected_path:
        assert channel.channel_vars["dnc_request"] == "yes"


def test_press1_with_no_free_agent(tmp_path):
    run, _, _ = run_flow("press1", tmp_path, dtmf=["1"], transfers=[False])
    assert path_of(run) == ["message", "options", "to_agent", "busy", "goodbye"]


def test_satisfaction_rating(tmp_path):
    run, _, answers = run_flow("satisfaction", tmp_path, dtmf=["5"])
    assert answers == [("call_rating", "5", "Excellent")] and run.variables["rating"] == "5"


def test_auto_attendant_vip_goes_first(tmp_path):
    def crm(method, url, body, timeout):
        assert url.endswith("account=123456") and method == "GET"
        return 200, {"customer": {"type": "vip", "name": "Ada"}}

    run, channel, _ = run_flow("auto_attendant", tmp_path, dtmf=["1", "2", "123456"], http=crm)
    assert path_of(run) == ["hours", "welcome", "language", "english", "main_en", "account",
                            "crm_lookup", "customer_type", "support_vip"]
    assert channel.ops[-1] == ("transfer", "queue", "support")
    assert channel.channel_vars["fscc_queue_priority"] == "9"
    assert run.variables["ivr_key"] == "2"


def test_auto_attendant_crm_down_routes_as_regular(tmp_path):
    run, _, _ = run_flow("auto_attendant", tmp_path, dtmf=["1", "2", "123456"])
    assert path_of(run)[-3:] == ["account", "crm_lookup", "support"]


def test_auto_attendant_french_and_operator(tmp_path):
    run, channel, _ = run_flow("auto_attendant", tmp_path, dtmf=["2", "0"])
    assert path_of(run)[-3:] == ["french", "main_fr", "operator"]
    assert channel.ops[-1] == ("transfer", "agent", "operator")


@pytest.mark.parametrize(("moment", "first_prompt"), [
    (datetime(2026, 11, 29, 9, 0, tzinfo=UTC), "after_hours"),  # Sunday
    (datetime(2026, 12, 25, 9, 0, tzinfo=UTC), "holiday"),
])
def test_auto_attendant_closed_takes_messages(tmp_path, moment, first_prompt):
    run, channel, _ = run_flow("auto_attendant", tmp_path, now=moment)
    assert path_of(run) == ["hours", first_prompt, "leave_message"]
    assert run.end == "voicemail" and channel.names()[-1] == "hangup"


def test_auto_attendant_queue_refused_overflows_to_voicemail(tmp_path):
    run, _, _ = run_flow("auto_attendant", tmp_path, dtmf=["1", "1"], transfers=[False])
    assert path_of(run)[-3:] == ["sales", "busy", "leave_message"]
