"""Over TCP against simswitch: abandon, callback request, announcements, desk commands,
pickup, the dialer's hooks and recovery after a restart."""
from __future__ import annotations

import pathlib
import uuid
from typing import Any

import pytest

from engine.api import EngineError
from engine.core import Engine
from engine.store import Agent, Cdr, Queue, QueueMember
from tests.engine.sim import running, scenario_file, wait_until

pytestmark = pytest.mark.timeout(60)

ROUTES = 'routes:\n  - did: "100"\n    to: {queue: support}\n'


def setup(n_agents: int = 1, **queue_fields: object) -> list[Agent]:
    queue_fields.setdefault("wrap_up_seconds", 0)
    queue_fields.setdefault("announce_position_seconds", 0)
    queue = Queue.create(name="support", **queue_fields)
    rows = []
    for i in range(1, n_agents + 1):
        row = Agent.create(name=f"A{i}", extension=str(1000 + i), sip_password="pw")
        QueueMember.create(queue=queue, agent=row, position=i)
        rows.append(row)
    return rows


def phones(n: int = 1, **fields: object) -> list[dict[str, object]]:
    return [{"extension": str(1000 + i), "answer_delay": 0.05, **fields} for i in range(1, n + 1)]


def connected(engine: Engine, sim: Any, agent_id: int) -> Any:
    channel = sim.switch.inbound.inject("100", "+14155550100")
    wait_until(lambda: (c := engine.calls.get(channel.uuid)) is not None and c.bridged_to)
    assert engine.agents.get(agent_id).state == "in_call"
    return channel


