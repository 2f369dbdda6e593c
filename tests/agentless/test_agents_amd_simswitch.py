"""Press-1 to a queue, timeout-to-agent and AMD actions against simswitch over TCP."""
from __future__ import annotations

import pathlib

import pytest

from engine.store import Agent, Attempt, Contact, Queue, QueueMember
from simswitch.scenario import BUNDLE_MODULES
from tests.agentless.harness import agentless_world, fk, make_campaign
from tests.engine.sim import wait_until

ANSWER = {"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 60}


def queue_with_agent() -> tuple[Queue, Agent]:
    agent = Agent.create(name="Agent 1", extension="1001", sip_password="pw", wrap_up_seconds=0)
    # Not the flow's default ({campaign_queue} is "renewals" in dialplans/press1.yaml): the
    # campaign's own queue must be the one the caller reaches.
    queue = Queue.create(name="sales", announce_position_seconds=0, wrap_up_seconds=0)
    QueueMember.create(queue=queue, agent=agent)
    return queue, agent


AGENT_PHONE = [{"extension": "1001", "answer_delay": 0.2}]


@pytest.mark.timeout(60)
def test_press1_hands_the_call_to_a_free_agent_of_the_queue(sqlite_store, tmp_path: pathlib.Path):
    queue, agent = queue_with_agent()
    campaign = make_campaign("press1", queue=queue)
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Dee")
    Contact.create(campaign=campaign, phone="+12125550102", first_name="Eve")
    with agentless_world(tmp_path, [{**ANSWER, "dtmf": ["1"]}], agents=AGENT_PHONE) as world:
        world.engine.agent_login(agent.id)
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().count() >= 1)
        # one free agent: only one call may be in progress before it is with the agent
        assert Attempt.select().count() == 1
        wait_until(lambda: world.engine.agents.get(agent.id).state == "in_call", timeout=20)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert world.results[attempt.origination_uuid].end == "queue"
        call = world.engine.calls.get(attempt.origination_uuid)
        assert call is not None and call.agent_id == agent.id
        world.engine.switch.kill(call)  # the customer's conversation ends
        world.pump(lambda: Attempt.get(Attempt.contact == contact.id).outcome != "")
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert (attempt.outcome, fk(attempt, "agent")) == ("answered", agent.id)
        assert attempt.answered_at and attempt.connected_at and attempt.ended_at
        assert attempt.answered_at <= attempt.connected_at <= attempt.ended_at


@pytest.mark.timeout(60)
def test_press1_without_free_agents_dials_nobody(sqlite_store, tmp_path: pathlib.Path):
    queue, agent = queue_with_agent()
    campaign = make_campaign("press1", queue=queue)
    Contact.create(campaign=campaign, phone="+12125550101")
    with agentless_world(tmp_path, [ANSWER], agents=AGENT_PHONE) as world:  # the agent never logs in
        world.service.add(campaign)
        for _ in range(5):
            assert world.service.group.tick(world.port.now()) == 0
        assert Attempt.select().count() == 0


@pytest.mark.timeout(60)
def test_timeout_to_agent_after_seconds_of_listening(sqlite_store, tmp_path: pathlib.Path):
    queue, agent = queue_with_agent()
    campaign = make_campaign("broadcast", queue=queue, settings={"agent_after_seconds": 2})
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Fay")
    with agentless_world(tmp_path, [ANSWER], agents=AGENT_PHONE) as world:
        world.engine.agent_login(agent.id)
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().count() == 1)
        wait_until(lambda: world.engine.agents.get(agent.id).state == "in_call", timeout=20)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert attempt.origination_uuid not in world.results  # the flow was cut short, not finished
        call = world.engine.calls.get(attempt.origination_uuid)
        assert call is not None and call.agent_id == agent.id


WITH_AMD = [*BUNDLE_MODULES, "mod_amd"]  # the shared FreeSWITCH bundle (simswitch's default) has no mod_amd
MACHINE = {"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 60, "machine": 1.0, "greeting": 4}


@pytest.mark.timeout(60)
def test_amd_machine_hangs_up_when_the_campaign_says_so(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast", amd_enabled=True, amd_action="hangup")
    contact = Contact.create(campaign=campaign, phone="+12125550101")
    with agentless_world(tmp_path, [MACHINE], modules=WITH_AMD) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert (attempt.outcome, attempt.amd_result) == ("machine", "machine")
        assert world.results == {}  # the message was never played


@pytest.mark.timeout(60)
def test_amd_machine_gets_the_message_after_the_beep(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast", amd_enabled=True, amd_action="message")
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Gus")
    with agentless_world(tmp_path, [MACHINE], modules=WITH_AMD) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert (attempt.outcome, attempt.amd_result) == ("machine", "machine")
        result = world.results[attempt.origination_uuid]
        assert [s.node for s in result.steps] == ["message", "goodbye"]
        assert (result.variables["amd_result"], result.variables["amd_beep"]) == ("machine", "yes")


@pytest.mark.timeout(60)
def test_amd_machine_gets_the_campaign_machine_message_instead_of_the_flow(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("survey", amd_enabled=True, amd_action="message",
                             settings={"machine_message": "goodbye.wav"})
    contact = Contact.create(campaign=campaign, phone="+12125550101")
    with agentless_world(tmp_path, [MACHINE], modules=WITH_AMD) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert (attempt.outcome, attempt.amd_result, attempt.hangup_cause) == ("machine", "machine", "NORMAL_CLEARING")
        assert world.results == {}  # no survey questions for a machine


@pytest.mark.timeout(60)
def test_amd_human_hears_the_flow(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast", amd_enabled=True, amd_action="hangup")
    contact = Contact.create(campaign=campaign, phone="+12125550101")
    with agentless_world(tmp_path, [ANSWER], modules=WITH_AMD) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert (attempt.outcome, attempt.amd_result) == ("answered", "human")
        result = world.results[attempt.origination_uuid]
        assert result.end == "hangup" and result.variables["amd_result"] == "human"
        assert "amd_beep" not in result.variables
