"""The agent state machine in virtual time."""
from __future__ import annotations

import pytest

from engine.agents import AgentProfile, AgentRegistry, AgentStateError, MemorySink
from engine.bus import EventBus
from engine.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def agents(clock: ManualClock, sink: MemorySink) -> AgentRegistry:
    registry = AgentRegistry(clock, sink, EventBus(clock))
    registry.add(AgentProfile(1, "1001", max_no_answer=2, wrap_up_seconds=10, reject_delay_seconds=5,
                              busy_delay_seconds=60, no_answer_delay_seconds=30))
    registry.add(AgentProfile(2, "1002"))
    return registry


def test_offer_answer_wrap_up_cycle_writes_every_interval(agents: AgentRegistry, clock: ManualClock, sink: MemorySink) -> None:
    agents.login(1)
    assert agents.reserve(1, "call-a", timeout=20) is not None
    agents.ringing(1, "leg-a")
    clock.advance(3)
    agents.answered(1)
    clock.advance(60)
    agents.call_ended(1)
    assert agents.get(1).state == "wrap_up"
    clock.advance(9.9)
    assert agents.get(1).state == "wrap_up"
    clock.advance(0.2)
    assert sink.states(1) == ["available", "reserved", "ringing", "in_call", "wrap_up", "available"]
    assert agents.get(1).calls_today == 1
    assert agents.get(1).talk_seconds_today == pytest.approx(60)


def test_at_most_one_offer_at_a_time(agents: AgentRegistry) -> None:
    agents.login(1)
    assert agents.reserve(1, "call-a") is not None
    assert agents.reserve(1, "call-b") is None
    assert agents.get(1).call_uuid == "call-a"


def test_reservation_timeout_releases_and_counts_no_answer_then_break(agents: AgentRegistry, clock: ManualClock) -> None:
    expired: list[str] = []
    agents.login(1)
    agents.reserve(1, "call-a", timeout=20, on_expire=lambda r: expired.append(r.call_uuid))
    clock.advance(20)
    agent = agents.get(1)
    assert expired == ["call-a"]
    assert agent.state == "available" and agent.reservation is None
    assert not agent.offerable(clock.now())  # resting for no_answer_delay_seconds
    clock.advance(30)
    assert agent.offerable(clock.now())
    agents.reserve(1, "call-b", timeout=20)
    clock.advance(20)
    assert agent.state == "on_break" and agent.reason == "no_answer"
    assert clock.pending == 0  # nothing left behind: no leaked timers or reservations


def test_reject_and_busy_delays(agents: AgentRegistry, clock: ManualClock) -> None:
    agents.login(1)
    agents.reserve(1, "a")
    agents.release(1, "rejected")
    assert not agents.get(1).offerable(clock.now())
    clock.advance(5)
    assert agents.get(1).offerable(clock.now())
    agents.reserve(1, "b")
    agents.release(1, "busy")
    clock.advance(59)
    assert not agents.get(1).offerable(clock.now())
    clock.advance(1)
    assert agents.get(1).offerable(clock.now())


def test_unregistered_phone_is_skipped_until_it_registers(agents: AgentRegistry, clock: ManualClock) -> None:
    agents.login(1)
    agents.reserve(1, "a")
    agents.release(1, "unregistered")
    assert [a.agent_id for a in agents.offerable()] == []
    agents.set_registered("1001", True)
    assert [a.agent_id for a in agents.offerable()] == [1]


def test_wrap_up_per_queue_and_extend(agents: AgentRegistry, clock: ManualClock) -> None:
    agents.login(2)
    agents.reserve(2, "a", wrap_up_seconds=30)
    agents.answered(2)
    agents.call_ended(2)
    clock.advance(25)
    agents.extend_wrap_up(2, 20)
    clock.advance(20)
    assert agents.get(2).state == "wrap_up"
    clock.advance(5)
    assert agents.get(2).state == "available"


def test_break_requested_during_call_applies_after_wrap_up(agents: AgentRegistry, clock: ManualClock) -> None:
    agents.login(2)
    agents.reserve(2, "a", wrap_up_seconds=5)
    agents.answered(2)
    agents.set_break(2, "lunch")
    assert agents.get(2).state == "in_call"
    agents.call_ended(2)
    clock.advance(5)
    assert (agents.get(2).state, agents.get(2).reason) == ("on_break", "lunch")


def test_illegal_commands_raise_with_field(agents: AgentRegistry) -> None:
    with pytest.raises(AgentStateError) as info:
        agents.ready(1)
    assert info.value.field == "agent_id"
    agents.login(1)
    with pytest.raises(AgentStateError):
        agents.answered(1)
    with pytest.raises(AgentStateError):
        agents.extend_wrap_up(1, 10)


def test_store_sink_writes_closed_intervals(sqlite_store: str, clock: ManualClock) -> None:
    from engine.agents import StoreSink
    from engine.store import Agent, AgentStateInterval

    row = Agent.create(name="Ann", extension="1001", sip_password="x")
    registry = AgentRegistry(clock, StoreSink())
    registry.add(AgentProfile(row.id, "1001"))
    registry.login(row.id)
    clock.advance(5)
    registry.set_break(row.id, "coffee")
    rows = list(AgentStateInterval.select().order_by(AgentStateInterval.id))
    assert [(r.state, r.reason) for r in rows] == [("available", ""), ("on_break", "coffee")]
    assert rows[0].ended_at == rows[1].started_at and rows[1].ended_at is None
    assert (rows[0].ended_at - rows[0].started_at).total_seconds() == pytest.approx(5)
