"""Originates the switch never confirmed: lost to their owners first, then killed once the
node answers; a late channel of one is killed again."""
from __future__ import annotations

import gevent
import gevent.event

from engine.calls import Call
from engine.esl.errors import ESLDisconnected
from engine.esl.session import JobFuture
from engine.unconfirmed import LOST_CAUSE, UnconfirmedOriginates


class Node:
    def __init__(self) -> None:
        self.up = False
        self.sent: list[tuple[str, str]] = []
        self.order: list[str] = []

    def api(self, node: str, command: str) -> str:
        if not self.up:
            raise ESLDisconnected("down")
        self.sent.append((node, command))
        self.order.append(f"kill {command.split()[1]}")
        return "-ERR No such channel!\n"


def test_lost_first_then_killed_when_the_node_is_back_and_killed_again_if_it_shows_up():
    node = Node()
    unconfirmed = UnconfirmedOriginates(node.api, lambda name: node.up)
    unconfirmed.lost_listeners.append(lambda uuid: node.order.append(f"lost {uuid}"))
    job = JobFuture("job-1")
    unconfirmed.watch("fs1", "call-1", job)
    job.set_exception(ESLDisconnected("connection closed"))  # the node dropped before the job came
    gevent.sleep(0)
    assert unconfirmed.pending("fs1") == {"call-1"} and node.sent == []
    node.up = True
    unconfirmed.node_up("fs1")
    assert node.order == ["lost call-1", "kill call-1"]
    assert node.sent == [("fs1", f"uuid_kill call-1 {LOST_CAUSE}")]
    # the switch ran the buffered originate after all: its first event gets it killed
    unconfirmed.on_call_event(Call(uuid="call-1", node="fs1"), "CHANNEL_CREATE")
    gevent.sleep(0.01)
    assert node.order[-1] == "kill call-1" and len(node.sent) == 2
    unconfirmed.on_call_event(Call(uuid="call-1", node="fs1"), "CHANNEL_HANGUP")
    gevent.sleep(0.01)
    assert len(node.sent) == 2


def test_a_confirmed_job_is_forgotten_and_a_job_never_reported_on_a_live_node_is_killed_at_once():
    node = Node()
    node.up = True
    unconfirmed = UnconfirmedOriginates(node.api, lambda name: node.up)
    job = JobFuture("job-2")
    unconfirmed.watch("fs1", "call-2", job)
    job.set("+OK call-2\n")
    gevent.sleep(0)
    assert unconfirmed.pending("fs1") == set() and node.sent == []
    unconfirmed.add("fs1", "call-3")  # e.g. the job's wait timed out on a node that is up
    gevent.sleep(0.01)
    assert node.sent == [("fs1", f"uuid_kill call-3 {LOST_CAUSE}")]


def test_an_agent_rung_when_the_node_drops_is_freed_without_a_penalty():
    from engine.agents import AgentProfile
    from engine.clock import ManualClock
    from engine.core import Engine
    from engine.settings import Settings

    engine = Engine(Settings(), clock=ManualClock(), store=False)
    engine.agents.add(AgentProfile(1, "1001"))
    engine.agents.login(1)
    assert engine.agents.reserve(1, "customer-1") is not None
    leg = engine.calls.add(Call(uuid="leg-1", node="fs1", role="agent", parent_uuid="customer-1", agent_id=1))
    job = JobFuture("job-3")
    job.set_exception(ESLDisconnected("connection closed"))
    engine._direct_leg_result(leg, job, 20)
    agent = engine.agents.get(1)
    assert agent.state == "available" and agent.registered and agent.no_answer_count == 0


def test_a_manual_dial_while_the_switch_is_down_is_refused_and_the_agent_stays_free():
    import pytest

    from engine.agents import AgentProfile
    from engine.api import EngineError
    from engine.clock import ManualClock
    from engine.core import Engine
    from engine.settings import Settings

    engine = Engine(Settings(), clock=ManualClock(), store=False)  # no node connected
    engine.agents.add(AgentProfile(1, "1001"))
    engine.agents.login(1)
    with pytest.raises(EngineError) as refused:
        engine.dial(1, "+12125550100")
    assert refused.value.status == 503 and engine.agents.get(1).state == "available"
