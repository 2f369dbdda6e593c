"""What the dialer tells its pacer (ring and done reports, talk and wrap-up) and what it
reports back about pacing (last decision, estimates, abandon rates); the loop's cadence."""
import datetime as dt

import pytest

from engine.campaigns.group import DialerGroup, next_round
from engine.campaigns.pacing_feed import WRAP_GIVE_UP_SECONDS
from engine.pacing import make_pacer
from engine.pacing.base import CallOutcome, Pacer, PacingSnapshot, progressive_lines
from engine.store import Agent, Attempt, Campaign, Contact
from tests.campaigns.fakes import FakeAgents, FakeOriginator

T0 = dt.datetime(2026, 3, 2, 19, 0)  # 11:00 in San Francisco
E0 = T0.replace(tzinfo=dt.UTC).timestamp()


def at(seconds):
    return T0 + dt.timedelta(seconds=seconds)


class RecordingPacer(Pacer):
    """Progressive, and keeps every outcome it is shown."""

    mode = "progressive"

    def __init__(self):
        self.seen: list[CallOutcome] = []

    def decide(self, snapshot: PacingSnapshot) -> int:
        return progressive_lines(snapshot)

    def observe(self, outcome: CallOutcome) -> None:
        self.seen.append(outcome)


@pytest.fixture
def campaign(sqlite_store):
    return Campaign.create(name="c", status="running", dial_mode="progressive", caller_id_number="+14155550000",
                           no_agent_message="sorry.wav", calls_per_second=50, ring_timeout_seconds=20)


def setup(campaign, count, *agents, pacer=None):
    from engine.campaigns.dialer import CampaignDialer

    for i in range(count):
        Contact.create(campaign=campaign, phone=f"+1415555{i:04d}")
    for agent_id in agents:
        Agent.create(id=agent_id, name=f"agent {agent_id}", extension=str(1000 + agent_id), sip_password="x")
    switch, pool = FakeOriginator(), FakeAgents(*agents)
    return CampaignDialer(campaign, switch, pool, pacer=pacer), switch, pool


def test_human_reported_at_answer_then_done_with_talk_and_wrap_when_the_agent_is_ready(campaign):
    pacer = RecordingPacer()
    dialer, switch, pool = setup(campaign, 3, 1, 2, 3, pacer=pacer)
    assert dialer.tick(T0, pool.ready(None)) == 3
    talker, busy, silent = switch.uuids()
    dialer.on_answer(talker, at(4))
    dialer.on_bridge(talker, at(4))  # talk time runs from the agent's bridge
    assert pacer.seen == [CallOutcome(at=E0 + 4, answered=True, ring_seconds=4.0, phase="ring")]
    dialer.on_hangup(busy, "USER_BUSY", at(6))
    assert pacer.seen[-1] == CallOutcome(at=E0 + 6, answered=False, ring_seconds=6.0)
    dialer.on_hangup(talker, "NORMAL_CLEARING", at(64))  # 60 s of talk
    assert len(pacer.seen) == 2  # the done report waits for the wrap-up
    pool.state[1] = "wrap_up"
    dialer.tick(at(70), [])
    assert len(pacer.seen) == 2
    pool.state[1] = "ready"
    dialer.tick(at(79), [])  # ready again: 15 s of wrap-up
    assert pacer.seen[-1] == CallOutcome(at=E0 + 79, answered=True, ring_seconds=4.0, talk_seconds=60.0,
                                         wrap_seconds=15.0)
    # answered, hung up before an agent took it: ring report first, then done (not a machine)
    pool.state = {1: "busy", 2: "busy", 3: "busy"}
    dialer.on_answer(silent, at(80))
    dialer.on_hangup(silent, "NORMAL_CLEARING", at(81))
    assert pacer.seen[-2:] == [CallOutcome(at=E0 + 80, answered=True, ring_seconds=80.0, phase="ring"),
                               CallOutcome(at=E0 + 81, answered=True, ring_seconds=80.0)]
    assert dialer.feed.observed == {"human": 2, "unanswered": 1, "machine": 0, "abandoned": 0, "talk": 1, "wrap": 1}


def test_machines_and_abandons_are_reported_once(campaign):
    campaign.amd_enabled, campaign.amd_action = True, "hangup"
    pacer = RecordingPacer()
    dialer, switch, pool = setup(campaign, 2, 1, 2, pacer=pacer)
    dialer.tick(T0, pool.ready(None))
    machine, human = switch.uuids()
    pool.state = {1: "busy", 2: "busy"}  # nobody free when the human answers
    dialer.on_answer(machine, at(3))
    dialer.on_amd(machine, "MACHINE", at(5))
    dialer.on_hangup(machine, "NORMAL_CLEARING", at(6))
    assert pacer.seen == [CallOutcome(at=E0 + 6, answered=False, ring_seconds=3.0, machine=True)]
    dialer.on_answer(human, at(4))
    dialer.on_amd(human, "HUMAN", at(5))
    dialer.tick(at(7), [])  # 2 s without an agent: abandoned
    assert dialer.on_hangup(human, "NORMAL_CLEARING", at(8)) == "abandoned"
    assert pacer.seen[1:] == [CallOutcome(at=E0 + 4, answered=True, ring_seconds=4.0, phase="ring"),
                              CallOutcome(at=E0 + 8, answered=True, ring_seconds=4.0, abandoned=True)]


