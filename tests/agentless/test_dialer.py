"""AgentlessDialer and its mode plans with a fake switch and agent pool (no network)."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.agentless.call import contact_variables
from engine.agentless.dialer import HANGUP_AT_ANSWER, AgentlessDialer, socket_app
from engine.agentless.group import AgentlessDialerGroup
from engine.agentless.modes import AgentlessConfigError, plan_for
from engine.campaigns.outcomes import classify
from engine.esl import commands
from engine.store import Agent, Attempt, Campaign, Contact, Queue, QueueMember
from tests.campaigns.fakes import FakeAgents, FakeOriginator

T0 = dt.datetime(2026, 3, 2, 19, 0)  # 11:00 in San Francisco
APP = "&socket(127.0.0.1:8085\\sasync\\sfull)"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def campaign_row(mode: str, **fields) -> Campaign:
    values = dict(name=f"{mode}-{Campaign.select().count()}", status="running", dial_mode=mode,
                  caller_id_number="+14155550000", calls_per_second=50)
    values.update(fields)
    return Campaign.create(**values)


def contacts(campaign: Campaign, count: int) -> list[Contact]:
    return [Contact.create(campaign=campaign, phone=f"+1415555{i:04d}") for i in range(count)]


def dialer_for(campaign: Campaign, *agents: int) -> tuple[AgentlessDialer, FakeOriginator, FakeAgents]:
    switch, pool = FakeOriginator(), FakeAgents(*agents)
    return AgentlessDialer(campaign, switch, pool, answer_app=APP), switch, pool


def test_socket_app_is_one_originate_word_with_escaped_spaces():
    assert socket_app("127.0.0.1", 8085) == APP
    command = commands.originate("sofia/gateway/gw/+14155550000", socket_app("10.0.0.5", 8085))
    assert command == "originate sofia/gateway/gw/+14155550000 &socket(10.0.0.5:8085\\sasync\\sfull)"


def test_flow_modes_originate_to_the_socket_with_the_attempt_written_first(sqlite_store):
    campaign = campaign_row("broadcast")
    contacts(campaign, 2)
    dialer, switch, _ = dialer_for(campaign)
    assert dialer.tick(at(0), []) == 2
    assert [o["app"] for o in switch.originated] == [APP, APP]  # FakeOriginator checks the Attempt row
    variables = switch.originated[0]["variables"]
    assert variables["fscc_agentless"] == "broadcast"
    assert variables["fscc_attempt_id"] == Attempt.get(Attempt.origination_uuid == switch.uuids()[0]).id


def test_validity_hangs_up_at_answer_and_early_media_marks_invalid_numbers(sqlite_store):
    campaign = campaign_row("validity")
    contacts(campaign, 2)
    dialer, switch, _ = dialer_for(campaign)
    dialer.tick(at(0), [])
    assert {o["app"] for o in switch.originated} == {HANGUP_AT_ANSWER}
    announced, silent = switch.uuids()
    for uuid in (announced, silent):
        dialer.on_ringing(uuid, at(1))
    dialer.on_early_media(announced)
    assert dialer.on_hangup(announced, "NORMAL_TEMPORARY_FAILURE", at(4)) == "invalid"
    assert dialer.on_hangup(silent, "NORMAL_TEMPORARY_FAILURE", at(4)) == "failed"
    row = Attempt.get(Attempt.origination_uuid == announced)
    assert (row.outcome, row.hangup_cause) == ("invalid", "NORMAL_TEMPORARY_FAILURE")
    assert Contact.get_by_id(row.contact_id).last_outcome == "invalid"


def test_an_answer_never_seeks_an_agent_nor_counts_as_abandoned(sqlite_store):
    campaign = campaign_row("survey", no_agent_message="sorry.wav")
    contacts(campaign, 1)
    dialer, switch, pool = dialer_for(campaign, 7)
    dialer.tick(at(0), [7])
    uuid = switch.uuids()[0]
    dialer.on_answer(uuid, at(2))
    dialer.tick(at(30), [7])
    assert (switch.connected, switch.played, switch.hung_up, switch.amd_started) == ([], [], [], [])
    assert pool.state[7] == "ready"
    assert dialer.on_hangup(uuid, "NORMAL_CLEARING", at(60)) == "answered"
    assert not Attempt.get(Attempt.origination_uuid == uuid).abandoned


def test_press1_free_agents_bound_the_calls_in_progress(sqlite_store):
    agent = Agent.create(name="a", extension="1001", sip_password="x")
    queue = Queue.create(name="renewals")
    QueueMember.create(queue=queue, agent=agent)
    campaign = campaign_row("press1", queue=queue)
    contacts(campaign, 5)
    switch, pool = FakeOriginator(), FakeAgents(agent.id, 99)
    group = AgentlessDialerGroup(switch, pool, answer_app=APP)
    dialer = group.add(campaign)
    assert isinstance(dialer, AgentlessDialer) and dialer.agent_ids == frozenset({agent.id})
    assert group.tick(at(0)) == 1  # one free agent in the queue (agent 99 is not a member)
    assert group.tick(at(1)) == 0  # that call may still press 1
    dialer.handed_to_queue(switch.uuids()[0])
    assert group.tick(at(2)) == 1


def test_a_campaign_that_cannot_run_launches_nothing_and_says_why(sqlite_store):
    campaign = campaign_row("press1")
    contacts(campaign, 1)
    dialer, switch, _ = dialer_for(campaign, 1)
    assert dialer.config_error.startswith("queue:")
    assert dialer.tick(at(0), [1]) == 0 and switch.originated == []


def test_group_dials_agent_campaigns_as_before(sqlite_store):
    Agent.create(id=1, name="a", extension="1001", sip_password="x")
    switch = FakeOriginator()
    group = AgentlessDialerGroup(switch, FakeAgents(1), answer_app=APP)
    campaign = campaign_row("progressive")
    contacts(campaign, 1)
    dialer = group.add(campaign)
    assert type(dialer).__name__ == "CampaignDialer"
    assert group.tick(at(0)) == 1 and switch.originated[0]["app"] != APP
    uuid = switch.uuids()[0]
    group.on_event(uuid, "CHANNEL_ANSWER", at(3))
    assert switch.connected == [(uuid, 1)]  # answered customers still go to agents


@pytest.mark.parametrize("fields, field", [
    ({"dial_mode": "progressive"}, "dial_mode"),
    ({"dial_mode": "broadcast_ivr"}, "ivr_flow"),
    ({"dial_mode": "press1"}, "queue"),
    ({"dial_mode": "broadcast", "settings": {"agent_after_seconds": 20}}, "queue"),
    ({"dial_mode": "broadcast", "settings": {"agent_after_seconds": "soon"}}, "settings.agent_after_seconds"),
    ({"dial_mode": "broadcast", "settings": {"agent_after_seconds": -1}}, "settings.agent_after_seconds"),
    ({"dial_mode": "broadcast", "settings": {"machine_message": "../etc/passwd"}}, "settings.machine_message"),
    ({"dial_mode": "broadcast", "settings": {"machine_message": "/tmp/x.wav"}}, "settings.machine_message"),
])
def test_plan_errors_name_the_field(sqlite_store, fields, field):
    with pytest.raises(AgentlessConfigError) as error:
        plan_for(Campaign(**{"name": "x", **fields}))
    assert error.value.field == field


def test_plans_per_mode(sqlite_store):
    queue = Queue.create(name="q")
    assert plan_for(Campaign(name="a", dial_mode="survey")).flow == "survey"
    assert plan_for(Campaign(name="b", dial_mode="validity")).hangup_on_answer
    plan = plan_for(Campaign(name="c", dial_mode="broadcast", ivr_flow="promo", queue=queue, amd_enabled=True,
                             amd_action="message", settings={"agent_after_seconds": 20,
                                                             "machine_message": "vm.wav"}))
    assert (plan.flow, plan.queue, plan.agent_after_seconds, plan.amd, plan.machine_action, plan.machine_message) == (
        "promo", "q", 20.0, True, "message", "vm.wav")
    assert plan_for(Campaign(name="d", dial_mode="press1", queue=queue, amd_action="agent")).machine_action == "human"


@pytest.mark.parametrize("cause, answered, early, expected", [
    ("NORMAL_CLEARING", True, False, "answered"),
    ("USER_BUSY", False, True, "busy"),
    ("NO_ANSWER", False, True, "no_answer"),
    ("UNALLOCATED_NUMBER", False, False, "invalid"),
    ("NORMAL_TEMPORARY_FAILURE", False, True, "invalid"),
    ("NORMAL_TEMPORARY_FAILURE", False, False, "failed"),
    ("CALL_REJECTED", False, True, "rejected"),
])
def test_early_media_outcomes(cause, answered, early, expected):
    assert classify(cause, answered=answered, early_media=early, ring_seconds=5) == expected


def test_contact_variables_fill_the_standard_names_and_custom_fields(sqlite_store):
    contact = Contact(first_name="Ada", last_name="Byron", organisation="Acme", position="CTO", extra="VIP",
                      custom={"plan": "gold", "first_name": "ignored", "points": 12})
    assert contact_variables(contact, "+14155550100") == {
        "first_name": "Ada", "last_name": "Byron", "full_name": "Ada Byron", "organisation": "Acme",
        "position": "CTO", "extra_info": "VIP", "phone": "+14155550100", "plan": "gold", "points": "12"}
