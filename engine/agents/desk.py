"""Desk and supervisor commands on agents and their calls (the ``EngineAPI`` half that acts).

Mixed into ``engine.core.Engine``. Each command validates its input and raises
``EngineError`` naming the field; each sends only commands real FreeSWITCH accepts:
``uuid_hold``, ``uuid_send_dtmf``, ``uuid_kill``, ``uuid_setvar``, ``uuid_bridge``,
``uuid_transfer ... inline`` and ``originate``.
"""
from __future__ import annotations

import logging
import re
import uuid as uuid_module
from typing import TYPE_CHECKING, Any

import gevent

from engine.api import EngineError
from engine.calls import Call

if TYPE_CHECKING:
    from engine.acd import AcdDispatcher
    from engine.acd.callflow import CallFlow
    from engine.acd.switchops import SwitchOps
    from engine.agents import AgentRegistry
    from engine.agents.threeway import ThreeWayRooms
    from engine.bus import EventBus
    from engine.calls import CallTable
    from engine.clock import Clock

log = logging.getLogger(__name__)
BRIDGE_WAIT_STEP_SECONDS = 0.02
BRIDGE_WAIT_STEPS = 150  # 3 s

_DTMF = re.compile(r"[0-9*#A-Da-d]{1,32}")
_NUMBER = re.compile(r"\+?[0-9]{2,20}")
TRANSFER_KINDS = ("agent", "queue", "number")


