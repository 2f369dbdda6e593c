# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes at run time)
"""Each dialing mode against simswitch over TCP, through the real Engine and ESL.

simswitch plays the customers (answer/busy shares, ring and talk times) and the agent
phones; the campaign dialer launches through EnginePort, and the Attempt rows, agent
states and hangup causes are what the real switch protocol produced.
"""
from __future__ import annotations

import pathlib

import pytest

from engine.campaigns.dispositions import ensure_default_types
from engine.campaigns.engine_port import EnginePort
from engine.campaigns.group import DialerGroup
from engine.store import Agent, Attempt, Campaign, Contact
from simswitch.scenario import BUNDLE_MODULES
from tests.engine.sim import running, scenario_file, wait_until

ROUTES = "routes: []\n"
WITH_AMD = [*BUNDLE_MODULES, "mod_amd"]  # the shared bundle has no mod_amd


def setup(tmp_path, *, mode, agents=1, customers=None, modules=None, **campaign_fields):
    ensure_default_types()
    rows = [Agent.create(name=f"Agent {i}", extension=str(1000 + i), sip_password="pw", wrap_up_seconds=0)
            for i in range(1, agents + 1)]
    campaign = Campaign.create(name=f"{mode} campaign", status="running", dial_mode=mode,
                               caller_id_number="+14155550000", ring_timeout_seconds=15, calls_per_second=20,
                               local_window_start="00:00", local_window_end="24:00", wrap_up_seconds=0,
                               **campaign_fields)
    scenario = scenario_file(
        tmp_path, [{"extension": str(1000 + i), "answer_delay": 0.1} for i in range(1, agents + 1)],
        customers=customers or [{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.2, "talk_time": 1.0},
                                {"prefix": "+1312555", "answer": 0.0, "busy": 1.0}],
        **({"modules": modules} if modules is not None else {}))
    return rows, campaign, scenario


def start(engine, agents):
    port = EnginePort(engine)
    group = DialerGroup(port, port, owner="engine-test", dial_string=lambda n: f"sofia/gateway/trunk/{n}",
                        clock=engine.clock)
    port.feed(group)
    for agent in agents:
        engine.agent_login(agent.id)
    return port, group


def pump(port, group, until, timeout=30.0):
    """Tick the group (as its loop would) until ``until()`` holds."""
    def step():
        group.tick(port.now())
        return until()
    return wait_until(step, timeout=timeout, step=0.05)


