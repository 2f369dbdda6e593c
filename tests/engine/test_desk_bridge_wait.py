"""Desk commands wait for the bridge the switch is still making (found on a real FreeSWITCH:
a 3-way sent within milliseconds of the agent's answer hung the agent's phone up)."""
from __future__ import annotations

import gevent

from engine.agents.desk import DeskCommands
from engine.calls import Call


def test_a_command_right_after_the_answer_waits_for_the_bridge() -> None:
    customer, leg = Call("customer", state="answered"), Call("leg", state="answered")
    order: list[str] = []

    def bridge_arrives() -> None:
        gevent.sleep(0.1)  # CHANNEL_BRIDGE comes a moment after the agent's answer
        order.append("bridged")
        leg.bridged_to, customer.bridged_to = customer.uuid, leg.uuid

    arrival = gevent.spawn(bridge_arrives)
    DeskCommands._await_bridge(DeskCommands.__new__(DeskCommands), customer, leg)
    order.append("command sent")
    arrival.join()
    assert order == ["bridged", "command sent"]


def test_a_bridged_call_is_not_delayed() -> None:
    customer, leg = Call("customer", bridged_to="leg"), Call("leg", bridged_to="customer")
    spy = gevent.spawn(lambda: None)  # would run first if the command yielded to the hub
    DeskCommands._await_bridge(DeskCommands.__new__(DeskCommands), customer, leg)
    assert not spy.dead
    spy.join()
