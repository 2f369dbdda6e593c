"""The live Engine behind the dialer's ports (Originator + AgentPool), and its event feed.

``engine.dialing.CampaignDialing`` does this in the Engine (with the agentless group); by hand::

    port = EnginePort(engine)
    group = DialerGroup(port, port, owner="engine-1", dial_string=engine.external_dial_string)
    port.feed(group)                       # channel events -> group.on_event
    group.add(campaign)                    # each running campaign
    group.start(port.now)                  # the pacing loop (gevent)
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import gevent
import gevent.queue

from engine.acd.switchops import job_failure_cause
from engine.api import EngineError
from engine.calls import Call
from engine.campaigns.amd import AMD_APPLICATION, AVMD_APPLICATION, BEEP_SUBCLASS
from engine.campaigns.group import DialerGroup
from engine.campaigns.ports import AgentCounts
from engine.capabilities import SwitchCapabilities
from engine.clock import utc_datetime
from engine.esl.errors import ESLDisconnected, ESLError, ESLNotSent
from engine.unconfirmed import LOST_CAUSE

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger(__name__)

WANTED = frozenset({"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_BRIDGE",
                    "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", BEEP_SUBCLASS})
AMD_VERDICTS = frozenset({"MACHINE", "HUMAN", "NOTSURE"})  # mod_amd's amd_result values
RESERVE_SECONDS = 90.0  # covers the customer's ring time in simultaneous/preview orders


class EnginePort:
    """Adapts :class:`engine.core.Engine` to the dialer's Originator and AgentPool protocols."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._agent_first_legs: set[str] = set()
        # (call uuid, event name, time, hangup cause, amd_result) for the feed's worker
        self._events: gevent.queue.Queue[tuple[str, str, dt.datetime, str, str]] = gevent.queue.Queue()
        # an originate the switch never confirmed reaches the dialer as LOST, before its kill
        engine.switch.unconfirmed.lost_listeners.append(self._lost)

    def _lost(self, call_uuid: str) -> None:
        self._events.put((call_uuid, "LOST", self.now(), LOST_CAUSE, ""))

    def switch_up(self) -> bool:
        return self.engine.switch.up()

    def now(self) -> dt.datetime:
        """The engine clock as the naive-UTC datetime the dialer uses."""
        return utc_datetime(self.engine.clock.now())

    # ----- Originator -------------------------------------------------------------------
    def originate(self, dial_string: str, *, origination_uuid: str, variables: Mapping[str, object], app: str) -> Any:
        if variables.get("fscc_role") == "agent":
            return self._originate_agent_first(dial_string, origination_uuid, variables, app)
        campaign_id = variables.get("fscc_campaign_id")
        attempt_id = variables.get("fscc_attempt_id")
        try:
            job = self.engine.originate(dial_string, origination_uuid=origination_uuid, variables=dict(variables),
                                        app=app, campaign_id=int(str(campaign_id)) if campaign_id is not None else None,
                                        attempt_id=int(str(attempt_id)) if attempt_id is not None else None)
        except ESLNotSent:
            raise  # nothing was placed: the dialer hands the contact back
        except (ESLDisconnected, TimeoutError) as exc:  # sent, fate unknown: LOST once the node is back
            log.warning("originate not confirmed call_uuid=%s: %s", origination_uuid, exc)
            return None
        gevent.spawn(self._originate_result, job, origination_uuid, float(str(variables.get("originate_timeout", 60))))
        return job

    def _originate_result(self, job: Any, call_uuid: str, ring_timeout: float) -> None:
        """``-ERR <CAUSE>`` from originate with no channel (an unknown or down gateway makes no
        CHANNEL_HANGUP): the dialer hears it as that call's hangup, like any other."""
        try:
            body = str(job.get(timeout=ring_timeout + 30))
        except TimeoutError:  # the switch never reported the job: kill the call, the dialer hears LOST
            self.engine.switch.not_confirmed(self._call(call_uuid).node, call_uuid)
            return
        except (EngineError, ESLError) as exc:  # the node dropped: settled when it is back
            log.debug("originate result not known call_uuid=%s: %s", call_uuid, exc)
            return
        cause = job_failure_cause(body)
        if cause is not None:
            self._events.put((call_uuid, "CHANNEL_HANGUP", self.now(), cause, ""))

    def _originate_agent_first(self, dial_string: str, leg_uuid: str, variables: Mapping[str, object],
                               app: str) -> Any:
        """Agent first: the agent's leg (already reserved) dials the customer with ``bridge``.

        Both calls are registered the way the desk's manual dial does, so the call flow
        ends the agent's call (wrap-up) when either side hangs up.
        """
        engine = self.engine
        agent_id, customer_uuid = int(str(variables["fscc_agent_id"])), str(variables["fscc_parent"])
        node = next(iter(engine.nodes), "")
        engine.calls.add(Call(uuid=customer_uuid, node=node, role="customer", direction="outbound",
                              agent_id=agent_id, legs=[leg_uuid]))
        engine.calls.add(Call(uuid=leg_uuid, node=node, role="agent", parent_uuid=customer_uuid, agent_id=agent_id,
                              outcome="connected"))
        reservation = engine.agents.get(agent_id).reservation
        if reservation is not None:
            reservation.leg_uuid = leg_uuid
        self._agent_first_legs.add(leg_uuid)
        try:
            return engine.switch.originate(node, dial_string, app, origination_uuid=leg_uuid, variables=dict(variables))
        except ESLNotSent:
            raise
        except (ESLDisconnected, TimeoutError) as exc:  # sent, fate unknown: LOST once the node is back
            log.warning("originate not confirmed call_uuid=%s: %s", leg_uuid, exc)
            return None

    def _agent_answered(self, leg_uuid: str) -> None:
        call = self.engine.calls.get(leg_uuid)
        if call is not None and call.agent_id is not None and \
                self.engine.agents.get(call.agent_id).state in ("reserved", "ringing"):
            self.engine.agents.answered(call.agent_id)

    def connect(self, call_uuid: str, agent_id: int) -> None:
        gevent.spawn(self._connect, call_uuid, agent_id)

    def _connect(self, call_uuid: str, agent_id: int) -> None:
        try:
            self.engine.connect_to_agent(call_uuid, agent_id)
        except (EngineError, ESLError, TimeoutError) as exc:  # the dialer gives the agent back later
            log.warning("connecting agent failed call_uuid=%s agent_id=%s: %s", call_uuid, agent_id, exc)

    def _call(self, call_uuid: str) -> Call:
        return self.engine.calls.get(call_uuid) or Call(uuid=call_uuid, node=next(iter(self.engine.nodes), ""))

    def play_and_hangup(self, call_uuid: str, sound: str) -> None:
        call = self._call(call_uuid)
        self.engine.switch.broadcast(call, f"playback::{self.engine.sound(sound)}")
        self.engine.switch.broadcast(call, "hangup::NORMAL_CLEARING")

    def hangup(self, call_uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        self.engine.switch.kill(self._call(call_uuid), cause)

    def send_to(self, call_uuid: str, kind: str, target: str) -> None:
        call = self._call(call_uuid)
        call.role = "customer"  # from here the call flow owns it like an inbound caller
        gevent.spawn(self.engine.flow.send_to, call, kind, target, "campaign")

    def start_amd(self, call_uuid: str) -> None:
        self.engine.switch.execute(self._call(call_uuid), AMD_APPLICATION)

    def start_avmd(self, call_uuid: str) -> None:
        self.engine.switch.execute(self._call(call_uuid), AVMD_APPLICATION)

    def switch_capabilities(self) -> list[SwitchCapabilities] | None:
        return list(self.engine.capabilities.values())

    # ----- AgentPool --------------------------------------------------------------------
    def ready(self, agent_ids: Collection[int] | None) -> list[int]:
        agents = self.engine.agents.offerable(agent_ids)
        return [a.agent_id for a in sorted(agents, key=lambda a: a.idle_since)]

    def counts(self, agent_ids: Collection[int] | None, now: float) -> AgentCounts:
        pool = [a for a in self.engine.agents if agent_ids is None or a.agent_id in agent_ids]
        logged_in = [a for a in pool if a.state != "logged_out"]
        return AgentCounts(len(logged_in), [max(0.0, now - a.since) for a in logged_in if a.state == "in_call"],
                           [max(0.0, now - a.since) for a in logged_in if a.state == "wrap_up"])

    def reserve(self, agent_id: int, call_uuid: str, campaign_id: int, wrap_up_seconds: int | None = None) -> bool:
        return self.engine.agents.reserve(agent_id, call_uuid, timeout=RESERVE_SECONDS, campaign_id=campaign_id,
                                          wrap_up_seconds=wrap_up_seconds) is not None

    def release(self, agent_id: int) -> None:
        agent = self.engine.agents.get(agent_id)
        if agent.state in ("reserved", "ringing"):
            self.engine.agents.release(agent_id, "cancelled")

    def dial_string(self, agent_id: int) -> str:
        return str(self.engine.agents.get(agent_id).profile.dial_string)

    # ----- events -----------------------------------------------------------------------
    def feed(self, group: DialerGroup) -> gevent.Greenlet:
        """Forward the engine's channel events to ``group``; an application completing
        with mod_amd's ``amd_result`` channel variable set (``Call.variables``, from the
        event's ``variable_amd_result``) is the AMD verdict of a call awaiting one.

        The ESL reader only enqueues; one worker greenlet applies events in arrival order,
        so the store writes of a hangup never stall the reader.
        """
        events = self._events

        def listener(call: Call, name: str) -> None:
            if call.uuid in self._agent_first_legs:
                if name == "CHANNEL_ANSWER":  # the agent picked up: their call starts now
                    self._agent_answered(call.uuid)
                elif name == "CHANNEL_HANGUP_COMPLETE":
                    self._agent_first_legs.discard(call.uuid)
            if name in WANTED:
                events.put((call.uuid, name, self.now(), call.hangup_cause, call.variables.get("amd_result", "")))
            if name == "CHANNEL_BRIDGE" and call.bridged_to:  # the event names one leg; the dialer owns either
                events.put((call.bridged_to, name, self.now(), "", ""))

        def worker() -> None:
            for call_uuid, name, now, cause, amd_result in events:
                try:
                    if name == "CHANNEL_EXECUTE_COMPLETE":
                        if amd_result not in AMD_VERDICTS or not group.awaiting_amd(call_uuid):
                            continue
                        name = "AMD"
                    group.on_event(call_uuid, name, now, cause=cause, amd_result=amd_result)
                except (ESLError, TimeoutError) as exc:  # the switch dropped: recovery settles the call
                    log.warning("campaign event not acted on call_uuid=%s event=%s: %s", call_uuid, name, exc)
                except Exception:  # one bad event must not stop the feed; logged with the call
                    log.exception("campaign event failed call_uuid=%s event=%s", call_uuid, name)

        self.engine.call_listeners.append(listener)
        return gevent.spawn(worker)
