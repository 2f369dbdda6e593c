"""The dialer loop with a fake switch and agent pool: modes, connection orders, abandons,
AMD, compliance at the point of dialing, and agents shared by campaign priority."""
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.campaigns.compliance import callee_time_zones
from engine.campaigns.dialer import MESSAGE_LEAD_SECONDS, CampaignDialer
from engine.campaigns.dnc import add_dnc
from engine.campaigns.group import DialerGroup
from engine.campaigns.outcomes import abandon_rates, classify
from engine.campaigns.preview import PreviewDesk
from engine.store import Agent, Attempt, Campaign, Contact, DncEntry
from tests.campaigns.fakes import FakeAgents, FakeOriginator

T0 = dt.datetime(2026, 3, 2, 19, 0)  # 11:00 in San Francisco


def at(seconds):
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def campaign(sqlite_store):
    return Campaign.create(name="c", status="running", dial_mode="progressive", caller_id_number="+14155550000",
                           retry_delays={"busy": 120}, no_agent_message="sorry.wav", calls_per_second=50)


def contacts(campaign, count, start=0):
    return [Contact.create(campaign=campaign, phone=f"+1415555{i:04d}") for i in range(start, start + count)]


def make(campaign, *agents, **kwargs):
    for agent_id in agents:
        if Agent.get_or_none(Agent.id == agent_id) is None:
            Agent.create(id=agent_id, name=f"agent {agent_id}", extension=str(1000 + agent_id), sip_password="x")
    switch, pool = FakeOriginator(), FakeAgents(*agents)
    return CampaignDialer(campaign, switch, pool, **kwargs), switch, pool


@pytest.mark.parametrize("cause, answered, amd, abandoned, ring, expected", [
    ("USER_BUSY", False, "", False, 3, "busy"),
    ("NO_ANSWER", False, "", False, 30, "no_answer"),
    ("ORIGINATOR_CANCEL", False, "", False, 30, "no_answer"),
    ("ORIGINATOR_CANCEL", False, "", False, 5, "failed"),
    ("UNALLOCATED_NUMBER", False, "", False, 1, "invalid"),
    ("INVALID_NUMBER_FORMAT", False, "", False, 1, "invalid"),
    ("CALL_REJECTED", False, "", False, 2, "rejected"),
    ("NORMAL_TEMPORARY_FAILURE", False, "", False, 1, "failed"),
    ("NORMAL_CLEARING", True, "", False, 5, "answered"),
    ("NORMAL_CLEARING", True, "machine", False, 5, "machine"),
    ("NORMAL_CLEARING", True, "", True, 5, "abandoned"),
])
def test_classify_hangup_causes(cause, answered, amd, abandoned, ring, expected):
    assert classify(cause, answered=answered, amd_result=amd, abandoned=abandoned, ring_seconds=ring,
                    ring_timeout=30) == expected


def test_progressive_one_call_per_free_agent_attempt_before_originate(campaign):
    contacts(campaign, 5)
    dialer, switch, pool = make(campaign, 1, 2)
    assert dialer.tick(T0, pool.ready(None)) == 2
    assert len(switch.originated) == 2
    first = switch.originated[0]
    assert first["dial_string"].startswith("sofia/gateway/default/+1415555")
    assert first["variables"]["origination_caller_id_number"] == "+14155550000"
    assert first["variables"]["originate_timeout"] == 30
    assert dialer.tick(at(1), pool.ready(None)) == 0  # both agents covered by ringing calls
    a, b = switch.uuids()
    dialer.on_answer(a, at(5))
    assert switch.connected == [(a, 1)]
    assert dialer.on_hangup(b, "USER_BUSY", at(6)) == "busy"
    busy = Contact.get(Contact.phone == Attempt.get(Attempt.origination_uuid == b).phone)
    assert busy.status == "retry" and busy.next_attempt_at == at(126)
    dialer.on_bridge(a, at(8))  # the agent answered and was bridged 3 s after the customer
    assert dialer.on_hangup(a, "NORMAL_CLEARING", at(60)) == "answered"
    row = Attempt.get(Attempt.origination_uuid == a)
    assert (row.outcome, row.answered_at, row.connected_at, row.agent_id) == ("answered", at(5), at(8), 1)


