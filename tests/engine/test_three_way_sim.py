"""A desk 3-way call (mod_conference) as people leave it, against simswitch over TCP."""
from __future__ import annotations

import pathlib

import pytest

from engine.agents.threeway import ThreeWayRooms
from tests.engine.sim import running, scenario_file, wait_until
from tests.engine.test_engine_paths_sim import ROUTES, agent, queue


def test_rooms_end_for_the_last_one_left():
    hung_up: list[str] = []
    rooms = ThreeWayRooms(hung_up.append)
    rooms.add("r", ("customer", "agent", "third"))
    assert rooms.left("agent") is None  # customer and third party stay together
    assert rooms.left("customer") == "third" and hung_up == ["third"]
    assert rooms.left("third") is None and rooms.rooms == {}


def start_three_way(engine, sim, rep):
    engine.agent_login(rep.id)
    channel = sim.switch.inbound.inject("100", "+14155550100")
    wait_until(lambda: engine.agents.get(rep.id).state == "in_call")
    call = engine.calls.get(channel.uuid)
    wait_until(lambda: call.bridged_to)
    agent_leg = call.bridged_to
    third = engine.three_way(rep.id, "5550123")
    room_name = f"fscc-{channel.uuid}"

    def members() -> set[str]:
        room = sim.switch.conferences.rooms.get(room_name)
        return {m.channel.uuid for m in room.members} if room is not None else set()
    wait_until(lambda: members() == {channel.uuid, agent_leg, third}, timeout=5)
    return channel.uuid, agent_leg, third, members


@pytest.mark.timeout(60)
def test_agent_leaves_customer_and_third_party_stay_then_the_last_one_is_not_left_alone(
        sqlite_store: str, tmp_path: pathlib.Path) -> None:
    rep = agent("1001", queue("support"))
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.05}],
                             dialplan={"5550123": ["answer", "park"]})
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        customer, agent_leg, third, members = start_three_way(engine, sim, rep)
        sim.switch.channels[agent_leg].hangup("NORMAL_CLEARING", "recv_bye")  # the agent hangs up
        wait_until(lambda: members() == {customer, third}, timeout=5)
        assert customer in sim.switch.channels and third in sim.switch.channels  # still together
        sim.switch.channels[customer].hangup("NORMAL_CLEARING", "recv_bye")  # then the customer
        wait_until(lambda: third not in sim.switch.channels, timeout=5)  # not left alone in the room
        assert members() == set()


@pytest.mark.timeout(60)
def test_third_party_leaves_then_the_agent_leaves_and_the_customer_is_not_left_alone(
        sqlite_store: str, tmp_path: pathlib.Path) -> None:
    rep = agent("1001", queue("support"))
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.05}],
                             dialplan={"5550123": ["answer", "park"]})
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        customer, agent_leg, third, members = start_three_way(engine, sim, rep)
        sim.switch.channels[third].hangup("NORMAL_CLEARING", "recv_bye")
        wait_until(lambda: members() == {customer, agent_leg}, timeout=5)
        sim.switch.channels[agent_leg].hangup("NORMAL_CLEARING", "recv_bye")
        wait_until(lambda: customer not in sim.switch.channels, timeout=5)
