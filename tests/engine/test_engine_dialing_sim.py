# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes at run time)
"""The Engine runs the campaign dialers itself (``settings.dialer_enabled``) against simswitch:
agent and agentless campaigns through one dialer group, and the desk's preview and
click-to-dial through the campaign's PreviewDesk."""
from __future__ import annotations

import pathlib
import shutil

import pytest

from engine.api import EngineError
from engine.campaigns.dispositions import ensure_default_types
from engine.campaigns.dnc import add_dnc
from engine.dialing import owner_name
from engine.store import Agent, Attempt, Campaign, Contact
from tests.engine.sim import running, scenario_file, wait_until

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROUTES = "routes: []\n"
TRUNK = {"external_dial": "sofia/gateway/trunk/{number}"}  # simswitch plays customers behind a gateway
AGENT_PHONE = {"extension": "1001", "answer_delay": 0.1}
CUSTOMERS = [{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.2, "talk_time": 1.0},  # agent campaign
             {"prefix": "+1312555", "answer": 0.0, "busy": 1.0},
             {"prefix": "+1415555", "answer": 1.0, "ring_time": 0.2, "talk_time": 600}]  # stay for the flow


def campaign(name: str, mode: str, **fields: object) -> Campaign:
    values: dict[str, object] = dict(
        name=name, status="running", dial_mode=mode, caller_id_number="+14155550000", ring_timeout_seconds=15,
        calls_per_second=20, local_window_start="00:00", local_window_end="24:00", wrap_up_seconds=0)
    values.update(fields)
    return Campaign.create(**values)


def world(tmp_path: pathlib.Path) -> tuple[Agent, pathlib.Path]:
    ensure_default_types()
    agent = Agent.create(name="Agent 1", extension="1001", sip_password="pw", wrap_up_seconds=0)
    (tmp_path / "dialplans").mkdir(exist_ok=True)
    shutil.copy(ROOT / "dialplans" / "broadcast.yaml", tmp_path / "dialplans" / "broadcast.yaml")
    return agent, scenario_file(tmp_path, [AGENT_PHONE], customers=CUSTOMERS)


def ended() -> int:
    return int(Attempt.select().where(Attempt.outcome != "").count())


@pytest.mark.timeout(90)
def test_engine_dials_a_progressive_and_a_broadcast_campaign_through_one_group(sqlite_store, tmp_path):
    agent, scenario = world(tmp_path)
    progressive = campaign("progressive", "progressive")
    answered = Contact.create(campaign=progressive, phone="+12125550101", priority=1)
    busy = Contact.create(campaign=progressive, phone="+13125550102", priority=2)
    broadcast = campaign("broadcast", "broadcast")
    listener = Contact.create(campaign=broadcast, phone="+14155550103", first_name="Ada")
    with running(tmp_path, scenario, ROUTES, dialer=True, extra=TRUNK) as (engine, sim):
        assert engine.dialing is not None
        engine.agent_login(agent.id)
        wait_until(lambda: ended() == 3, timeout=60, step=0.05)
        first = Attempt.get(Attempt.contact == answered.id)
        assert (first.outcome, first.agent_id) == ("answered", agent.id)
        assert first.connected_at is not None and first.caller_id == "+14155550000"
        assert first.node == owner_name()
        second = Attempt.get(Attempt.contact == busy.id)
        assert (second.outcome, second.hangup_cause) == ("busy", "USER_BUSY")
        flow = Attempt.get(Attempt.contact == listener.id)
        # the broadcast flow (TTS + goodbye) ran over the campaign socket and hung up itself
        assert (flow.outcome, flow.hangup_cause, flow.agent_id) == ("answered", "NORMAL_CLEARING", None)
        assert flow.answered_at is not None and flow.connected_at is None
        from engine.agentless.dialer import AgentlessDialer
        from engine.campaigns.dialer import CampaignDialer

        dialers = engine.dialing.group.dialers
        assert isinstance(dialers[broadcast.id], AgentlessDialer)
        assert type(dialers[progressive.id]) is CampaignDialer
        assert Contact.get_by_id(answered.id).status == "done"
        wait_until(lambda: engine.agents.get(agent.id).state == "available", timeout=20)
    assert engine.dialing is None  # stopped with the engine


