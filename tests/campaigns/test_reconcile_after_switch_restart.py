# mypy: disable-error-code="attr-defined"
"""The switch restarts under a bridged campaign call (its channels are gone, no hang-up was
ever sent): on reconnect the engine reconciles with `show channels` (the same path as at start),
so the call ends in the store, the attempt is settled and the agent is free again."""
from __future__ import annotations

import pytest

from engine.store import Attempt, Cdr, Contact
from tests.campaigns.test_switch_faults_simswitch import engine_at, start_switch, unhandled  # noqa: F401
from tests.engine.sim import free_port, scenario_file, wait_until
from tests.engine.test_engine_dialing_sim import campaign, world


@pytest.mark.timeout(120)
def test_a_bridged_call_lost_with_the_switch_is_settled_on_reconnect(sqlite_store, tmp_path, unhandled):  # noqa: F811
    agent, _ = world(tmp_path)
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.1}],
                             customers=[{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.2, "talk_time": 600}])
    progressive = campaign("progressive", "progressive")
    contact = Contact.create(campaign=progressive, phone="+12125550101")
    esl_port, outbound_port = free_port(), free_port()
    sim = start_switch(scenario, outbound_port, esl_port)
    try:
        with engine_at(tmp_path, esl_port, outbound_port) as engine:
            engine.agent_login(agent.id)
            wait_until(lambda: engine.agents.get(agent.id).state == "in_call", timeout=30, step=0.05)
            attempt = Attempt.get(Attempt.contact == contact.id)
            sim.stop()  # the switch dies with the call: no hang-up event ever comes
            sim = start_switch(scenario, outbound_port, esl_port)
            wait_until(lambda: Attempt.get_by_id(attempt.id).outcome != "", timeout=30, step=0.05)
            settled = Attempt.get_by_id(attempt.id)
            assert (settled.outcome, settled.hangup_cause) == ("answered", "CRASH")  # the customer did talk
            wait_until(lambda: engine.agents.get(agent.id).state != "in_call", timeout=10, step=0.05)
            assert engine.calls.get(attempt.origination_uuid).gone
            assert Cdr.get_or_none(Cdr.call_uuid == attempt.origination_uuid) is not None
            assert Contact.get_by_id(contact.id).status not in ("dialing", "claimed")
    finally:
        sim.stop()
    assert unhandled.greenlets == [] and unhandled.records == []