def test_wrap_up_not_seen_ends_with_a_report_without_wrap_time(campaign):
    pacer = RecordingPacer()
    dialer, switch, pool = setup(campaign, 1, 1, pacer=pacer)
    dialer.tick(T0, pool.ready(None))
    (call,) = switch.uuids()
    dialer.on_answer(call, at(2))
    dialer.on_bridge(call, at(2))
    dialer.on_hangup(call, "NORMAL_CLEARING", at(32))
    pool.state[1] = "on_break"
    dialer.tick(at(32 + WRAP_GIVE_UP_SECONDS - 1), [])
    assert len(pacer.seen) == 1
    dialer.tick(at(33 + WRAP_GIVE_UP_SECONDS), [])
    assert pacer.seen[-1] == CallOutcome(at=E0 + 32, answered=True, ring_seconds=2.0, talk_seconds=30.0)


def test_pacing_status_of_a_predictive_campaign(campaign):
    campaign.dial_mode, campaign.abandon_target = "predictive", 0.03
    dialer, switch, pool = setup(campaign, 5, 1, 2, pacer=make_pacer("predictive", abandon_target=0.03))
    Attempt.create(campaign=campaign, phone="+14155559999", origination_uuid="old", created_at=at(-60),
                   answered_at=at(-55), outcome="abandoned", abandoned=True)
    Attempt.create(campaign=campaign, phone="+14155559998", origination_uuid="old2", created_at=at(-50),
                   answered_at=at(-45), outcome="answered")
    assert dialer.pacing_status(T0)["decision"] is None  # nothing decided yet
    assert dialer.tick(T0, pool.ready(None)) == 2  # like progressive until estimates rest on outcomes
    status = dialer.pacing_status(at(1))
    assert (status["campaign_id"], status["mode"], status["pacer"]) == (campaign.id, "predictive", "predictive")
    decision = status["decision"]
    assert (decision["lines"], decision["launched"], decision["agents_ready"], decision["calls_ringing"]) == (2, 2, 2, 0)
    assert decision["pacer"]["predictive"] == 0.0 and "threshold" in decision["pacer"]
    estimates = status["estimates"]
    assert estimates["ready"] is False and estimates["observations"] == {"answer": 0, "ring_to_answer": 0,
                                                                         "talk": 0, "wrap": 0}
    assert 0 < estimates["answer_probability"] < 1
    assert {"mean_ring_to_answer_seconds", "mean_talk_seconds", "mean_wrap_seconds"} <= set(estimates)
    abandon = status["abandon"]
    assert (abandon["answered_today"], abandon["abandoned_today"], abandon["rate_today"]) == (2, 1, 0.5)
    assert abandon["rate_30d"] == 0.5 and abandon["target"] == 0.03


def test_progressive_status_has_a_decision_but_no_estimates(campaign):
    dialer, switch, pool = setup(campaign, 5, 1)
    dialer.tick(T0, pool.ready(None))
    status = dialer.pacing_status(T0)
    assert status["pacer"] == "progressive" and status["estimates"] == {}
    assert status["decision"]["lines"] == 1 and status["decision"]["pacer"] == {}


def test_group_status_by_campaign_id(campaign):
    group = DialerGroup(FakeOriginator(), FakeAgents(1))
    group.add(campaign)
    assert group.pacing_status(campaign.id, T0)["campaign_id"] == campaign.id
    assert group.pacing_status(campaign.id + 99, T0) is None


@pytest.mark.parametrize("due, now, interval, expected", [
    (100.0, 100.3, 1.0, (101.0, 0.7)),   # a 0.3 s round: sleep the rest of the second
    (100.0, 101.2, 1.0, (101.0, 0.0)),   # a slow round: the next one starts at once
    (100.0, 103.5, 1.0, (103.5, 0.0)),   # far behind: start again from now, no burst
])
def test_rounds_run_on_a_fixed_cadence(due, now, interval, expected):
    due_next, pause = next_round(due, now, interval)
    assert (due_next, round(pause, 6)) == expected


def test_a_new_dial_mode_gets_a_new_pacer_and_the_target_follows_the_row(campaign):
    group = DialerGroup(FakeOriginator(), FakeAgents(1))
    dialer = group.add(campaign)
    assert dialer.pacer is not None and dialer.pacer.mode == "progressive"
    Campaign.update(dial_mode="predictive", abandon_target=0.02).where(Campaign.id == campaign.id).execute()
    group.refresh()
    assert dialer.pacer is not None and dialer.pacer.mode == "predictive" and dialer.feed.pacer is dialer.pacer
    pacer = dialer.pacer
    dialer.tick(T0, [])
    assert getattr(pacer, "abandon_target", 0.5) is None  # no fixed target: it reads each snapshot's
    assert dialer.snapshot(T0, []).abandon_target == 0.02
    Campaign.update(abandon_target=0.01).where(Campaign.id == campaign.id).execute()
    group.refresh()
    assert dialer.pacer is pacer  # same pacer, estimates kept
    assert dialer.pacing_status(T0)["abandon"]["target"] == 0.01