def test_power_ratio_dials_several_lines_per_agent(campaign):
    campaign.dial_mode, campaign.power_ratio = "power", 2.5
    contacts(campaign, 10)
    dialer, switch, pool = make(campaign, 1, 2)
    assert dialer.tick(T0, pool.ready(None)) == 5


def test_answer_without_agent_gets_message_within_two_seconds_and_counts_abandoned(campaign):
    campaign.dial_mode, campaign.power_ratio = "power", 3
    contacts(campaign, 3)
    dialer, switch, pool = make(campaign, 1)
    dialer.tick(T0, pool.ready(None))
    a, b, c = switch.uuids()
    dialer.on_answer(a, at(4))
    dialer.on_answer(b, at(5))
    assert switch.connected == [(a, 1)]
    # the message is sent MESSAGE_LEAD_SECONDS before the 2 s limit, so it plays within 2 s
    assert dialer.abandon_deadline() == at(5 + 2.0 - MESSAGE_LEAD_SECONDS)
    dialer.serve_waiting(at(6.4))
    assert switch.played == []
    dialer.serve_waiting(at(5 + 2.0 - MESSAGE_LEAD_SECONDS))
    assert switch.played == [(b, "sorry.wav")]
    assert dialer.abandon_deadline() is None
    assert dialer.on_hangup(b, "NORMAL_CLEARING", at(12)) == "abandoned"
    dialer.on_hangup(a, "NORMAL_CLEARING", at(40))
    dialer.on_hangup(c, "NO_ANSWER", at(35))
    rates = abandon_rates(campaign, at(60))
    assert (rates.answered_today, rates.abandoned_today, rates.today) == (2, 1, 0.5)
    assert rates.last_30_days == 0.5
    assert abandon_rates(campaign, at(60) + dt.timedelta(days=1)).today == 0.0
    assert abandon_rates(campaign, at(60) + dt.timedelta(days=31)).answered_30d == 0


def test_power_falls_back_to_one_line_per_agent_over_the_abandon_cap(campaign):
    campaign.dial_mode, campaign.power_ratio = "power", 3
    contacts(campaign, 10)
    Attempt.create(campaign=campaign, phone="+14155559999", origination_uuid="old", created_at=at(-60),
                   answered_at=at(-55), outcome="abandoned", abandoned=True)
    dialer, switch, pool = make(campaign, 1, 2)
    assert dialer.over_abandon_cap(T0)
    assert dialer.tick(T0, pool.ready(None)) == 2


def test_amd_machine_is_hung_up_and_recorded(campaign):
    campaign.amd_enabled, campaign.amd_action = True, "hangup"
    contacts(campaign, 2)
    dialer, switch, pool = make(campaign, 1, 2)
    dialer.tick(T0, pool.ready(None))
    machine, human = switch.uuids()
    dialer.on_answer(machine, at(5))
    dialer.on_answer(human, at(5))
    assert switch.amd_started == [machine, human]
    assert switch.connected == []  # waiting for AMD
    assert dialer.awaiting_amd(machine)
    dialer.on_amd(machine, "MACHINE", at(7))
    dialer.on_amd(human, "HUMAN", at(6))
    assert switch.hung_up == [machine] and switch.connected == [(human, 1)]
    assert dialer.on_hangup(machine, "NORMAL_CLEARING", at(8)) == "machine"
    assert Attempt.get(Attempt.origination_uuid == machine).amd_result == "machine"


def test_amd_message_action_and_no_verdict_means_human(campaign):
    campaign.amd_enabled, campaign.amd_action = True, "message"
    campaign.settings = {"machine_message": "leave-a-message.wav"}
    contacts(campaign, 2)
    dialer, switch, pool = make(campaign, 1, 2)
    dialer.tick(T0, pool.ready(None))
    machine, silent = switch.uuids()
    dialer.on_answer(machine, at(5))
    dialer.on_answer(silent, at(5))
    dialer.on_amd(machine, "MACHINE", at(7))
    assert switch.played == [(machine, "leave-a-message.wav")]
    dialer.tick(at(9.9), [])
    assert switch.connected == []
    dialer.tick(at(10), [])  # 5 s without a verdict: treated as a human
    assert switch.connected == [(silent, 1)]
    dialer.on_hangup(silent, "NORMAL_CLEARING", at(40))
    assert Attempt.get(Attempt.origination_uuid == silent).amd_result == "notsure"


