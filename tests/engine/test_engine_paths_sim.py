"""Over TCP against simswitch: overflow, after hours, no answer, transfer, rating, recording."""
from __future__ import annotations

import datetime as dt
import pathlib
import wave
from typing import Any

import pytest

from engine.store import Agent, Callback, Cdr, Queue, QueueMember, Recording, Schedule
from tests.engine.sim import running, scenario_file, wait_until

pytestmark = pytest.mark.timeout(60)

ROUTES = """\
routes:
  - did: "100"
    to: {queue: support}
  - did: "200"
    to: {queue: billing}
"""


def agent(extension: str, queue: Queue, position: int = 1, **fields: object) -> Agent:
    row = Agent.create(name=f"Agent {extension}", extension=extension, sip_password="pw", **fields)
    QueueMember.create(queue=queue, agent=row, position=position)
    return row


def queue(name: str, **fields: object) -> Queue:
    fields.setdefault("wrap_up_seconds", 0)
    fields.setdefault("announce_position_seconds", 0)
    return Queue.create(name=name, **fields)


def test_no_agents_overflows_to_another_queue(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support", strategy="top_down", max_wait_no_agents_seconds=1, overflow_kind="queue",
                    overflow_target="billing")
    billing = queue("billing")
    agent("1001", support)
    backup = agent("2001", billing)
    phones: list[dict[str, Any]] = [{"extension": "1001"}, {"extension": "2001", "answer_delay": 0.05}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(backup.id)  # nobody logged in to support
        events = engine.bus.subscribe({"queue.overflow"})
        channel = sim.switch.inbound.inject("100", "+14155550100")
        event = events.get(timeout=10)
        assert event is not None and event.data["reason"] == "no_agents" and event.data["target"] == "billing"
        wait_until(lambda: engine.agents.get(backup.id).state == "in_call")
        call = engine.calls.get(channel.uuid)
        assert call is not None and call.queue == "billing" and call.agent_id == backup.id
        wait_until(lambda: call.bridged_to)


def test_max_wait_overflows_to_an_external_number(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support", max_wait_seconds=1, overflow_kind="number", overflow_target="5550199")
    busy = agent("1001", support)
    # The outside number exists in the switch's dialplan (as on a real switch with a route for it).
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.05}],
                             dialplan={"5550199": ["answer", "park"]})
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        engine.agent_login(busy.id)
        engine.agent_break(busy.id, "meeting")  # logged in but not taking calls: max wait applies
        events = engine.bus.subscribe({"queue.overflow"})
        channel = sim.switch.inbound.inject("100", "+14155550100")
        event = events.get(timeout=10)
        assert event is not None and (event.data["reason"], event.data["kind"]) == ("max_wait", "number")
        # The caller is bridged to the number through the site's dial string (loopback here).
        chan = sim.switch.channels.get(channel.uuid)
        wait_until(lambda: chan is not None and chan.bridged_to is not None, timeout=3)


