"""Broadcast and notification campaigns against simswitch over TCP."""
from __future__ import annotations

import pathlib

import pytest

from engine.store import Attempt, Contact
from tests.agentless.harness import agentless_world, make_campaign

ANSWER = {"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 600}


def steps(world, uuid):
    return [s.node for s in world.results[uuid].steps]


@pytest.mark.timeout(60)
def test_broadcast_reads_the_message_with_contact_variables(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast")
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Ada")
    with agentless_world(tmp_path, [ANSWER]) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert (attempt.outcome, attempt.hangup_cause) == ("answered", "NORMAL_CLEARING")
        assert attempt.answered_at is not None and attempt.origination_uuid
        result = world.results[attempt.origination_uuid]
        assert result.end == "hangup"
        assert steps(world, attempt.origination_uuid) == ["message", "goodbye"]
        assert result.variables["first_name"] == "Ada"
        assert Contact.get_by_id(contact.id).status == "done"


@pytest.mark.timeout(60)
def test_notification_repeats_on_1_and_plays_more_on_2(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("notification")
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Bo", extra="Tracking 42.")
    with agentless_world(tmp_path, [{**ANSWER, "dtmf": ["1", "2"]}]) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert attempt.outcome == "answered"
        assert steps(world, attempt.origination_uuid) == ["message", "options", "message", "options", "more",
                                                          "goodbye"]
        assert world.results[attempt.origination_uuid].variables["notification_key"] == "2"


@pytest.mark.timeout(60)
def test_broadcast_then_ivr_runs_the_campaign_flow(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast_ivr", ivr_flow="notification")
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Cy")
    with agentless_world(tmp_path, [{**ANSWER, "dtmf": ["2"]}]) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert steps(world, attempt.origination_uuid) == ["message", "options", "more", "goodbye"]


@pytest.mark.timeout(60)
def test_calls_per_second_and_max_lines_pace_the_launches(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast", calls_per_second=50, max_lines=2)
    for i in range(5):
        Contact.create(campaign=campaign, phone=f"+121255501{i:02d}", first_name=f"C{i}")
    with agentless_world(tmp_path, [ANSWER]) as world:
        world.service.add(campaign)
        dialer = world.service.group.dialers[campaign.id]
        peak = 0

        def done() -> bool:
            nonlocal peak
            peak = max(peak, len(dialer.live))
            return Attempt.select().where(Attempt.outcome != "").count() == 5

        world.pump(done, timeout=40)
        assert peak == 2  # never more than max_lines at once, and it did fill them
        assert {a.outcome for a in Attempt.select()} == {"answered"}