@pytest.mark.parametrize("mode", ["broadcast", "notification", "survey", "validity", "broadcast_ivr", "press1"])
def test_agentless_modes_are_never_dialed_by_the_agent_dialer(campaign, mode):
    # Agentless campaigns are dialed by engine.agentless.AgentlessDialer only (tests/agentless).
    campaign.dial_mode, campaign.ivr_flow, campaign.max_lines = mode, "broadcast", 3
    contacts(campaign, 3)
    dialer, switch, pool = make(campaign, 1)
    assert dialer.tick(T0, pool.ready(None)) == 0
    assert switch.originated == [] and Attempt.select().count() == 0


def test_no_agent_action_queue_hands_the_extra_answer_to_the_queue(campaign):
    from engine.store import Queue

    sales = Queue.create(name="sales")
    other = Campaign.create(name="q", status="running", caller_id_number="+14155550000", queue=sales,
                            no_agent_action="queue", dial_mode="power", power_ratio=2)
    Contact.create(campaign=other, phone="+14155551234")
    Contact.create(campaign=other, phone="+14155551235")
    dialer2, switch2, pool2 = make(other, 9)
    dialer2.tick(T0, pool2.ready(None))
    a, b = switch2.uuids()
    dialer2.on_answer(a, at(3))
    dialer2.on_answer(b, at(3))
    dialer2.tick(at(5), [])
    assert switch2.sent == [(b, "queue", "sales")]
    assert dialer2.on_hangup(b, "NORMAL_CLEARING", at(60)) == "abandoned"


def test_amd_ivr_left_on_an_agent_campaign_row_hangs_machines_up(campaign):
    # validation refuses ivr for agent modes; a row saved before that must not reach a flow
    campaign.amd_enabled, campaign.amd_action, campaign.ivr_flow = True, "ivr", "voicemail-drop"
    contacts(campaign, 1)
    dialer, switch, pool = make(campaign, 1)
    dialer.tick(T0, pool.ready(None))
    (call,) = switch.uuids()
    dialer.on_answer(call, at(3))
    dialer.on_amd(call, "MACHINE", at(5))
    assert switch.sent == [] and switch.connected == [] and switch.hung_up == [call]
    assert pool.ready(None) == [1]  # the agent is not held for a machine


def test_amd_agent_action_connects_machines_like_humans(campaign):
    campaign.amd_enabled, campaign.amd_action = True, "agent"
    contacts(campaign, 1)
    dialer, switch, pool = make(campaign, 1)
    dialer.tick(T0, pool.ready(None))
    (call,) = switch.uuids()
    dialer.on_answer(call, at(3))
    dialer.on_amd(call, "MACHINE", at(5))
    assert switch.connected == [(call, 1)] and switch.hung_up == []


def test_simultaneous_reserves_agent_while_ringing(campaign):
    campaign.connect_order = "simultaneous"
    contacts(campaign, 1)
    dialer, switch, pool = make(campaign, 1)
    dialer.tick(T0, pool.ready(None))
    (a,) = switch.uuids()
    dialer.on_ringing(a, at(1))
    assert pool.state[1] == f"reserved:{a}"
    dialer.on_answer(a, at(9))
    assert switch.connected == [(a, 1)]


def test_simultaneous_gives_the_agent_back_when_nobody_answers(campaign):
    campaign.connect_order = "simultaneous"
    contacts(campaign, 1)
    dialer, switch, pool = make(campaign, 1)
    dialer.tick(T0, pool.ready(None))
    (a,) = switch.uuids()
    dialer.on_ringing(a, at(1))
    dialer.on_hangup(a, "NO_ANSWER", at(31))
    assert pool.state[1] == "ready"


def test_agent_first_rings_the_agent_and_bridges_out(campaign):
    campaign.connect_order = "agent_first"
    contacts(campaign, 3)
    dialer, switch, pool = make(campaign, 7)
    assert dialer.tick(T0, pool.ready(None)) == 1
    call = switch.originated[0]
    assert call["dial_string"] == "user/1007" and call["app"].startswith("&bridge({")
    assert f"origination_uuid={call['customer_uuid']}" in call["app"]
    assert call["app"].endswith("sofia/gateway/default/+14155550000)")
    dialer.on_answer(call["customer_uuid"], at(8))
    assert dialer.on_hangup(call["customer_uuid"], "NORMAL_CLEARING", at(60)) == "answered"