def test_after_hours_schedule_sends_callers_to_after_hours_handling(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    now = dt.datetime.now(dt.UTC)
    closed_day = (now.weekday() + 3) % 7  # open only on a day that is not today
    schedule = Schedule.create(name="office", timezone="UTC", hours={str(closed_day): [["09:00", "17:00"]]})
    support = queue("support", schedule=schedule, after_hours_kind="queue", after_hours_target="billing")
    billing = queue("billing")
    agent("1001", support)
    night = agent("2001", billing)
    phones: list[dict[str, Any]] = [{"extension": "1001"}, {"extension": "2001", "answer_delay": 0.05}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(night.id)
        events = engine.bus.subscribe({"queue.overflow"})
        channel = sim.switch.inbound.inject("100", "+14155550100")
        event = events.get(timeout=10)
        assert event is not None and event.data["reason"] == "after_hours"
        wait_until(lambda: engine.agents.get(night.id).state == "in_call")
        assert engine.calls.get(channel.uuid).queue == "billing"  # type: ignore[union-attr]


def test_route_level_after_hours(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    billing = queue("billing")
    night = agent("2001", billing)
    today = dt.datetime.now(dt.UTC).strftime("%a").lower()
    other = "sun" if today != "sun" else "mon"
    routes = f"""\
schedules:
  office: {{timezone: UTC, open: {{{other}: ["09:00-17:00"]}}}}
routes:
  - did: "100"
    to: {{queue: support}}
    hours: office
    after_hours: {{queue: billing}}
"""
    with running(tmp_path, scenario_file(tmp_path, [{"extension": "2001", "answer_delay": 0.05}]), routes) as (engine, sim):
        engine.agent_login(night.id)
        routed = engine.bus.subscribe({"call.routed"})
        sim.switch.inbound.inject("100", "+14155550100")
        event = routed.get(timeout=10)
        assert event is not None and event.data["reason"] == "after_hours" and event.data["target"] == "billing"
        wait_until(lambda: engine.agents.get(night.id).state == "in_call")


def test_no_answer_reoffers_then_puts_the_agent_on_break(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support", strategy="top_down", offer_timeout_seconds=1, max_wait_seconds=0)
    sleepy = agent("1001", support, 1, max_no_answer=1, no_answer_delay_seconds=30)
    awake = agent("1002", support, 2)
    phones = [{"extension": "1001", "answer_delay": 30}, {"extension": "1002", "answer_delay": 0.05}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(sleepy.id)
        engine.agent_login(awake.id)
        channel = sim.switch.inbound.inject("100", "+14155550100")
        wait_until(lambda: engine.agents.get(awake.id).state == "in_call")
        state = engine.agent_state(sleepy.id)
        assert (state["state"], state["reason"]) == ("on_break", "no_answer")
        call = engine.calls.get(channel.uuid)
        assert call is not None and call.agent_id == awake.id
        first_leg = engine.calls.get(call.legs[0])
        assert first_leg is None or first_leg.outcome in ("no_answer", "cancelled")


def test_unregistered_phone_is_skipped(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support", strategy="top_down", max_wait_seconds=0)
    absent = agent("1001", support, 1)
    present = agent("1002", support, 2)
    phones = [{"extension": "1001", "registered": False}, {"extension": "1002", "answer_delay": 0.05}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(absent.id)
        engine.agent_login(present.id)
        sim.switch.inbound.inject("100", "+14155550100")
        wait_until(lambda: engine.agents.get(present.id).state == "in_call")
        assert not engine.agents.get(absent.id).registered


def test_blind_transfer_to_another_queue(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support")
    billing = queue("billing")
    first = agent("1001", support)
    second = agent("2001", billing)
    phones = [{"extension": "1001", "answer_delay": 0.05}, {"extension": "2001", "answer_delay": 0.05}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(first.id)
        engine.agent_login(second.id)
        channel = sim.switch.inbound.inject("100", "+14155550100")
        call = wait_until(lambda: (c := engine.calls.get(channel.uuid)) is not None and c.bridged_to and c)
        engine.transfer(first.id, "queue", "billing")
        wait_until(lambda: engine.agents.get(second.id).state == "in_call")
        wait_until(lambda: engine.agents.get(first.id).state == "available")
        assert call.agent_id == second.id and call.queue == "billing"
        wait_until(lambda: call.bridged_to and engine.calls.get(call.bridged_to).agent_id == second.id)  # type: ignore[union-attr]
        assert sim.switch.channels[channel.uuid].alive


def test_satisfaction_rating_is_stored_and_a_low_score_opens_a_callback(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support", satisfaction_survey=True)
    rep = agent("1001", support)
    phones = [{"extension": "1001", "answer_delay": 0.05, "talk_time": 0.3}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(rep.id)
        channel = sim.switch.inbound.inject("100", "+14155550100")
        channel.dtmf_script = ["1"]
        row = wait_until(lambda: Cdr.get_or_none(Cdr.call_uuid == channel.uuid), timeout=5)
        assert row.satisfaction == 1 and row.agent_id == rep.id
        callback = Callback.get()
        assert callback.phone == "+14155550100" and "low satisfaction" in callback.reason


def test_recorded_queue_leaves_a_real_wav_and_a_row(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support", record=True)
    rep = agent("1001", support)
    phones = [{"extension": "1001", "answer_delay": 0.05, "talk_time": 0.5}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(rep.id)
        channel = sim.switch.inbound.inject("100", "+14155550100")
        row = wait_until(lambda: Recording.get_or_none(Recording.call_uuid == channel.uuid), timeout=20)
    path = pathlib.Path(row.path)
    today = dt.datetime.now(dt.UTC)
    assert path.parent == (tmp_path / "recordings" / f"{today:%Y}" / f"{today:%m}" / f"{today:%d}").resolve()
    assert path.name == f"{channel.uuid}.wav"
    with wave.open(str(path), "rb") as handle:
        assert handle.getnframes() > 0
    assert row.size_bytes == path.stat().st_size > 44
    assert row.duration_seconds > 0 and row.agent_id == rep.id and row.queue_id == support.id


def test_attended_transfer_to_an_agent(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    support = queue("support")
    first = agent("1001", support)
    expert = Agent.create(name="Expert", extension="3001", sip_password="pw")
    phones = [{"extension": "1001", "answer_delay": 0.05}, {"extension": "3001", "answer_delay": 0.05}]
    with running(tmp_path, scenario_file(tmp_path, phones), ROUTES) as (engine, sim):
        engine.agent_login(first.id)
        engine.agent_login(expert.id)
        channel = sim.switch.inbound.inject("100", "+14155550100")
        call = wait_until(lambda: (c := engine.calls.get(channel.uuid)) is not None and c.bridged_to and c)
        agent_leg = call.bridged_to
        engine.transfer(first.id, "agent", "3001", attended=True)
        # The agent now talks to the expert; the caller is parked on MOH.
        wait_until(lambda: engine.agents.get(expert.id).state == "in_call")
        wait_until(lambda: engine.calls.get(agent_leg).bridged_to not in ("", channel.uuid))  # type: ignore[union-attr]
        assert call.bridged_to == ""  # the caller waits on MOH meanwhile
        engine.complete_transfer(first.id)
        wait_until(lambda: engine.agents.get(first.id).state == "available")
        wait_until(lambda: call.bridged_to and engine.calls.get(call.bridged_to).role == "consult")  # type: ignore[union-attr]
        assert engine.agents.get(expert.id).state == "in_call"
        channel.hangup("NORMAL_CLEARING", "recv_bye")
        wait_until(lambda: engine.agents.get(expert.id).state in ("wrap_up", "available"))


def test_three_way_puts_caller_agent_and_third_party_in_one_conference(sqlite_store: str,
                                                                        tmp_path: pathlib.Path) -> None:
    support = queue("support")
    rep = agent("1001", support)
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.05}],
                             dialplan={"5550123": ["answer", "park"]})
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        engine.agent_login(rep.id)
        channel = sim.switch.inbound.inject("100", "+14155550100")
        wait_until(lambda: engine.agents.get(rep.id).state == "in_call")
        call = engine.calls.get(channel.uuid)
        assert call is not None
        wait_until(lambda: call.bridged_to)
        third = engine.three_way(rep.id, "5550123")
        room_name = f"fscc-{channel.uuid}"

        def members() -> int:
            room = sim.switch.conferences.rooms.get(room_name)
            return len(room.members) if room is not None else 0

        wait_until(lambda: members() == 3, timeout=5)
        assert sim.switch.channels.get(channel.uuid) is not None  # the caller is still on the line
        in_room = {m.channel.uuid for m in sim.switch.conferences.rooms[room_name].members}
        assert {channel.uuid, third} <= in_room
