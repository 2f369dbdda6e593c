"""What the engine does with a customer call: route, queue, connect, rate, send elsewhere.

Everything here reacts to a ``Call`` whose facts came from events; commands go through
``Engine.switch`` (engine.acd.switchops). Blocking commands run in their own greenlets so
the ESL event dispatcher is never held up.
"""
from __future__ import annotations

import logging
import pathlib
from typing import TYPE_CHECKING

import gevent

from engine.acd.port import agent_leg_failed
from engine.acd.queue import Member, QueueConfig
from engine.acd.strategies import WaitingCall
from engine.api import EngineError
from engine.calls import Call
from engine.esl.errors import ESLError
from engine.recordings import recording_path, save_recording

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger(__name__)

LOW_SATISFACTION = 2


class CallFlow:
    """Customer-call behaviour of one Engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.direct_legs: set[str] = set()  # agent legs placed by connect_to_agent / pickup

    # ----- arrival ----------------------------------------------------------------------
    def route(self, call: Call) -> None:
        """Route a new inbound call: an agent's feature code, else routes.yaml."""
        engine = self.engine
        action = engine.feature_codes.get(call.destination_number)
        if action is not None:
            self.feature(call, action)
            return
        match = engine.router.match(call.destination_number, call.caller_number, engine.clock.now())
        if match is None:
            log.warning("no route call_uuid=%s did=%s", call.uuid, call.destination_number)
            self.send_to(call, "hangup", "NO_ROUTE_DESTINATION", "no_route")
            return
        engine.bus.publish("call.routed", call_uuid=call.uuid, route=match.route, kind=match.target.kind,
                           target=match.target.value, reason=match.reason)
        target = match.target
        if target.kind == "queue":
            self.enqueue(call, target.value, priority=int(target.options.get("priority", 0)),
                         customer_type=str(target.options.get("customer_type", "")))
        else:
            self.send_to(call, target.kind, target.value, match.reason)

    def feature(self, call: Call, action: str) -> None:
        """An agent dialed a feature code: change their state, confirm, hang up."""
        engine = self.engine
        agent = engine.agents.by_extension(call.caller_number)
        prompt = "invalid.wav"
        if agent is not None:
            try:
                {"login": engine.agents.login, "logout": engine.agents.logout, "ready": engine.agents.ready,
                 "break": lambda agent_id: engine.agents.set_break(agent_id, "phone")}[action](agent.agent_id)
                prompt = "thanks.wav"
            except EngineError as exc:
                log.info("feature code refused extension=%s action=%s: %s", call.caller_number, action, exc)
        for app, arg in (("answer", None), ("playback", engine.sound(prompt)), ("hangup", None)):
            engine.switch.execute(call, app, arg)

    def enqueue(self, call: Call, queue_name: str, *, priority: int = 0, customer_type: str = "") -> bool:
        """Answer, start MOH and put the caller in line (after-hours goes elsewhere)."""
        engine = self.engine
        queue = engine.acd.queues.get(queue_name)
        if queue is None:
            log.error("route names unknown queue %r call_uuid=%s", queue_name, call.uuid)
            self.send_to(call, "hangup", "UNALLOCATED_NUMBER", "unknown_queue")
            return False
        call.queue, call.queue_id = queue.name, queue.config.queue_id
        call.entered_queue_at, call.left_queue_at = engine.clock.now(), None
        if not queue.is_open(engine.clock.now()):
            return engine.acd.enqueue(queue.name, WaitingCall(call.uuid, call.caller_number))
        after = "park_after_bridge=true" if queue.config.satisfaction_survey else "hangup_after_bridge=true"
        for app, arg in (("answer", None), ("set", after), ("playback", queue.config.moh)):
            engine.switch.execute(call, app, arg)
        engine.bus.publish("call.queued", call_uuid=call.uuid, queue=queue.name, caller=call.caller_number)
        return engine.acd.enqueue(queue.name, WaitingCall(call.uuid, call.caller_number, priority=priority,
                                                          customer_type=customer_type))

    def send_to(self, call: Call, kind: str, target: str, reason: str) -> None:
        """Send a caller to voicemail, an IVR, another queue, an agent, a number or hang up."""
        engine = self.engine
        if call.gone:
            return
        log.info("send call_uuid=%s to=%s:%s reason=%s", call.uuid, kind, target, reason)
        try:
            if call.answered:
                engine.switch.stop_media(call)
            if kind == "queue":
                self.enqueue(call, target)
            elif kind == "agent":
                self.enqueue(call, self.agent_queue(target))
            elif kind == "voicemail":
                # fscc's own greeting, then straight to the beep: mod_voicemail's greeting
                # needs the switch's sound package, and without it the caller only hears
                # "goodbye" and no message is taken.
                for app, arg in (("answer", None), ("playback", self.sound("leave_message.wav")),
                                 ("set", "skip_greeting=true"), ("set", "skip_instructions=true"),
                                 ("voicemail", f"default ${{domain}} {target}"), ("hangup", None)):
                    engine.switch.execute(call, app, arg)
            elif kind == "number":
                engine.switch.execute(call, "bridge", engine.external_dial_string(target))
                engine.switch.execute(call, "hangup", None)
            elif kind == "ivr" and engine.ivr_runner is not None:
                engine.ivr_runner(engine, call, target)
            else:
                if kind == "ivr":
                    log.error("no IVR runner attached; hanging up call_uuid=%s flow=%s", call.uuid, target)
                cause = target if kind == "hangup" and target.isupper() else "NORMAL_CLEARING"
                engine.switch.execute(call, "hangup", cause)
        except (ESLError, TimeoutError) as exc:
            log.warning("send_to failed call_uuid=%s: %s", call.uuid, exc)

    def agent_queue(self, extension: str) -> str:
        """A one-agent queue for calls routed straight to an agent's extension."""
        engine = self.engine
        agent = engine.agents.by_extension(extension)
        name = f"agent:{extension}"
        if name not in engine.acd.queues:
            members = (Member(agent.agent_id),) if agent is not None else ()
            engine.acd.configure(QueueConfig(name=name, strategy="top_down", members=members, max_wait_seconds=60,
                                             max_wait_no_agents_seconds=5, overflow_kind="voicemail",
                                             overflow_target=extension, announce_position_seconds=0))
        return name

    # ----- agent legs -------------------------------------------------------------------
    def agent_leg_event(self, leg: Call, name: str) -> None:
        engine = self.engine
        if leg.agent_id is None:
            return
        agent = engine.agents.get(leg.agent_id)
        if name in ("CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"):
            if agent.reservation is not None and agent.reservation.leg_uuid == leg.uuid:
                engine.agents.ringing(leg.agent_id, leg.uuid)
        elif name == "CHANNEL_ANSWER":
            gevent.spawn(self.connect_agent, leg)
        elif name == "CHANNEL_HANGUP":
            engine.agents.leg_gone(leg.agent_id, leg.uuid)
            if leg.outcome == "connected":
                self.agent_hung_up(leg)
            elif not leg.outcome:
                agent_leg_failed(engine, leg, leg.hangup_cause)
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self.leg_complete(leg)

    def connect_agent(self, leg: Call) -> None:
        """The agent answered: take the caller out of line and bridge them."""
        engine = self.engine
        customer = engine.calls.get(leg.parent_uuid)
        assert leg.agent_id is not None
        if leg.outcome == "connected":
            return  # a manual call: the leg bridges itself
        direct = leg.uuid in self.direct_legs
        waiting = engine.acd.waiting_call(leg.parent_uuid)
        if not direct and not leg.outcome and waiting is not None and waiting.callback:
            self.call_back(leg, waiting.caller_number)
            return
        if leg.outcome or customer is None or (not direct and waiting is None):
            leg.outcome = leg.outcome or "cancelled"
            engine.switch.kill(leg, "LOSE_RACE")
            return
        if direct:
            if engine.agents.get(leg.agent_id).state in ("reserved", "ringing"):
                engine.agents.answered(leg.agent_id)
        elif engine.acd.agent_answered(customer.uuid, leg.agent_id) is None:
            leg.outcome = "cancelled"
            engine.switch.kill(leg, "LOSE_RACE")
            return
        leg.outcome, customer.transferring = "connected", False
        customer.agent_id, customer.left_queue_at = leg.agent_id, customer.left_queue_at or engine.clock.now()
        self.start_recording(customer, leg)
        if customer.gone or not engine.switch.bridge(customer, leg):
            log.warning("bridge failed call_uuid=%s leg=%s", customer.uuid, leg.uuid)
            engine.switch.kill(leg)
            return
        engine.bus.publish("call.answered", call_uuid=customer.uuid, agent_id=leg.agent_id, queue=customer.queue)

    def call_back(self, leg: Call, number: str) -> None:
        """A caller who asked for a callback reached the front: the answered agent dials them."""
        engine = self.engine
        assert leg.agent_id is not None
        if engine.acd.agent_answered(leg.parent_uuid, leg.agent_id) is None:
            leg.outcome = "cancelled"
            engine.switch.kill(leg, "LOSE_RACE")
            return
        leg.outcome = "connected"
        engine.switch.execute(leg, "bridge", engine.external_dial_string(number))
        engine.bus.publish("call.callback_dialed", call_uuid=leg.parent_uuid, agent_id=leg.agent_id, number=number)

    def start_recording(self, customer: Call, leg: Call) -> None:
        engine = self.engine
        queue = engine.acd.queues.get(customer.queue)
        if not engine.should_record(customer, leg.agent_id, queue.config.record if queue else False):
            return
        path = recording_path(engine.settings.recordings_dir, customer.uuid, customer.created_at or engine.clock.now())
        path.parent.mkdir(parents=True, exist_ok=True)
        leg.recording_path = customer.recording_path = str(path.resolve())
        engine.switch.execute(leg, "record_session", leg.recording_path)

    def agent_hung_up(self, leg: Call) -> None:
        """The agent's side of a connected call ended: wrap-up, then rate or end the call."""
        engine = self.engine
        assert leg.agent_id is not None
        customer = engine.calls.get(leg.parent_uuid)
        queue = engine.acd.queues.get(customer.queue) if customer else None
        engine.agents.call_ended(leg.agent_id)
        if queue is not None and leg.answered_at and leg.ended_at:
            queue.record_handle_time(leg.ended_at - leg.answered_at + queue.config.wrap_up_seconds)
        if customer is None or customer.gone or customer.transferring or engine.three_ways.holds(customer.uuid):
            return  # (in a 3-way room the room decides: engine.agents.threeway)
        if queue is not None and queue.config.satisfaction_survey:
            gevent.spawn(self.rate, customer)
        else:
            gevent.spawn(engine.switch.kill, customer, "NORMAL_CLEARING")

    def leg_complete(self, leg: Call) -> None:
        engine = self.engine
        customer = engine.calls.get(leg.parent_uuid)
        if leg.recording_path:
            save_recording(leg.recording_path, leg.parent_uuid, started_at=leg.answered_at or engine.clock.now(),
                           direction=customer.direction if customer else "", agent_id=leg.agent_id,
                           queue_id=customer.queue_id if customer else None,
                           campaign_id=customer.campaign_id if customer else None,
                           phone=customer.caller_number if customer else "")
        if customer is not None and not customer.gone:
            customer.leg_summaries[leg.uuid] = leg.summary()
        else:
            from engine.cdr import update_leg

            if customer is not None:
                customer.leg_summaries[leg.uuid] = leg.summary()
            update_leg(leg.parent_uuid, leg)

    # ----- after the agent --------------------------------------------------------------
    def rate(self, customer: Call) -> None:
        """Ask for a 1-5 rating; store it on the call; a low score opens a team callback."""
        engine = self.engine
        arg = f"1 1 2 5000 # {engine.sound('rating.wav')} {engine.sound('invalid.wav')} fscc_rating [1-5]"
        score = None
        try:
            result = engine.switch.execute(customer, "play_and_get_digits", arg)
            event = result.get(timeout=60) if result is not None else None
            digits = (event.get("variable_fscc_rating") if event is not None else None) or ""
            score = int(digits) if digits.isdigit() and 1 <= int(digits) <= 5 else None
        except (ESLError, TimeoutError, gevent.Timeout) as exc:
            log.info("rating not collected call_uuid=%s: %s", customer.uuid, exc)
        if score is not None:
            self.record_rating(customer, score)
        if not customer.gone:
            try:
                engine.switch.execute(customer, "playback", engine.sound("thanks.wav"))
                engine.switch.execute(customer, "hangup", "NORMAL_CLEARING")
            except (ESLError, TimeoutError) as exc:
                log.info("goodbye not played call_uuid=%s: %s", customer.uuid, exc)

    def record_rating(self, customer: Call, score: int) -> None:
        from engine.cdr import set_satisfaction
        from engine.store import Callback, Queue, utcnow

        engine = self.engine
        customer.satisfaction = score
        set_satisfaction(customer.uuid, score)
        engine.bus.publish("call.rated", call_uuid=customer.uuid, score=score, agent_id=customer.agent_id)
        if score <= LOW_SATISFACTION:
            row = Queue.get_or_none(Queue.id == customer.queue_id) if customer.queue_id else None
            Callback.create(team=getattr(row, "team_id", None), phone=customer.caller_number or "unknown",
                            due_at=utcnow(), reason=f"low satisfaction score {score} on call {customer.uuid}")

    def sound(self, name: str) -> str:
        return str(pathlib.Path(self.engine.settings.sounds_dir, name).resolve())
