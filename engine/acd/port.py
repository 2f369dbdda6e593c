"""``EslOfferPort``: what offers, overflows and announcements mean on the wire.

An offer originates ``user/EXT`` with a pre-chosen ``origination_uuid`` to ``&park()``;
when that leg answers the engine bridges it to the caller with ``uuid_bridge``. A caller
who asked for a callback has hung up: the answered agent leg then dials the caller back.
"""
from __future__ import annotations

import logging
import uuid as uuid_module
from typing import TYPE_CHECKING, Any

import gevent

from engine.acd.queue import AcdQueue
from engine.acd.strategies import WaitingCall
from engine.acd.switchops import job_failure_cause, offer_outcome
from engine.agents import Reservation
from engine.calls import Call
from engine.esl.errors import ESLDisconnected, ESLError

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger(__name__)


class EslOfferPort:
    """The dispatcher's OfferPort over ESL, for one Engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def offer(self, queue: AcdQueue, call: WaitingCall, reservations: list[Reservation]) -> None:
        customer = self.engine.calls.get(call.call_uuid)
        for reservation in reservations:
            agent = self.engine.agents.get(reservation.agent_id)
            leg = self.engine.calls.add(Call(
                uuid=str(uuid_module.uuid4()), node=customer.node if customer else "", role="agent",
                parent_uuid=call.call_uuid, agent_id=reservation.agent_id, queue=queue.name,
            ))
            reservation.leg_uuid = leg.uuid
            if customer is not None:
                customer.legs.append(leg.uuid)
            variables: dict[str, object] = {
                "fscc_role": "agent", "fscc_parent": call.call_uuid, "fscc_agent_id": reservation.agent_id,
                "fscc_queue": queue.name, "hangup_after_bridge": True,
                "originate_timeout": max(1, int(reservation.timeout)), "ignore_early_media": True,
                "origination_caller_id_number": call.caller_number or "unknown",
                "origination_caller_id_name": f"{queue.name} {call.caller_number}".strip(),
            }
            gevent.spawn(self._originate, leg, agent.profile.dial_string, variables, reservation)

    def _originate(self, leg: Call, endpoint: str, variables: dict[str, object], reservation: Reservation) -> None:
        try:
            job = self.engine.switch.originate(leg.node, endpoint, "&park()", origination_uuid=leg.uuid, variables=variables)
            body = str(job.get(timeout=reservation.timeout + 30))
        except (ESLDisconnected, TimeoutError) as exc:  # the switch, not the agent's phone: no penalty
            if isinstance(exc, TimeoutError):  # the job never came: kill the leg
                self.engine.switch.not_confirmed(leg.node, leg.uuid)
            body = f"-ERR ORIGINATOR_CANCEL ({exc})"
        except ESLError as exc:
            body = f"-ERR DESTINATION_OUT_OF_ORDER ({exc})"
        cause = job_failure_cause(body)
        if cause is None:
            return
        if leg.agent_id is not None:
            # A failed originate reports after its leg (if any) is gone: free a withdrawn agent.
            self.engine.agents.leg_gone(leg.agent_id, leg.uuid)
        if leg.outcome:
            return
        leg.outcome = offer_outcome(cause)
        log.info("offer failed agent_id=%s call_uuid=%s cause=%s", leg.agent_id, leg.parent_uuid, cause)
        assert leg.agent_id is not None
        self.engine.acd.offer_failed(leg.parent_uuid, leg.agent_id, leg.outcome)

    def cancel_offer(self, queue: AcdQueue, call: WaitingCall, reservation: Reservation) -> None:
        leg = self.engine.calls.get(reservation.leg_uuid) if reservation.leg_uuid else None
        if leg is None or leg.outcome:
            return
        leg.outcome = "cancelled"
        self.engine.agents.hold_leg(reservation.agent_id, leg.uuid)  # until its CHANNEL_HANGUP
        gevent.spawn(self.engine.switch.kill, leg, "ORIGINATOR_CANCEL")

    def overflow(self, queue: AcdQueue, call: WaitingCall, reason: str, kind: str, target: str) -> None:
        customer = self.engine.calls.get(call.call_uuid)
        self.engine.bus.publish("queue.overflow", queue=queue.name, call_uuid=call.call_uuid, reason=reason, kind=kind, target=target)
        if customer is None or customer.gone:
            return
        customer.left_queue_at = self.engine.clock.now()
        gevent.spawn(self.engine.flow.send_to, customer, kind, target, reason)

    def announce(self, queue: AcdQueue, call: WaitingCall, position: int, estimated_wait: float) -> None:
        self.engine.bus.publish("queue.position", queue=queue.name, call_uuid=call.call_uuid, position=position,
                                estimated_wait=round(estimated_wait))
        customer = self.engine.calls.get(call.call_uuid)
        if customer is not None and not customer.gone:
            gevent.spawn(self._broadcast, customer)

    def _broadcast(self, customer: Call) -> None:
        try:
            self.engine.switch.broadcast(customer, self.engine.sound("please_hold.wav"))
        except (ESLError, TimeoutError) as exc:
            log.warning("announcement failed call_uuid=%s: %s", customer.uuid, exc)


def agent_leg_failed(engine: Engine, leg: Call, cause: str) -> Any:
    """An agent leg hung up before answering (reported by its events, not the job)."""
    if leg.outcome or leg.agent_id is None:
        return None
    leg.outcome = offer_outcome(cause)
    engine.acd.offer_failed(leg.parent_uuid, leg.agent_id, leg.outcome)
    return leg.outcome
