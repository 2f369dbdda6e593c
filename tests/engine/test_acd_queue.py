"""Waiting: overflow, no agents, after hours, callbacks, abandons, announcements, re-offers."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.acd.hours import HoursError, OpeningHours
from tests.engine.acd_helpers import call, world


def test_max_wait_overflows_to_the_configured_target() -> None:
    clock, agents, acd, port = world(1, max_wait_seconds=60, overflow_kind="queue", overflow_target="backup")
    acd.enqueue("q", call("busy"))
    acd.agent_answered("busy", 1)
    acd.enqueue("q", call("c1"))
    clock.advance(59)
    assert port.overflows == []
    clock.advance(1)
    assert port.overflows == [("c1", "max_wait", "queue", "backup")]
    assert acd.queues["q"].waiting == {} and acd.queues["q"].stats.overflowed == 1


def test_max_wait_with_no_agents_logged_in() -> None:
    clock, agents, acd, port = world(1, max_wait_no_agents_seconds=10, overflow_kind="voicemail", overflow_target="100")
    agents.logout(1)
    acd.enqueue("q", call("c1"))
    clock.advance(10)
    assert port.overflows == [("c1", "no_agents", "voicemail", "100")]


def test_after_hours_sends_the_caller_to_after_hours_handling() -> None:
    # ManualClock starts on Tuesday 2023-11-14 22:13 UTC; open 09:00-17:00 weekdays only.
    hours = OpeningHours.build("UTC", {str(d): [["09:00", "17:00"]] for d in range(5)})
    clock, agents, acd, port = world(1, hours=hours, after_hours_kind="number", after_hours_target="+15550001")
    assert acd.enqueue("q", call("c1")) is False
    assert port.overflows == [("c1", "after_hours", "number", "+15550001")]
    assert port.offers == []


def test_opening_hours_holidays_and_validation() -> None:
    hours = OpeningHours.build("Europe/Paris", {"0": [["09:00", "17:00"]]}, [dt.date(2024, 1, 1)])
    monday_10_paris = dt.datetime(2024, 1, 8, 9, 0, tzinfo=dt.UTC).timestamp()
    assert hours.is_open(monday_10_paris)
    assert not hours.is_open(dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC).timestamp())
    with pytest.raises(HoursError, match=r"hours.0\[0\]"):
        OpeningHours.build("UTC", {"0": [["17:00", "09:00"]]})
    with pytest.raises(HoursError, match="time zone"):
        OpeningHours.build("Mars/Base", {})


def test_no_answer_reoffers_to_the_next_agent_and_breaks_after_max_misses() -> None:
    clock, agents, acd, port = world(2, strategy="top_down", offer_timeout_seconds=20, max_wait_seconds=0)
    acd.enqueue("q", call("c1"))
    clock.advance(20)
    assert port.offered_to("c1") == [1, 2]
    assert ("c1", 1) in port.cancels


def test_callback_keeps_the_place_when_the_caller_hangs_up() -> None:
    clock, agents, acd, port = world(1, max_wait_seconds=0)
    acd.enqueue("q", call("busy"))
    acd.agent_answered("busy", 1)
    acd.enqueue("q", call("wants-callback"))
    acd.enqueue("q", call("later"))
    acd.request_callback("wants-callback")
    assert acd.caller_left("wants-callback") is None
    agents.call_ended(1, wrap_up_seconds=0)
    assert port.offers[-1] == ("wants-callback", [1])


def test_abandon_is_recorded_and_the_caller_resumes_their_place() -> None:
    clock, agents, acd, port = world(1, abandon_resume_seconds=60, max_wait_seconds=0)
    acd.enqueue("q", call("busy"))
    acd.agent_answered("busy", 1)
    acd.enqueue("q", call("a1", caller_number="+14155550100"))
    clock.advance(30)
    acd.enqueue("q", call("b1", caller_number="+14155550111"))
    clock.advance(5)
    assert acd.caller_left("a1") is not None
    assert acd.queues["q"].stats.abandoned == 1
    clock.advance(20)
    acd.enqueue("q", call("a2", caller_number="+14155550100"))
    assert acd.queues["q"].position("a2") == 1


def test_position_announcements_with_estimated_wait() -> None:
    clock, agents, acd, port = world(1, max_wait_seconds=0)
    acd.queues["q"].reconfigure(acd.queues["q"].config.__class__(**{**acd.queues["q"].config.__dict__, "announce_position_seconds": 30}))
    acd.enqueue("q", call("busy"))
    acd.agent_answered("busy", 1)
    acd.enqueue("q", call("c1"))
    acd.enqueue("q", call("c2"))
    clock.advance(30)
    assert [(uuid, position) for uuid, position, _ in port.announcements] == [("c1", 1), ("c2", 2)]
    assert port.announcements[1][2] == pytest.approx(2 * 180.0)


def test_pickup_by_a_chosen_agent() -> None:
    clock, agents, acd, port = world(2, strategy="top_down", max_wait_seconds=0)
    agents.set_break(2, "backoffice")
    acd.enqueue("q", call("busy"))
    acd.agent_answered("busy", 1)
    acd.enqueue("q", call("c1"))
    agents.ready(2)  # agent 2 would get c1; the supervisor gives it to agent 2 explicitly
    assert agents.get(2).state == "reserved"
    picked = acd.pickup("c1", 2)
    assert picked.call_uuid == "c1" and agents.get(2).state == "in_call"


def test_no_agent_is_offered_two_calls_at_once_under_random_load() -> None:
    import random

    rng = random.Random(3)
    clock, agents, acd, port = world(20, strategy="random", max_wait_seconds=120, offer_timeout_seconds=15)
    busy: set[int] = set()
    for n in range(3000):
        acd.enqueue("q", call(f"c{n}"))
        clock.advance(rng.expovariate(5.0))
        for uuid, offered in port.offers:
            agent = agents.get(offered[0])
            if agent.state == "reserved" and agent.call_uuid == uuid and rng.random() < 0.8:
                acd.agent_answered(uuid, agent.agent_id)
                busy.add(agent.agent_id)
        port.offers.clear()
        for agent_id in list(busy):
            if rng.random() < 0.3:
                agents.call_ended(agent_id, wrap_up_seconds=0)
                busy.discard(agent_id)
        holding = [a.call_uuid for a in agents if a.state in ("reserved", "ringing", "in_call")]
        assert len(holding) == len(set(holding))  # one agent per call, one call per agent
        for agent in agents:
            assert (agent.reservation is not None) == (agent.state in ("reserved", "ringing", "in_call"))
    stats = acd.queues["q"].stats
    assert stats.answered + stats.overflowed + len(acd.queues["q"].waiting) == stats.entered == 3000
    assert stats.answered > 1500
