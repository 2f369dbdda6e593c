"""The Engine against simswitch over TCP: inbound calls queue, ring agents, bridge, end."""
from __future__ import annotations

import pathlib

import pytest

from engine.store import Agent, Cdr, Queue, QueueMember
from tests.engine.sim import running, scenario_file, wait_until

ROUTES = """\
routes:
  - name: support
    did: "100"
    to: {queue: support}
"""


def make_queue(name: str = "support", n_agents: int = 2, **fields: object) -> list[Agent]:
    fields.setdefault("wrap_up_seconds", 0)
    queue = Queue.create(name=name, announce_position_seconds=0, **fields)
    agents = []
    for i in range(1, n_agents + 1):
        agent = Agent.create(name=f"Agent {i}", extension=str(1000 + i), sip_password="pw", wrap_up_seconds=0)
        QueueMember.create(queue=queue, agent=agent, position=i)
        agents.append(agent)
    return agents


@pytest.mark.timeout(60)
def test_inbound_call_is_offered_bridged_and_leaves_a_cdr(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    agents = make_queue(strategy="top_down")
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.2},
                                        {"extension": "1002", "answer_delay": 0.2}])
    with running(tmp_path, scenario, ROUTES) as (engine, sim):
        for agent in agents:
            engine.agent_login(agent.id)
        channel = sim.switch.inbound.inject("100", "+14155550100")
        wait_until(lambda: engine.agents.get(agents[0].id).state == "in_call")
        assert engine.agents.get(agents[1].id).state == "available"
        call = engine.calls.get(channel.uuid)
        assert call is not None and call.agent_id == agents[0].id
        wait_until(lambda: call.bridged_to)
        channel.hangup("NORMAL_CLEARING", "recv_bye")
        row = wait_until(lambda: Cdr.get_or_none(Cdr.call_uuid == channel.uuid))
        assert row.agent_id == agents[0].id and row.queue_id is not None
        assert row.hangup_cause == "NORMAL_CLEARING" and not row.abandoned
        assert row.legs and row.legs[0]["agent_id"] == agents[0].id
        wait_until(lambda: engine.agents.get(agents[0].id).state == "available")
