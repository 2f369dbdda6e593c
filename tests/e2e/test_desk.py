"""Desk actions on live SIP calls on a real FreeSWITCH: hold, DTMF, blind transfer, 3-way."""
from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import Stack, wait_until

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def customers(stack: Stack) -> Iterator[None]:
    with stack.customer_cloud(ring_ms=1000, talk_ms=600000):
        yield


def _in_call(stack: Stack, extensions: list[str]) -> str:
    return wait_until(lambda: next((e for e in extensions if stack.agent_state(e)["state"] == "in_call"), None),
                      60, "an agent in a call")


def _channel(stack: Stack, uuid: str) -> dict[str, Any]:
    return next((row for row in stack.channels() if row.get("uuid") == uuid), {})


def _digits_sent(stack: Stack, uuid: str) -> list[str]:
    """Digits the switch sent to a channel, in order (its debug log: `send dtmf` + `digit=`)."""
    log = (stack.fs_run / "log" / "freeswitch.log").read_text(errors="replace")
    return re.findall(rf"^{uuid} digit=(.) ms=", log, flags=re.MULTILINE)


def test_hold_dtmf_and_blind_transfer_to_another_agent(stack: Stack, ready_agents: list[str]) -> None:
    with stack.calling("8002", talk_ms=25000) as caller:
        _hold_dtmf_transfer(stack, ready_agents, caller)


def _hold_dtmf_transfer(stack: Stack, ready_agents: list[str], caller: subprocess.Popen[str]) -> None:
    first = _in_call(stack, ready_agents)
    other = next(e for e in ready_agents if e != first)
    customer_uuid = stack.agent_state(first)["call_uuid"]
    assert _channel(stack, customer_uuid), "the customer's channel is live on the switch"

    # Hold is uuid_hold on the agent's leg: the phone is put on hold (re-INVITE), the
    # caller hears the hold music; un-hold brings both back.
    stack.api("POST", "/desk/hold", f"agent{first}", {"on": True})
    wait_until(lambda: (stack.leg_of(first) or {}).get("callstate") == "HELD", 20, "the agent's leg on hold")
    stack.api("POST", "/desk/hold", f"agent{first}", {"on": False})
    # FreeSWITCH says UNHELD after a hold, ACTIVE again after later media changes.
    wait_until(lambda: (stack.leg_of(first) or {}).get("callstate") in ("UNHELD", "ACTIVE"), 20,
               "the call back from hold")

    stack.api("POST", "/desk/dtmf", f"agent{first}", {"digits": "42#"})
    wait_until(lambda: _digits_sent(stack, customer_uuid) == ["4", "2", "#"], 20, "the digits sent as RFC 2833")

    stack.api("POST", "/desk/transfer", f"agent{first}", {"kind": "agent", "target": other})
    wait_until(lambda: stack.agent_state(other)["state"] == "in_call", 60, f"agent {other} to take the caller")
    assert stack.agent_state(other)["call_uuid"] == customer_uuid
    assert stack.agent_state(first)["state"] != "in_call"
    wait_until(lambda: stack.leg_of(first) is None, 30, "the first agent's phone to leave the call")

    assert "successful=1" in caller.communicate(timeout=120)[0]
    stack.wait_idle()
    legs = json.loads(stack.query("SELECT legs FROM cdr WHERE call_uuid = ?", customer_uuid)[0][0])
    answered = [leg["destination"] for leg in legs if leg["role"] == "agent" and leg["answered"]]
    assert answered == [first, other], legs


@pytest.mark.parametrize("first_to_leave", ["agent", "third_party"])
def test_three_way_each_party_leaving(stack: Stack, ready_agents: list[str], customers: None,
                                      first_to_leave: str) -> None:
    with stack.calling("8002", talk_ms=30000) as caller:
        _three_way(stack, ready_agents, caller, first_to_leave)


def _three_way(stack: Stack, ready_agents: list[str], caller: subprocess.Popen[str], first_to_leave: str) -> None:
    agent = _in_call(stack, ready_agents)
    customer_uuid = stack.agent_state(agent)["call_uuid"]
    result = stack.api("POST", "/desk/three_way", f"agent{agent}", {"target": "+12125550140"})
    third_uuid = result["call_uuid"]
    wait_until(lambda: _channel(stack, third_uuid).get("callstate") == "ACTIVE", 30, "the third party answered")
    # Caller, agent and third party hear each other: one conference with three members.
    wait_until(lambda: stack.fs_cli("conference list count").strip() not in ("", "0")
               and "3" in stack.fs_cli("conference list count"), 30, "three members in the conference")

    if first_to_leave == "agent":
        stack.api("POST", "/desk/hangup", f"agent{agent}", {})
        wait_until(lambda: stack.leg_of(agent) is None, 30, "the agent's phone to leave")
        # The caller and the third party stay connected to each other.
        assert _channel(stack, customer_uuid) and _channel(stack, third_uuid)
    else:
        assert stack.fs_cli(f"uuid_kill {third_uuid}").startswith("+OK")
        wait_until(lambda: not _channel(stack, third_uuid), 30, "the third party to leave")
        assert _channel(stack, customer_uuid) and stack.leg_of(agent) is not None

    # When the caller hangs up, nobody is left alone on the switch.
    assert "successful=1" in caller.communicate(timeout=120)[0]
    stack.wait_idle(timeout=30)