def test_caller_who_hangs_up_while_waiting_is_recorded_as_abandoned(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    setup(1)
    with running(tmp_path, scenario_file(tmp_path, phones()), ROUTES) as (engine, sim):
        channel = sim.switch.inbound.inject("100", "+14155550100")  # nobody logged in
        wait_until(lambda: engine.acd.waiting_call(channel.uuid) is not None)
        channel.hangup("NORMAL_CLEARING", "recv_bye")
        row = wait_until(lambda: Cdr.get_or_none(Cdr.call_uuid == channel.uuid))
        assert row.abandoned and row.agent_id is None and row.queue_wait_seconds >= 0
        assert engine.acd.queues["support"].stats.abandoned == 1


def test_star_asks_for_a_callback_and_the_caller_keeps_their_place(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    (rep,) = setup(1, callback_offer=True)
    scenario = scenario_file(tmp_path, phones(), customers=[{"regex": ".*", "ring_time": 0.1, "talk_time": 30}])
    with running(tmp_path, scenario, ROUTES, extra={"external_dial": "sofia/gateway/gw/{number}"}) as (engine, sim):
        events = engine.bus.subscribe({"call.callback_requested"})
        channel = sim.switch.inbound.inject("100", "+14155550100")
        wait_until(lambda: engine.acd.waiting_call(channel.uuid) is not None)
        engine.nodes["fs1"].api(f"uuid_recv_dtmf {channel.uuid} *")
        assert events.get(timeout=5) is not None
        waiting = engine.acd.waiting_call(channel.uuid)
        assert waiting is not None and waiting.callback
        assert engine.acd.queues["support"].position(channel.uuid) == 1
        channel.hangup("NORMAL_CLEARING", "recv_bye")  # the caller hangs up after asking
        wait_until(lambda: engine.calls.get(channel.uuid) is None or engine.calls.get(channel.uuid).gone)  # type: ignore[union-attr]
        assert engine.acd.waiting_call(channel.uuid) is not None  # ... and kept the place
        engine.agent_login(rep.id)
        # Their turn: the agent answers and the engine dials the caller back from the agent's leg.
        wait_until(lambda: engine.agents.get(rep.id).state == "in_call")
        leg_uuid = engine.agents.get(rep.id).reservation.leg_uuid  # type: ignore[union-attr]
        wait_until(lambda: (leg := sim.switch.channels.get(leg_uuid)) is not None and leg.bridged_to is not None)
        leg = sim.switch.channels[leg_uuid]
        names = {leg.name, leg.bridged_to.name}
        assert "sofia/internal/1001@127.0.0.1" in names and any("+14155550100" in name for name in names)


def test_position_announcements_are_broadcast(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    setup(1, announce_position_seconds=1)
    with running(tmp_path, scenario_file(tmp_path, phones()), ROUTES, speed=5.0) as (engine, sim):
        events = engine.bus.subscribe({"queue.position"})
        channel = sim.switch.inbound.inject("100", "+14155550100")
        event = events.get(timeout=5)
        assert event is not None and event.data == {"queue": "support", "call_uuid": channel.uuid, "position": 1,
                                                     "estimated_wait": 180}


def test_hold_dtmf_and_hangup_from_the_desk(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    (rep,) = setup(1)
    with running(tmp_path, scenario_file(tmp_path, phones()), ROUTES) as (engine, sim):
        engine.agent_login(rep.id)
        channel = connected(engine, sim, rep.id)
        engine.hold(rep.id, True)
        leg: Any = engine.calls.get(engine.calls.get(channel.uuid).bridged_to)  # type: ignore[union-attr]
        wait_until(lambda: leg.held)
        engine.hold(rep.id, False)
        wait_until(lambda: not leg.held)
        engine.send_dtmf(rep.id, "12#")
        with pytest.raises(EngineError) as info:
            engine.send_dtmf(rep.id, "12x")
        assert info.value.field == "digits"
        engine.hangup(rep.id)
        wait_until(lambda: Cdr.get_or_none(Cdr.call_uuid == channel.uuid))
        wait_until(lambda: engine.agent_state(rep.id)["state"] == "available")
        with pytest.raises(EngineError):
            engine.hold(rep.id, True)


def test_pickup_takes_the_caller_out_of_line(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    first, second = setup(2, strategy="top_down")
    QueueMember.delete().where(QueueMember.agent == second.id).execute()  # agent 2 serves no queue
    with running(tmp_path, scenario_file(tmp_path, phones(2)), ROUTES) as (engine, sim):
        engine.agent_login(first.id)
        engine.agent_login(second.id)
        connected(engine, sim, first.id)
        waiting = sim.switch.inbound.inject("100", "+14155550111")
        wait_until(lambda: engine.acd.waiting_call(waiting.uuid) is not None)
        engine.pickup(second.id, waiting.uuid)
        assert engine.acd.waiting_call(waiting.uuid) is None
        call = wait_until(lambda: (c := engine.calls.get(waiting.uuid)) is not None and c.bridged_to and c)
        assert engine.calls.get(call.bridged_to).agent_id == second.id  # type: ignore[union-attr]


def test_dialer_hooks_originate_and_connect_to_agent(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    (rep,) = setup(1)
    scenario = scenario_file(tmp_path, phones(), customers=[{"regex": ".*", "answer": 1.0, "ring_time": 0.1, "talk_time": 30}])
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        engine.agent_login(rep.id)
        customer_uuid = str(uuid.uuid4())
        answered: list[str] = []
        engine.call_listeners.append(lambda call, name: answered.append(call.uuid) if name == "CHANNEL_ANSWER" else None)
        job = engine.originate("sofia/gateway/default/5550100", origination_uuid=customer_uuid, variables={"fscc_campaign_id": 1})
        assert job.get(timeout=10).startswith("+OK")
        wait_until(lambda: customer_uuid in answered)
        assert engine.agents.reserve(rep.id, customer_uuid, timeout=10) is not None
        engine.connect_to_agent(customer_uuid, rep.id)
        wait_until(lambda: engine.calls.get(customer_uuid).bridged_to)  # type: ignore[union-attr]
        assert engine.agents.get(rep.id).state == "in_call"
        engine.hangup(rep.id)
        row = wait_until(lambda: Cdr.get_or_none(Cdr.call_uuid == customer_uuid))
        assert row.direction == "outbound" and row.agent_id == rep.id and row.legs


def test_restart_rebuilds_live_calls_from_show_channels(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    (rep,) = setup(1)
    with running(tmp_path, scenario_file(tmp_path, phones()), ROUTES) as (engine, sim):
        engine.agent_login(rep.id)
        channel = connected(engine, sim, rep.id)
        leg_uuid: str = engine.calls.get(channel.uuid).bridged_to  # type: ignore[union-attr]
        fresh = Engine(engine.settings)
        fresh.nodes.update(engine.nodes)  # same switch, new process state
        fresh.reload_config()
        assert fresh.recover() >= 2
        customer, leg = fresh.calls.get(channel.uuid), fresh.calls.get(leg_uuid)
        assert customer is not None and customer.answered
        assert leg is not None and leg.role == "agent" and leg.agent_id == rep.id and leg.parent_uuid == channel.uuid
        assert fresh.agents.get(rep.id).state == "in_call"


def test_agent_feature_codes_from_the_phone(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    (rep,) = setup(1)
    with running(tmp_path, scenario_file(tmp_path, phones()), ROUTES) as (engine, sim):
        sim.switch.inbound.inject("*22", "1001")
        wait_until(lambda: engine.agent_state(rep.id)["state"] == "available")
        sim.switch.inbound.inject("*25", "1001")
        wait_until(lambda: engine.agent_state(rep.id)["state"] == "on_break")
        assert engine.agent_state(rep.id)["reason"] == "phone"
        sim.switch.inbound.inject("*23", "1001")
        wait_until(lambda: engine.agent_state(rep.id)["state"] == "logged_out")


def test_queue_stats_on_the_bus(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    (rep,) = setup(1)
    with running(tmp_path, scenario_file(tmp_path, phones()), ROUTES) as (engine, sim):
        engine.agent_login(rep.id)
        stats = engine.bus.subscribe({"queue.stats"})
        engine.publish_queue_stats()
        event = stats.get(timeout=2)
        assert event is not None and event.data["queue"] == "support"
        assert (event.data["agents_free"], event.data["agents_logged_in"], event.data["waiting"]) == (1, 1, 0)


GOLD_FLOW = """\
name: gold
start: tag
nodes:
  tag:
    type: set
    vars: {customer_type: gold}
    next: hold
  hold:
    type: queue
    queue: support
    on_failure: bye
  bye:
    type: hangup
"""


def test_ivr_route_sets_the_customer_type_and_queues_to_the_matching_agent(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    from engine.store import AgentSkill, Skill

    standard, gold = setup(2, strategy="customer_type")
    AgentSkill.create(agent=gold, skill=Skill.create(name="customer:gold"), level=5)
    (tmp_path / "dialplans").mkdir()
    (tmp_path / "dialplans" / "gold.yaml").write_text(GOLD_FLOW)
    routes = 'routes:\n  - did: "300"\n    to: {ivr: gold}\n'
    with running(tmp_path, scenario_file(tmp_path, phones(2)), routes) as (engine, sim):
        engine.agent_login(standard.id)
        engine.agent_login(gold.id)
        channel = sim.switch.inbound.inject("300", "+14155550100")
        call = wait_until(lambda: (c := engine.calls.get(channel.uuid)) is not None and c.agent_id and c)
        assert call.agent_id == gold.id and call.queue == "support"
