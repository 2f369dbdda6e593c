"""The dialer group against a fake switch: nothing is claimed while the switch is down, calls
the switch lost are handed back without burning an attempt, a graceful stop launches
nothing, and a campaign row changed by another writer (pause, edits) holds from the very
next round (event order, the engine's clock passed in)."""
import datetime as dt

import pytest

from engine.campaigns.claims import DEFAULT_RETRY_SECONDS
from engine.campaigns.group import DialerGroup
from engine.campaigns.lifecycle import transition
from engine.store import Attempt, Campaign, Contact
from tests.campaigns.fakes import FakeAgents, FakeOriginator
from tests.campaigns.test_dialer import T0, at, contacts, make


@pytest.fixture
def campaign(sqlite_store):
    return Campaign.create(name="c", status="running", dial_mode="progressive", caller_id_number="+14155550000",
                           calls_per_second=50)


def group_for(campaign, *agents):
    make(campaign, *agents)  # the agent rows
    switch, pool = FakeOriginator(), FakeAgents(*agents)
    group = DialerGroup(switch, pool, owner="engine-test")
    group.add(campaign)
    return group, switch, pool


def statuses():
    return sorted(c.status for c in Contact.select())


def test_a_down_switch_gets_no_claims_and_no_attempts(campaign):
    contacts(campaign, 4)
    group, switch, pool = group_for(campaign, 1, 2)
    switch.up = False
    assert group.run_round(T0) == 0 and group.run_round(at(1)) == 0
    assert Attempt.select().count() == 0 and statuses() == ["new"] * 4
    switch.up = True
    assert group.run_round(at(2)) == 2  # back: dialing resumes at once


def test_a_switch_that_drops_while_dialing_places_nothing_and_backs_off_no_trunk(campaign):
    contacts(campaign, 2)
    group, switch, pool = group_for(campaign, 1)

    def originate_on_a_dead_switch(*args, **kwargs):
        switch.up = False
        raise ConnectionError("not connected")
    switch.originate = originate_on_a_dead_switch
    assert group.run_round(T0) == 0
    attempt = Attempt.get()
    contact = Contact.get_by_id(attempt.contact_id)
    assert attempt.outcome == "trunk_failed" and (contact.status, contact.attempts) == ("retry", 0)
    assert contact.next_attempt_at == T0  # due again as soon as the switch is
    del switch.originate
    switch.up = True
    assert group.run_round(at(1)) == 1  # no trunk back-off: the trunk did not fail
    assert Attempt.select().where(Attempt.outcome == "failed").count() == 0


def test_a_call_the_switch_lost_is_handed_back_without_an_attempt_and_not_redialed_at_once(campaign):
    contacts(campaign, 1)
    group, switch, pool = group_for(campaign, 1)
    assert group.run_round(T0) == 1
    (lost,) = switch.uuids()
    group.on_event(lost, "CHANNEL_PROGRESS", at(1))
    group.on_event(lost, "LOST", at(5), cause="LOSE_RACE")
    group.on_event(lost, "CHANNEL_HANGUP", at(6), cause="LOSE_RACE")  # the kill's hangup: ignored
    attempt = Attempt.get()
    contact = Contact.get_by_id(attempt.contact_id)
    assert (attempt.outcome, attempt.hangup_cause) == ("lost", "LOSE_RACE")
    assert (contact.status, contact.attempts) == ("retry", 0)
    assert contact.next_attempt_at == at(5) + dt.timedelta(seconds=DEFAULT_RETRY_SECONDS)
    assert group.run_round(at(7)) == 0 and pool.state[1] == "ready"


def test_draining_serves_live_calls_and_launches_nothing(campaign):
    contacts(campaign, 3)
    group, switch, pool = group_for(campaign, 1, 2)
    assert group.run_round(T0) == 2
    group.draining = True
    a, b = switch.uuids()
    group.on_event(a, "CHANNEL_HANGUP", at(1), cause="NO_ANSWER")
    assert group.run_round(at(2)) == 0
    assert Attempt.select().count() == 2 and statuses().count("new") == 1


def test_a_pause_by_another_writer_holds_from_the_next_round(campaign):
    contacts(campaign, 6)
    group, switch, pool = group_for(campaign, 1)
    assert group.run_round(T0) == 1
    group.on_event(switch.uuids()[0], "CHANNEL_HANGUP", at(1), cause="NO_ANSWER")
    transition(Campaign.get_by_id(campaign.id), "paused", now=at(1))  # the control plane's row
    assert group.run_round(at(2)) == 0  # the very next round, not the 30 s calendar step
    assert group.dialers[campaign.id].campaign.status == "paused"
    transition(Campaign.get_by_id(campaign.id), "running", now=at(3), ready_agents=1)
    assert group.run_round(at(4)) == 1


def test_an_edit_by_another_writer_reaches_the_pacer_at_the_next_round(campaign):
    contacts(campaign, 10)
    group, switch, pool = group_for(campaign, 1)
    assert group.run_round(T0) == 1  # progressive: one line per free agent
    for uuid in switch.uuids():
        group.on_event(uuid, "CHANNEL_HANGUP", at(1), cause="NO_ANSWER")
    Campaign.update(dial_mode="power", power_ratio=3).where(Campaign.id == campaign.id).execute()
    assert group.run_round(at(2)) == 3
    assert group.watch() is False  # nothing changed since


def test_an_originate_that_never_left_is_no_dial_even_before_the_switch_is_seen_down(campaign):
    from engine.esl.errors import ESLNotSent

    contacts(campaign, 2)
    group, switch, pool = group_for(campaign, 1)

    def send_failed(*args, **kwargs):
        raise ESLNotSent("send failed: broken pipe")  # the reader has not noticed the loss yet
    switch.originate = send_failed
    assert group.run_round(T0) == 0
    assert [(a.outcome, a.hangup_cause) for a in Attempt.select()] == [("trunk_failed", "DESTINATION_OUT_OF_ORDER")]
    del switch.originate
    assert group.run_round(at(1)) == 1  # no trunk back-off
