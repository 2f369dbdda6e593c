"""The engine killed (kill -9) and restarted during live calls on a real FreeSWITCH: it
reconciles the store with the switch's `show channels` instead of forgetting the calls."""
from __future__ import annotations

import re
import signal
from collections.abc import Iterator

import pytest

from tests.e2e.harness import Stack, wait_until
from tests.e2e.test_outbound import _campaign

pytestmark = pytest.mark.timeout(420)


@pytest.fixture
def customers(stack: Stack) -> Iterator[None]:
    with stack.customer_cloud(ring_ms=1000, talk_ms=20000):
        yield


def test_kill_during_bridged_calls_then_restart(stack: Stack, ready_agents: list[str], customers: None) -> None:
    campaign_id, numbers = _campaign(stack, "e2e restart", "progressive", ready_agents)
    stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/start", payload={})
    busy = wait_until(lambda: [e for e in ready_agents if stack.agent_state(e)["state"] == "in_call"], 90,
                      "an agent bridged to a customer")
    extension = busy[0]
    customer_uuid = stack.agent_state(extension)["call_uuid"]
    stack.stop_fscc(signal.SIGKILL)
    live = {row["uuid"] for row in stack.channels()}
    assert customer_uuid in live, "customer legs originated over ESL outlive the engine"
    stack.start_fscc()

    # Recovery read the switch: every live channel was taken back.
    recovered = wait_until(lambda: re.findall(r"recovered (\d+) live channels", stack.log_tail(400)), 30,
                           "the engine's recovery")
    assert int(recovered[-1]) >= 1
    # The agent is back in the same call, without logging in again.
    state = stack.agent_state(extension)
    assert (state["state"], state["call_uuid"]) == ("in_call", customer_uuid), state

    # The customer hangs up: the attempt gets its outcome, the agent is free again, and the
    # campaign finishes its other contacts with nobody dialed twice.
    wait_until(lambda: stack.query("SELECT outcome FROM attempt WHERE origination_uuid = ?", customer_uuid)
               [0][0] != "", 120, "the recovered attempt's outcome")
    outcome = stack.query("SELECT outcome, ended_at FROM attempt WHERE origination_uuid = ?", customer_uuid)[0]
    assert outcome[0] == "answered" and outcome[1] is not None
    wait_until(lambda: stack.agent_state(extension)["state"] != "in_call", 60, "the agent freed")
    wait_until(lambda: all(status not in ("new", "claimed", "dialing") for (status,) in
                           stack.query("SELECT status FROM contact WHERE campaign_id = ?", campaign_id)),
               240, "every contact dialed after the restart")
    stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/pause", payload={})
    stack.wait_idle()
    placed = stack.query("SELECT phone, count(*) FROM attempt WHERE campaign_id = ? AND outcome != 'trunk_failed' "
                         "GROUP BY phone", campaign_id)
    assert dict(placed) == {phone: 1 for phone in numbers}, placed
    for extension in ready_agents:
        assert stack.agent_state(extension)["state"] != "in_call"


def test_kill_during_a_bridged_inbound_call_then_restart(stack: Stack, ready_agents: list[str]) -> None:
    """An inbound caller bridged to an agent outlives the engine (the bridge no longer needs
    the outbound socket); after the restart the agent is in that call again, and when the
    caller hangs up the call is written and the agent is free."""
    caller = stack.call_in("8002", talk_ms=25000)
    busy = wait_until(lambda: [e for e in ready_agents if stack.agent_state(e)["state"] == "in_call"], 60,
                      "an agent taking the inbound call")
    extension = busy[0]
    customer_uuid = stack.agent_state(extension)["call_uuid"]
    wait_until(lambda: stack.leg_of(extension), 30, "the agent's leg")
    stack.stop_fscc(signal.SIGKILL)
    assert customer_uuid in {row["uuid"] for row in stack.channels()}
    stack.start_fscc()
    state = stack.agent_state(extension)
    assert (state["state"], state["call_uuid"]) == ("in_call", customer_uuid), state
    output, _ = caller.communicate(timeout=120)
    assert "successful=1" in output, output
    wait_until(lambda: stack.agent_state(extension)["state"] != "in_call", 60, "the agent freed")
    stack.wait_idle()
    assert stack.query("SELECT hangup_cause FROM cdr WHERE call_uuid = ?", customer_uuid) == [("NORMAL_CLEARING",)]