@pytest.mark.timeout(90)
def test_preview_and_click_to_dial_go_through_the_campaign_desk(sqlite_store, tmp_path):
    agent, scenario = world(tmp_path)
    preview = campaign("preview", "preview", preview_countdown_seconds=0)
    shown = Contact.create(campaign=preview, phone="+12125550101", first_name="Bea")
    manual = campaign("manual", "manual")
    chosen = Contact.create(campaign=manual, phone="+12125550102")
    blocked = Contact.create(campaign=manual, phone="+12125550103")
    add_dnc("+12125550103", scope="global", category="test")
    with running(tmp_path, scenario, ROUTES, dialer=True, extra=TRUNK) as (engine, sim):
        engine.agent_login(agent.id)
        assert engine.preview_skip(agent.id) is False  # nothing shown yet
        with pytest.raises(EngineError) as refused:
            engine.preview_dial(agent.id)
        assert refused.value.field == "agent_id"
        record = engine.preview_next(agent.id)
        assert record == {"contact_id": shown.id, "campaign_id": preview.id, "countdown": 0}
        assert engine.preview_next(agent.id) == record  # the same record until dialed or skipped
        assert Attempt.select().count() == 0  # preview never dials by itself
        placed = engine.preview_dial(agent.id)
        attempt = Attempt.get(Attempt.contact == shown.id)
        assert placed == {"call_uuid": attempt.origination_uuid}
        wait_until(lambda: ended() == 1, timeout=30, step=0.05)
        attempt = Attempt.get_by_id(attempt.id)
        assert (attempt.outcome, attempt.agent_id) == ("answered", agent.id) and attempt.connected_at
        wait_until(lambda: engine.agents.get(agent.id).state == "available", timeout=20)

        # click-to-dial a manual campaign's contact: compliance first, then the Attempt row, then the call
        with pytest.raises(EngineError) as dnc:
            engine.dial(agent.id, "+12125550103", manual.id, blocked.id)
        assert dnc.value.field == "contact_id" and "do-not-call" in str(dnc.value)
        assert not Attempt.select().where(Attempt.contact == blocked.id).exists()
        with pytest.raises(EngineError) as wrong:
            engine.dial(agent.id, "+12125559999", manual.id, chosen.id)
        assert wrong.value.field == "number"
        with pytest.raises(EngineError) as other:
            engine.dial(agent.id, "+12125550102", preview.id, chosen.id)
        assert other.value.field == "campaign_id"
        call_uuid = engine.dial(agent.id, "+12125550102", manual.id, chosen.id)
        clicked = Attempt.get(Attempt.origination_uuid == call_uuid)
        assert (clicked.contact_id, clicked.caller_id) == (chosen.id, "+14155550000")
        wait_until(lambda: ended() == 2, timeout=30, step=0.05)
        assert Attempt.get_by_id(clicked.id).outcome == "answered"
        wait_until(lambda: engine.agents.get(agent.id).state == "available", timeout=20)

        # a number outside campaigns still dials, with no Attempt row
        before = Attempt.select().count()
        engine.dial(agent.id, "+12125550199")
        wait_until(lambda: engine.agents.get(agent.id).state == "in_call", timeout=20)
        assert Attempt.select().count() == before


def test_commands_say_when_the_engine_runs_no_dialers(sqlite_store, tmp_path):
    from engine.core import Engine
    from engine.settings import Settings

    engine = Engine(Settings(dialer_enabled=False), store=False)
    with pytest.raises(EngineError) as off:
        engine.preview_next(1)
    assert off.value.status == 503
    with pytest.raises(EngineError) as needs_contact:
        engine.dial(1, "+12125550101", campaign_id=3)
    assert needs_contact.value.field == "contact_id"


@pytest.mark.timeout(120)
def test_predictive_campaign_feeds_its_pacer_live_and_reports_its_pacing(sqlite_store, tmp_path):
    ensure_default_types()
    agents = [Agent.create(name=f"Agent {n}", extension=str(1000 + n), sip_password="pw", wrap_up_seconds=0)
              for n in (1, 2)]
    customers = [{"prefix": "+1212555", "answer": 0.8, "busy": 0.1, "no_answer": 0.1, "ring_time": 0.5,
                  "talk_time": 2.0}]
    scenario = scenario_file(tmp_path, [{"extension": str(1000 + n), "answer_delay": 0.1} for n in (1, 2)],
                             customers=customers)
    predictive = campaign("predictive", "predictive", abandon_target=0.03)
    for n in range(40):
        Contact.create(campaign=predictive, phone=f"+1212555{n:04d}")
    with running(tmp_path, scenario, ROUTES, speed=5.0, dialer=True, extra=TRUNK) as (engine, sim):
        assert engine.campaign_pacing(predictive.id + 99) is None
        for agent in agents:
            engine.agent_login(agent.id)
        decisions: dict[float, float] = {}  # decision time -> 1.0 when the pacer decided predictively

        def watch() -> bool:
            last = (engine.campaign_pacing(predictive.id) or {}).get("decision")
            if last is not None:
                decisions[last["at"]] = last["pacer"].get("predictive", 0.0)
            return ended() == 40

        wait_until(watch, timeout=90, step=0.05)
        # asked every round; like progressive at first, predictive once the estimates rest on outcomes
        assert len(decisions) >= 5 and decisions[min(decisions)] == 0.0
        wait_until(lambda: watch() and 1.0 in decisions.values(), timeout=30, step=0.05)
        humans = Attempt.select().where(Attempt.answered_at.is_null(False)).count()
        connected = Attempt.select().where(Attempt.connected_at.is_null(False)).count()
        assert humans >= 20 and connected >= 20
        # every talk is reported once its agent's wrap-up ends (the agent is ready again)
        wait_until(lambda: engine.campaign_pacing(predictive.id)["estimates"]["observations"]["talk"] == connected,
                   timeout=20)
        status = engine.campaign_pacing(predictive.id)
        assert (status["campaign_id"], status["mode"], status["pacer"]) == (predictive.id, "predictive", "predictive")
        estimates = status["estimates"]
        # the estimates rest on this run's outcomes: every attempt once, every human answer, every talk
        assert estimates["observations"] == {"answer": 40, "ring_to_answer": humans, "talk": connected,
                                             "wrap": connected}
        assert estimates["ready"] is True
        assert estimates["mean_talk_seconds"] < 60  # pulled from the 120 s prior towards the real ~2 s talks
        assert estimates["mean_wrap_seconds"] < 10  # agents wrap up in ~0 s; the prior is 10 s
        assert status["observed"]["human"] == humans
        assert status["observed"]["unanswered"] == 40 - humans
        decision = status["decision"]
        assert decision is not None and decision["agents_logged_in"] == 2
        assert "threshold" in decision["pacer"]
        abandon = status["abandon"]
        assert abandon["answered_today"] == humans and abandon["target"] == 0.03
        assert abandon["abandoned_today"] == Attempt.select().where(Attempt.abandoned == True).count()  # noqa: E712
