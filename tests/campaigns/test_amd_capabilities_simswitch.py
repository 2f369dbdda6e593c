# mypy: disable-error-code="attr-defined"
"""AMD on the switch the engine actually has, and when a call counts as connected.

simswitch loads the shared bundle's modules by default (no mod_amd, with mod_avmd): the
engine asks (module_exists, show application as json) and a campaign with AMD either falls
back to mod_avmd's beep (``settings.amd_fallback: avmd``) or cannot start.
"""
from __future__ import annotations

import pathlib

import pytest

from engine.campaigns import lifecycle
from engine.campaigns.dialer import MESSAGE_LEAD_SECONDS
from engine.campaigns.errors import LifecycleError
from engine.store import Attempt, Campaign, Contact
from tests.campaigns.test_simswitch import ROUTES, setup, start
from tests.engine.sim import running, scenario_file, wait_until


@pytest.mark.timeout(60)
def test_the_engine_asks_each_switch_what_it_has(sqlite_store, tmp_path: pathlib.Path):
    _, _, scenario = setup(tmp_path, mode="progressive")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        found = engine.capabilities["fs1"]
        assert "mod_avmd" in found.modules and "mod_amd" not in found.modules
        assert found.has_application("avmd_start") and not found.has_application("amd")
        assert engine.snapshot()["switches"]["fs1"]["modules"] == sorted(found.modules)
        sim.switch.scenario.modules.append("mod_amd")  # an admin loads mod_amd
        engine.capabilities.refresh(engine.nodes)
        assert engine.capabilities["fs1"].has_application("amd")


@pytest.mark.timeout(60)
def test_amd_campaign_without_mod_amd_and_no_fallback_cannot_start(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(tmp_path, mode="progressive", amd_enabled=True, amd_action="hangup")
    Contact.create(campaign=campaign, phone="+12125550101")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        switches = list(engine.capabilities.values())
        campaign.status = "scheduled"
        campaign.save()
        with pytest.raises(LifecycleError) as refused:
            lifecycle.transition(campaign, "running", ready_agents=1, switches=switches)
        assert "amd_enabled" in str(refused.value) and "settings.amd_fallback" in str(refused.value)
        assert "fs1" in str(refused.value)
        # one already running (started before mod_amd went away) dials nothing and is paused
        Campaign.update(status="running").where(Campaign.id == campaign.id).execute()
        port, group = start(engine, agents)
        dialer = group.add(Campaign.get_by_id(campaign.id))
        assert "amd_enabled" in dialer.amd_refusal
        for _ in range(3):
            assert group.tick(port.now()) == 0
        group.sync(port.now())
        assert Campaign.get_by_id(campaign.id).status == "paused"
        assert Attempt.select().count() == 0  # never "answered, then hung up by a missing amd"


@pytest.mark.timeout(90)
def test_without_mod_amd_the_avmd_fallback_hangs_up_a_machine_that_beeps_before_an_agent(
        sqlite_store, tmp_path: pathlib.Path):
    customers = [{"prefix": "+12125550101", "answer": 1.0, "machine": 1.0, "greeting": 0.5, "ring_time": 0.2,
                  "talk_time": 60}]
    agents, campaign, _ = setup(tmp_path, mode="progressive", amd_enabled=True, amd_action="hangup",
                                settings={"amd_fallback": "avmd"})
    # the agent's phone is still ringing when the machine's beep comes
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 30}], customers=customers)
    machine = Contact.create(campaign=campaign, phone="+12125550101")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        assert group.dialers[campaign.id].amd_method == "avmd"
        group.tick(port.now())
        wait_until(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1, timeout=30)
        attempt = Attempt.get(Attempt.contact == machine.id)
        assert (attempt.outcome, attempt.amd_result) == ("machine", "machine")
        assert attempt.connected_at is None
        assert Contact.get_by_id(machine.id).status == "retry"


@pytest.mark.timeout(90)
def test_avmd_fallback_sends_humans_to_the_agent_at_once(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(
        tmp_path, mode="progressive", amd_enabled=True, amd_action="hangup", settings={"amd_fallback": "avmd"},
        customers=[{"prefix": "+1212555", "answer": 1.0, "machine": 0.0, "ring_time": 0.2, "talk_time": 2.0}])
    human = Contact.create(campaign=campaign, phone="+12125550102")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        group.add(campaign)
        group.tick(port.now())
        wait_until(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1, timeout=30)
        attempt = Attempt.get(Attempt.contact == human.id)
        assert (attempt.outcome, attempt.amd_result) == ("answered", "notsure")
        assert attempt.agent_id == agents[0].id and attempt.connected_at is not None


@pytest.mark.timeout(90)
def test_connected_is_stamped_when_the_agent_leg_is_bridged_not_at_answer(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(
        tmp_path, mode="progressive",
        customers=[{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.2, "talk_time": 3.0}])
    contact = Contact.create(campaign=campaign, phone="+12125550101")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        seen: list[tuple[str, str, object]] = []
        engine.call_listeners.append(lambda call, name: seen.append((call.role, name, port.now()))
                                     if name in ("CHANNEL_ANSWER", "CHANNEL_BRIDGE") else None)
        group.add(campaign)
        group.tick(port.now())
        wait_until(lambda: Attempt.get(Attempt.contact == contact.id).outcome != "", timeout=30)
        attempt = Attempt.get(Attempt.contact == contact.id)
        agent_answer = next(at for role, name, at in seen if role == "agent" and name == "CHANNEL_ANSWER")
        bridged = next(at for role, name, at in seen if name == "CHANNEL_BRIDGE")
        # event order on the engine's clock: customer answers, agent answers, legs bridged
        assert attempt.answered_at < agent_answer <= bridged
        assert attempt.connected_at is not None and attempt.connected_at >= agent_answer
        assert attempt.connected_at > attempt.answered_at


@pytest.mark.timeout(90)
def test_abandoned_customer_hears_the_message_within_two_seconds_of_answer(sqlite_store, tmp_path: pathlib.Path):
    agents, campaign, scenario = setup(tmp_path, mode="power", power_ratio=2.0, no_agent_message="goodbye.wav",
                                       customers=[{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.3,
                                                   "talk_time": 3.0}])
    for i in range(2):
        Contact.create(campaign=campaign, phone=f"+121255501{i:02d}")
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        port, group = start(engine, agents)
        played: list[tuple[str, object]] = []
        play = port.play_and_hangup
        port.play_and_hangup = lambda uuid, sound: (played.append((uuid, port.now())), play(uuid, sound))[1]
        group.add(campaign)
        assert group.tick(port.now()) == 2
        # no more ticks: only the engine clock's wake-up can play the abandon message
        wait_until(lambda: Attempt.select().where(Attempt.outcome != "").count() == 2, timeout=30)
        abandoned = Attempt.get(Attempt.outcome == "abandoned")
        ((uuid, at),) = played
        assert uuid == abandoned.origination_uuid
        waited = (at - abandoned.answered_at).total_seconds()
        assert 2.0 - MESSAGE_LEAD_SECONDS <= waited < 2.0