@pytest.mark.timeout(90)
def test_progressive_against_simswitch(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(tmp_path, mode="progressive")
    answered = Contact.create(campaign=campaign, phone="+12125550101", priority=1)
    busy = Contact.create(campaign=campaign, phone="+13125550102", priority=2)
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        pump(port, group, lambda: Attempt.select().where(Attempt.outcome != "").count() == 2)
        first = Attempt.get(Attempt.contact == answered.id)
        assert first.outcome == "answered" and first.connected_at is not None and first.agent_id == agents[0].id
        assert first.caller_id == "+14155550000"
        second = Attempt.get(Attempt.contact == busy.id)
        assert (second.outcome, second.hangup_cause) == ("busy", "USER_BUSY")
        # progressive: the busy number was dialed only after the agent was free again
        assert second.created_at >= first.created_at
        assert Contact.get_by_id(busy.id).status == "retry"
        assert Contact.get_by_id(answered.id).status == "done"


@pytest.mark.timeout(90)
def test_power_dials_two_lines_for_one_agent_and_abandons_the_extra_answer(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(tmp_path, mode="power", power_ratio=2.0, no_agent_message="goodbye.wav",
                                       customers=[{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.3,
                                                   "talk_time": 3.0}])
    for i in range(2):
        Contact.create(campaign=campaign, phone=f"+121255501{i:02d}")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        group.tick(port.now())
        assert Attempt.select().count() == 2  # two lines for one idle agent, in one tick
        pump(port, group, lambda: Attempt.select().where(Attempt.outcome != "").count() == 2)
        outcomes = sorted(a.outcome for a in Attempt.select())
        assert outcomes == ["abandoned", "answered"]
        abandoned = Attempt.get(Attempt.outcome == "abandoned")
        assert abandoned.abandoned and abandoned.connected_at is None
        # the message came after the 2 s grace period, then the switch hung up
        assert abandoned.ended_at is not None and abandoned.answered_at is not None
        assert (abandoned.ended_at - abandoned.answered_at).total_seconds() >= 2.0
        rates = group.dialers[campaign.id].rates(port.now().replace(microsecond=0))
        assert rates.answered_today == 2


@pytest.mark.timeout(90)
def test_preview_agent_sees_the_record_then_dials(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(tmp_path, mode="preview")
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Ann")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        group.tick(port.now())
        assert Attempt.select().count() == 0  # preview never dials by itself
        desk = group.desks[campaign.id]
        shown = desk.next_record(agents[0].id, port.now())
        assert shown.first_name == "Ann"
        live = desk.dial(agents[0].id, port.now())
        assert live is not None
        wait_until(lambda: engine.agents.get(agents[0].id).state == "in_call", timeout=20)
        pump(port, group, lambda: Attempt.get(Attempt.contact == contact.id).outcome != "")
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert attempt.outcome == "answered" and attempt.agent_id == agents[0].id


@pytest.mark.timeout(90)
def test_amd_machines_are_hung_up_and_humans_reach_the_agent(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(
        tmp_path, mode="progressive", agents=2, amd_enabled=True, amd_action="hangup", modules=WITH_AMD,
        customers=[{"prefix": "+12125550101", "answer": 1.0, "machine": 1.0, "ring_time": 0.2},
                   {"prefix": "+12125550102", "answer": 1.0, "machine": 0.0, "ring_time": 0.2, "talk_time": 4.0}])
    machine = Contact.create(campaign=campaign, phone="+12125550101")
    human = Contact.create(campaign=campaign, phone="+12125550102")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        pump(port, group, lambda: Attempt.select().where(Attempt.outcome != "").count() == 2)
        by_contact = {a.contact_id: a for a in Attempt.select()}
        assert (by_contact[machine.id].outcome, by_contact[machine.id].amd_result) == ("machine", "machine")
        assert by_contact[machine.id].connected_at is None
        assert (by_contact[human.id].outcome, by_contact[human.id].amd_result) == ("answered", "human")
        assert by_contact[human.id].agent_id in {a.id for a in agents}
        assert Contact.get_by_id(machine.id).status == "retry"  # machine: retried per its outcome


@pytest.mark.timeout(90)
@pytest.mark.parametrize("order", ["agent_first", "simultaneous"])
def test_connection_orders_against_simswitch(sqlite_store, tmp_path: pathlib.Path, order):
    agents, campaign, scenario = setup(
        tmp_path, mode="progressive", connect_order=order,
        customers=[{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 2.0}])
    contact = Contact.create(campaign=campaign, phone="+12125550101")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        pump(port, group, lambda: Attempt.get(Attempt.contact == contact.id).outcome != ""
             if Attempt.select().exists() else False)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert attempt.outcome == "answered" and attempt.agent_id == agents[0].id
        assert attempt.connected_at is not None
        # the agent's state machine went through the call and is free again
        wait_until(lambda: engine.agents.get(agents[0].id).state == "available", timeout=20)
        from engine.store import AgentStateInterval
        states = [i.state for i in AgentStateInterval.select().where(AgentStateInterval.agent == agents[0].id)
                  .order_by(AgentStateInterval.id)]
        assert "in_call" in states and states[-1] == "available"


@pytest.mark.timeout(120)
def test_predictive_plugs_into_the_same_dialer(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(
        tmp_path, mode="predictive", agents=2, no_agent_message="goodbye.wav",
        customers=[{"prefix": "+1212555", "answer": 0.7, "no_answer": 0.3, "ring_time": 0.3, "talk_time": 1.0}])
    contacts = [Contact.create(campaign=campaign, phone=f"+121255501{i:02d}") for i in range(8)]
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        pump(port, group, lambda: Attempt.select().where(Attempt.outcome != "").count() >= len(contacts),
             timeout=90)
        outcomes = {a.outcome for a in Attempt.select()}
        assert outcomes <= {"answered", "abandoned", "no_answer"} and "answered" in outcomes
        assert Attempt.select(Attempt.contact).distinct().count() == len(contacts)