class DeskCommands:
    """Agent state commands and call control for the agent's current call."""

    if TYPE_CHECKING:
        agents: AgentRegistry
        calls: CallTable
        switch: SwitchOps
        flow: CallFlow
        acd: AcdDispatcher
        bus: EventBus
        clock: Clock
        three_ways: ThreeWayRooms

        def external_dial_string(self, number: str) -> str: ...
        def ring_agent(self, call: Call, agent_id: int, timeout: float) -> str: ...
        def campaign_dial(self, agent_id: int, number: str, campaign_id: int | None, contact_id: int) -> str: ...

    # ----- agent state ------------------------------------------------------------------
    def agent_login(self, agent_id: int) -> None:
        self.agents.login(agent_id)

    def agent_logout(self, agent_id: int) -> None:
        self.agents.logout(agent_id)

    def agent_ready(self, agent_id: int) -> None:
        self.agents.ready(agent_id)

    def agent_break(self, agent_id: int, reason: str) -> None:
        self.agents.set_break(agent_id, reason)

    def agent_state(self, agent_id: int) -> dict[str, Any]:
        return self.agents.get(agent_id).view(self.clock.now())

    def extend_wrap_up(self, agent_id: int, seconds: int) -> None:
        self.agents.extend_wrap_up(agent_id, seconds)

    def end_wrap_up(self, agent_id: int) -> None:
        self.agents.end_wrap_up(agent_id)

    # ----- the agent's call -------------------------------------------------------------
    def _current(self, agent_id: int) -> tuple[Call, Call]:
        """(customer, agent leg) of the agent's connected call."""
        agent = self.agents.get(agent_id)
        reservation = agent.reservation
        leg = self.calls.get(reservation.leg_uuid) if reservation and reservation.leg_uuid else None
        customer = self.calls.get(agent.call_uuid) if agent.call_uuid else None
        if agent.state != "in_call" or leg is None or customer is None:
            raise EngineError(f"agent {agent_id} has no call in progress", field="agent_id")
        self._await_bridge(customer, leg)
        return customer, leg

    def _await_bridge(self, customer: Call, leg: Call) -> None:
        """An agent is in_call from the answer of their phone; the switch bridges the legs a
        moment later. A hold, transfer or 3-way sent in between would hit a half-made
        bridge (FreeSWITCH then hangs the agent's phone up with DESTINATION_OUT_OF_ORDER),
        so wait for the bridge, a few seconds at most (the command is tried either way)."""
        for _ in range(BRIDGE_WAIT_STEPS):
            if leg.bridged_to or customer.bridged_to or leg.gone or customer.gone:
                return
            gevent.sleep(BRIDGE_WAIT_STEP_SECONDS)

    def dial(self, agent_id: int, number: str, campaign_id: int | None = None, contact_id: int | None = None) -> str:
        """Click-to-dial; returns the customer call's uuid.

        A campaign contact goes through its campaign's desk (``campaign_dial``: compliance,
        DNC, caller ID and the Attempt row before ``originate``). A number outside any
        campaign rings the agent's phone, which then dials it; no Attempt row is written
        and the call is logged as a manual dial.
        """
        if not _NUMBER.fullmatch(number or ""):
            raise EngineError(f"not a phone number: {number!r}", field="number", status=400)
        if contact_id is not None:
            return self.campaign_dial(agent_id, number, campaign_id, contact_id)
        if campaign_id is not None:
            raise EngineError("a campaign call needs the contact to dial", field="contact_id", status=400)
        if not self.switch.up():  # nothing is placed while the switch is down, and the agent stays free
            raise EngineError("FreeSWITCH is not answering: nothing can be dialed now", status=503)
        call_uuid, leg_uuid = str(uuid_module.uuid4()), str(uuid_module.uuid4())
        agent = self.agents.get(agent_id)
        log.info("manual dial outside campaigns agent_id=%s number=%s call_uuid=%s", agent_id, number, call_uuid)
        self.agents.start_call(agent_id, call_uuid)
        node = next(iter(self.switch.nodes), "")
        customer = self.calls.add(Call(uuid=call_uuid, node=node, role="customer", direction="outbound",
                                       destination_number=number, agent_id=agent_id, legs=[leg_uuid]))
        leg = self.calls.add(Call(uuid=leg_uuid, node=node, role="agent", parent_uuid=call_uuid,
                                  agent_id=agent_id, outcome="connected"))
        assert agent.reservation is not None
        agent.reservation.leg_uuid = leg.uuid
        app = f"&bridge({{origination_uuid={call_uuid}}}{self.external_dial_string(number)})"
        self.switch.originate(node, agent.profile.dial_string, app, origination_uuid=leg_uuid,
                              variables={"fscc_role": "agent", "fscc_parent": call_uuid, "fscc_agent_id": agent_id,
                                         "origination_caller_id_number": number})
        self.bus.publish("call.dialed", call_uuid=customer.uuid, agent_id=agent_id, number=number, manual=True)
        return call_uuid

    def hangup(self, agent_id: int) -> None:
        customer, leg = self._current(agent_id)
        self.switch.kill(leg, "NORMAL_CLEARING")

    def hold(self, agent_id: int, on: bool) -> None:
        """Hold puts the caller on music (``uuid_hold`` on the agent's leg)."""
        customer, leg = self._current(agent_id)
        if not self.switch.hold(leg, on):
            raise EngineError("the switch refused hold", field="on")

    def send_dtmf(self, agent_id: int, digits: str) -> None:
        if not _DTMF.fullmatch(digits or ""):
            raise EngineError("digits must be 1-32 of 0-9 * # A-D", field="digits", status=400)
        customer, leg = self._current(agent_id)
        if not self.switch.send_dtmf(customer, digits):
            raise EngineError("the switch refused the digits", field="digits")

    def transfer(self, agent_id: int, kind: str, target: str, attended: bool = False) -> None:
        """Blind: hand the caller on at once. Attended: consult first (caller on MOH)."""
        if kind not in TRANSFER_KINDS:
            raise EngineError(f"kind must be one of {', '.join(TRANSFER_KINDS)}", field="kind", status=400)
        if not target:
            raise EngineError("target is required", field="target", status=400)
        if kind == "number" and not _NUMBER.fullmatch(target):
            raise EngineError(f"not a phone number: {target!r}", field="target", status=400)
        if kind == "queue" and target not in self.acd.queues:
            raise EngineError(f"unknown queue {target!r}", field="target", status=400)
        if kind == "agent" and self.agents.by_extension(target) is None:
            raise EngineError(f"no agent with extension {target!r}", field="target", status=400)
        customer, leg = self._current(agent_id)
        self.switch.set_var(customer, "hangup_after_bridge", "false")
        self.switch.set_var(customer, "park_after_bridge", "true")
        if attended and kind != "queue":
            self._consult(customer, leg, kind, target)
            return
        customer.transferring = True
        self.switch.kill(leg, "NORMAL_CLEARING")
        self.bus.publish("call.transferred", call_uuid=customer.uuid, agent_id=agent_id, kind=kind, target=target)
        gevent.spawn(self.flow.send_to, customer, kind, target, "transfer")

    def _consult(self, customer: Call, leg: Call, kind: str, target: str) -> None:
        consult = self.calls.add(Call(uuid=str(uuid_module.uuid4()), node=leg.node, role="consult",
                                      parent_uuid=customer.uuid))
        endpoint = self.external_dial_string(target)
        if kind == "agent":
            target_agent = self.agents.by_extension(target)
            assert target_agent is not None
            if self.agents.reserve(target_agent.agent_id, customer.uuid, timeout=30) is None:
                raise EngineError(f"agent {target} is not available", field="target")
            consult.agent_id, endpoint = target_agent.agent_id, target_agent.profile.dial_string
        leg.consult_uuid = consult.uuid
        customer.legs.append(consult.uuid)
        # park_after_bridge: the consulted party stays when the agent hangs up to complete.
        self.switch.originate(leg.node, endpoint, "&park()", origination_uuid=consult.uuid,
                              variables={"fscc_role": "consult", "fscc_parent": customer.uuid,
                                         "park_after_bridge": True,
                                         "origination_caller_id_number": customer.caller_number or "unknown"})

    def consult_answered(self, consult: Call) -> None:
        """The consulted party answered: talk to the agent; the caller hears MOH."""
        customer = self.calls.get(consult.parent_uuid)
        leg = next((c for c in self.calls if c.role == "agent" and c.consult_uuid == consult.uuid), None)
        if customer is None or leg is None:
            self.switch.kill(consult)
            return
        if consult.agent_id is not None:
            self.agents.answered(consult.agent_id)
        self.switch.bridge(leg, consult)
        queue = self.acd.queues.get(customer.queue)
        self.switch.execute(customer, "playback", queue.config.moh if queue else "local_stream://moh")

    def complete_transfer(self, agent_id: int) -> None:
        """Attended transfer, step two: the caller goes to the consulted party."""
        customer, leg = self._current(agent_id)
        consult = self.calls.get(leg.consult_uuid)
        if consult is None or not consult.answered:
            raise EngineError("no answered consultation to complete", field="agent_id")
        customer.transferring = True
        self.switch.kill(leg, "NORMAL_CLEARING")  # the consulted party parks (park_after_bridge)
        if not self.switch.bridge(customer, consult):
            raise EngineError("the switch refused to bridge the caller to the consulted party", field="agent_id")
        for call in (customer, consult):
            self.switch.set_var(call, "park_after_bridge", "false")
            self.switch.set_var(call, "hangup_after_bridge", "true")

    def cancel_transfer(self, agent_id: int) -> None:
        """Attended transfer abandoned: drop the consultation, back to the caller."""
        customer, leg = self._current(agent_id)
        consult = self.calls.get(leg.consult_uuid)
        if consult is not None:
            self.switch.kill(consult)
        leg.consult_uuid = ""
        self.switch.bridge(customer, leg)

    def three_way(self, agent_id: int, number: str) -> str:
        """Move caller and agent into a conference and dial a third party into it; when
        people leave, :class:`engine.agents.threeway.ThreeWayRooms` ends it for a party left
        alone (customer and third party stay together when only the agent leaves)."""
        if not _NUMBER.fullmatch(number or ""):
            raise EngineError(f"not a phone number: {number!r}", field="number", status=400)
        customer, leg = self._current(agent_id)
        room = f"fscc-{customer.uuid}@default"
        self.switch.api(customer, f"uuid_transfer {customer.uuid} -both conference:{room} inline")
        third = str(uuid_module.uuid4())
        self.three_ways.add(room, (customer.uuid, leg.uuid, third))
        self.switch.originate(customer.node, self.external_dial_string(number), f"&conference({room})",
                              origination_uuid=third, variables={"fscc_role": "consult", "fscc_parent": customer.uuid})
        return third

    def pickup(self, agent_id: int, call_uuid: str) -> None:
        """A chosen agent takes a queued caller: out of line, ring the agent, bridge."""
        self.acd.pickup(call_uuid, agent_id)
        customer = self.calls.get(call_uuid)
        if customer is None:
            raise EngineError(f"unknown call {call_uuid}", field="call_uuid", status=404)
        self.ring_agent(customer, agent_id, 30)