def test_agent_first_agent_not_answering_ends_the_attempt(campaign):
    campaign.connect_order = "agent_first"
    contacts(campaign, 1)
    dialer, switch, pool = make(campaign, 7)
    dialer.tick(T0, pool.ready(None))
    call = switch.originated[0]
    assert dialer.on_hangup(call["uuid"], "NO_ANSWER", at(20)) == "failed"
    assert pool.state[7] == "ready" and dialer.live == {}


def test_compliance_is_enforced_where_the_call_is_made(campaign):
    blocked, night, ok = contacts(campaign, 3)
    add_dnc(blocked.phone, scope="campaign", campaign=campaign)
    Contact.update(phone="+12125550143").where(Contact.id == night.id).execute()  # 14:00 in New York: fine
    dialer, switch, pool = make(campaign, 1, 2, 3)
    assert dialer.tick(T0, pool.ready(None)) == 2
    assert Contact.get_by_id(blocked.id).status == "dnc"
    assert Attempt.select().where(Attempt.contact == blocked.id).count() == 0
    # at 04:00 in San Francisco nothing goes out and the contact is due when the window opens
    late = Contact.create(campaign=campaign, phone="+14155559999")
    dialer2, switch2, pool2 = make(campaign, 4)
    assert dialer2.tick(dt.datetime(2026, 3, 3, 12, 0), pool2.ready(None)) == 0
    stored = Contact.get_by_id(late.id)
    assert stored.status == "retry" and stored.next_attempt_at == dt.datetime(2026, 3, 3, 17, 0)


def test_refusals_that_waiting_cannot_fix_close_the_contact(campaign):
    unknown = Contact.create(campaign=campaign, phone="+80012345678")
    dialer, switch, pool = make(campaign, 1)
    assert dialer.tick(T0, pool.ready(None)) == 0
    stored = Contact.get_by_id(unknown.id)
    assert (stored.status, stored.last_outcome) == ("failed", "window_blocked")


def test_a_call_that_never_sends_an_event_is_ended_after_its_ring_timeout(campaign):
    contacts(campaign, 1)
    dialer, switch, pool = make(campaign, 1)
    dialer.tick(T0, pool.ready(None))
    (lost,) = switch.uuids()
    dialer.tick(at(30 + 119), [])
    assert lost in dialer.live
    dialer.tick(at(30 + 121), [])
    assert dialer.live == {} and Attempt.get(Attempt.origination_uuid == lost).outcome == "no_answer"


def test_originate_refused_by_the_switch_is_a_call_never_placed(campaign):
    contacts(campaign, 1)
    dialer, switch, pool = make(campaign, 1)
    switch.fail_next = True
    assert dialer.tick(T0, pool.ready(None)) == 0
    assert Attempt.get().outcome == "trunk_failed" and dialer.live == {}
    contact = Contact.get()
    assert (contact.status, contact.attempts) == ("retry", 0)  # no attempt burnt
    assert dialer.tick(at(1), pool.ready(None)) == 0  # the trunk is backed off
    assert Attempt.select().count() == 1


def test_paused_campaign_launches_nothing_but_finishes_live_calls(campaign):
    contacts(campaign, 3)
    dialer, switch, pool = make(campaign, 1)
    dialer.tick(T0, pool.ready(None))
    campaign.status = "paused"
    assert dialer.tick(at(60), pool.ready(None)) == 0
    (a,) = switch.uuids()
    assert dialer.on_hangup(a, "NO_ANSWER", at(30)) == "no_answer"


def test_preview_shows_then_dials_and_countdown_auto_dials(campaign):
    campaign.dial_mode = "preview"
    first, second = contacts(campaign, 2)
    dialer, switch, pool = make(campaign, 1, 2)
    desk = PreviewDesk(dialer)
    shown = desk.next_record(1, T0)
    assert shown.id == first.id and desk.next_record(1, T0).id == first.id
    assert dialer.tick(at(1), pool.ready(None)) == 0  # the pacer never dials in preview
    live = desk.dial(1, at(5))
    assert live is not None and pool.state[1] == f"reserved:{live.uuid}"
    dialer.on_answer(live.uuid, at(9))
    assert switch.connected == [(live.uuid, 1)]
    campaign.preview_countdown_seconds = 10
    assert desk.next_record(2, at(10)).id == second.id
    assert desk.tick(at(19)) == 0
    assert desk.tick(at(20)) == 1 and len(switch.originated) == 2


def test_preview_skip_and_click_to_dial(campaign):
    campaign.dial_mode = "manual"
    first, second = contacts(campaign, 2)
    second.alt_phones = ["+12125550143"]
    second.save()
    dialer, switch, pool = make(campaign, 1)
    desk = PreviewDesk(dialer)
    desk.next_record(1, T0)
    assert desk.skip(1, T0)
    assert Contact.get_by_id(first.id).next_attempt_at == T0 + dt.timedelta(minutes=10)
    live = desk.click_to_dial(1, second.id, at(1), phone="+12125550143")
    assert live.phone == "+12125550143" and switch.originated[0]["dial_string"].endswith("+12125550143")
    assert desk.click_to_dial(1, second.id, at(2)) is None  # already dialing


def test_campaigns_share_agents_by_priority(sqlite_store):
    high = Campaign.create(name="high", status="running", priority=1, caller_id_number="+14155550000")
    low = Campaign.create(name="low", status="running", priority=5, caller_id_number="+14155550000")
    contacts(high, 1)
    contacts(low, 5, start=100)
    _, switch, pool = make(high, 1, 2, 3)
    group = DialerGroup(switch, pool)
    group.add(low)
    group.add(high)
    assert group.tick(T0) == 3
    by_campaign = [o["variables"]["fscc_campaign_id"] for o in switch.originated]
    assert by_campaign == [high.id, low.id, low.id]
    high_uuid = switch.originated[0]["customer_uuid"]
    group.on_event(high_uuid, "CHANNEL_ANSWER", at(3))
    assert switch.connected[0][0] == high_uuid
    group.on_event(high_uuid, "CHANNEL_HANGUP", at(30), cause="NORMAL_CLEARING")
    assert Attempt.get(Attempt.origination_uuid == high_uuid).outcome == "answered"


PHONES = ["+14155552671", "+12125550143", "+18085550100", "+442079460958", "+61891234567", "+79161234567"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(now=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)),
       people=st.lists(st.tuples(st.sampled_from(PHONES), st.booleans(), st.integers(0, 4)), min_size=1,
                       max_size=6, unique_by=lambda p: p[0]),
       agents=st.integers(1, 6))
def test_property_dialer_never_dials_outside_window_on_dnc_or_past_limits(campaign, now, people, agents):
    Attempt.delete().execute()
    DncEntry.delete().execute()
    Contact.delete().execute()
    campaign.dial_mode, campaign.power_ratio, campaign.max_attempts = "power", 3, 3
    for phone, on_dnc, attempts in people:
        Contact.create(campaign=campaign, phone=phone, attempts=attempts)
        if on_dnc:
            add_dnc(phone, scope="global", list_color="red")
    dialer, switch, pool = make(campaign, *range(1, agents + 1))
    dialer.tick(now, pool.ready(None))
    blocked = {p for p, on_dnc, _ in people if on_dnc}
    prior = {p: a for p, _, a in people}
    for attempt in Attempt.select():
        assert attempt.phone not in blocked
        assert prior[attempt.phone] < campaign.max_attempts
        local = [now.replace(tzinfo=dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo(z)).time()
                 for z in callee_time_zones(attempt.phone)]
        assert all(dt.time(9) <= t < dt.time(21) for t in local)
    assert len(switch.originated) == Attempt.select().count()


def test_group_sync_picks_up_campaigns_and_follows_their_window(sqlite_store):
    from engine.store import Schedule

    grid = Schedule.create(name="office", timezone="UTC", hours={"0": [["18:00", "20:00"]]})
    scheduled = Campaign.create(name="later", status="scheduled", schedule=grid, caller_id_number="+14155550000")
    Campaign.create(name="draft", status="draft", caller_id_number="+14155550000")
    contacts(scheduled, 1)
    _, switch, pool = make(scheduled, 1)
    group = DialerGroup(switch, pool)
    group.sync(T0)
    assert list(group.dialers) == [scheduled.id]
    assert Campaign.get_by_id(scheduled.id).status == "running"
    assert group.tick(T0) == 1
    group.sync(at(3600))  # 20:00: the grid closed
    assert Campaign.get_by_id(scheduled.id).status == "scheduled"
    assert group.tick(at(3601)) == 0
