"""The ``Engine``: ESL nodes, the outbound socket, agents, ACD queues and routes, wired.

``control/cli.py`` calls ``Engine(settings)``, ``start()``, ``wait()`` and ``stop()``; the
control plane uses it through ``engine.api.EngineAPI`` (desk and supervisor commands live
in ``engine.agents.desk``, preview and campaign click-to-dial in ``engine.dialing``). With
``settings.dialer_enabled`` the Engine runs every campaign (``engine.dialing.CampaignDialing``),
which uses ``originate``, ``agents``, ``connect_to_agent`` and ``adopt_socket``.
"""
from __future__ import annotations

import functools
import json
import logging
import pathlib
import uuid as uuid_module
from collections.abc import Callable, Iterator
from typing import Any

import gevent
import gevent.event

from engine.acd import AcdDispatcher
from engine.acd.callflow import CallFlow
from engine.acd.loader import load_agents, load_queues
from engine.acd.port import EslOfferPort
from engine.acd.switchops import SwitchOps, job_failure_cause, offer_outcome
from engine.agents import AgentRegistry, StoreSink
from engine.agents.desk import DeskCommands
from engine.agents.features import feature_codes
from engine.agents.threeway import ThreeWayRooms
from engine.api import DomainEvent, EngineError
from engine.bus import EventBus
from engine.calls import CHANNEL_EVENTS, Call, CallTable
from engine.capabilities import SwitchTable
from engine.cdr import write_cdr
from engine.clock import Clock, RealClock, sleep_on
from engine.dialing import CampaignDialing, DialingCommands
from engine.esl.connection import InboundConnection
from engine.esl.errors import ESLError
from engine.esl.event import Event
from engine.esl.outbound import OutboundCall, OutboundServer
from engine.logs import log_context
from engine.routing import Router
from engine.settings import Settings

log = logging.getLogger(__name__)

REGISTRATION_EVENTS = ("CUSTOM sofia::register", "CUSTOM sofia::unregister", "CUSTOM sofia::expire")
MEDIA_EVENTS = ("CUSTOM avmd::beep",)  # mod_avmd's beep: the AMD fallback (engine.campaigns.amd)
RELOAD_SECONDS = 5.0
CAPABILITY_SECONDS = 60.0  # a module loaded or unloaded on a running switch is seen within this
STATS_SECONDS = 2.0
RECONNECT_BACKOFF = (0.1, 1.0)  # first and longest wait between reconnect tries, seconds
HEARTBEAT_TIMEOUT = 10.0  # a node silent this long (a probe goes out at half) is down


class _InboundCall:
    """Outbound-socket handler: one per customer call; lives as long as the channel."""

    def __init__(self, engine: Engine, socket: OutboundCall) -> None:
        self.engine, self.socket = engine, socket

    def run(self) -> None:
        self.engine.accept(self.socket)


class Engine(DeskCommands, DialingCommands):
    """The call core of one engine process (implements ``engine.api.EngineAPI``)."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, store: bool = True) -> None:
        self.settings = settings
        self.clock: Clock = clock or RealClock()
        self.bus = EventBus(self.clock)
        self.agents = AgentRegistry(self.clock, StoreSink() if store else None, self.bus)
        self.calls = CallTable()
        self.nodes: dict[str, InboundConnection] = {}
        self.capabilities = SwitchTable()  # per node: modules and applications, asked, never assumed
        self.sockets: dict[str, OutboundCall] = {}
        self.switch = SwitchOps(self.nodes, self.sockets)
        self.acd = AcdDispatcher(self.clock, self.agents, EslOfferPort(self))
        self.flow = CallFlow(self)
        self.router = Router(pathlib.Path(settings.dialplans_dir) / "routes.yaml")
        self.outbound: OutboundServer | None = None
        self.ivr_runner: Callable[[Engine, Call, str], None] | None = None
        self.feature_codes = feature_codes(settings.extra.get("feature_codes"))
        self.three_ways = ThreeWayRooms(lambda uuid: gevent.spawn(self.switch.kill, self._any_call(uuid)))
        self.call_listeners: list[Callable[[Call, str], None]] = [  # + the dialer
            self.three_ways.on_call_event, self.switch.unconfirmed.on_call_event]
        self.heartbeat_timeout = HEARTBEAT_TIMEOUT
        self.dialing: CampaignDialing | None = None
        self._store = store
        self._greenlets: list[gevent.Greenlet] = []
        self._stopped = gevent.event.Event()

    # ----- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        """Load agents/queues/routes, connect every node, listen for calls, recover."""
        if self._store:
            self.reload_config()
        self.router.reload()
        if self.ivr_runner is None:
            from engine.acd.ivr_link import IvrLink

            self.ivr_runner = IvrLink(self)
        for node in self.settings.esl_nodes:
            connection = InboundConnection(node.host, node.port, node.password, name=node.name,
                                           backoff=RECONNECT_BACKOFF, heartbeat_timeout=self.heartbeat_timeout,
                                           sleep=functools.partial(sleep_on, self.clock))
            connection.up_listeners.append(functools.partial(self.switch.unconfirmed.node_up, node.name))
            connection.up_listeners.append(functools.partial(self._node_up, node.name))  # after: lost first
            for name in (*CHANNEL_EVENTS, *REGISTRATION_EVENTS, *MEDIA_EVENTS):
                connection.on(name, self._handler(node.name))
            try:
                connection.connect()
            except ESLError as exc:
                raise EngineError(f"cannot connect to FreeSWITCH node {node.name} at {node.host}:{node.port}: {exc}",
                                  field="esl_nodes", status=503) from exc
            connection.subscribe([*CHANNEL_EVENTS, *REGISTRATION_EVENTS, *MEDIA_EVENTS])
            self.nodes[node.name] = connection
            log.info("esl node connected node=%s host=%s port=%s", node.name, node.host, node.port)
            self.capabilities.ask(node.name, connection)
        self.outbound = OutboundServer(self.settings.outbound_host, self.settings.outbound_port, lambda s: _InboundCall(self, s))
        self.outbound.start()
        log.info("outbound socket listening host=%s port=%s", self.settings.outbound_host, self.outbound.port)
        self.recover()
        if self._store and self.settings.dialer_enabled:
            dialing = CampaignDialing(self)
            dialing.start()  # EngineError naming campaign_socket_port when it cannot listen
            self.dialing = dialing
        self._greenlets.append(gevent.spawn(self._reload_loop))
        self._greenlets.append(gevent.spawn(self._stats_loop))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ``stop()``."""
        return self._stopped.wait(timeout)

    def drain(self, seconds: float) -> int:
        """Graceful stop, first half: claim and accept nothing new, let live calls end for up
        to ``seconds`` on the engine clock; returns the calls still live (``stop()`` follows)."""
        if self.dialing is not None:
            self.dialing.drain()
        if self.outbound is not None:
            self.outbound.stop_accepting()
        deadline = self.clock.now() + seconds
        while (live := self.live_calls()) and self.clock.now() < deadline:
            gevent.sleep(0.05)
        log.info("drained live_calls=%d", live)
        return live

    def live_calls(self) -> int:
        """Channels the switch reported and not hung up, or campaign calls still in flight."""
        placing = self.dialing.live_calls() if self.dialing is not None else 0
        return max(placing, sum(1 for call in self.calls if call.state in ("ringing", "answered")))

    def stop(self) -> None:
        for greenlet in self._greenlets:
            greenlet.kill(block=False)
        if self.dialing is not None:
            self.dialing.stop()
            self.dialing = None
        if self.outbound is not None:
            self.outbound.stop(timeout=2)
        for connection in self.nodes.values():
            connection.stop()
        self.bus.close()
        self._stopped.set()

    def reload_config(self) -> None:
        """Re-read agents and queues from the store (live state is kept)."""
        load_agents(self.agents)
        load_queues(self.acd, self.settings.default_region)

    def _reload_loop(self) -> None:
        last_probe = self.clock.now()
        while True:
            gevent.sleep(RELOAD_SECONDS)
            every = self.clock.now() - last_probe >= CAPABILITY_SECONDS
            self.capabilities.refresh(self.nodes, changed_only=not every)  # reconnected nodes at once
            if every:
                last_probe = self.clock.now()
            self.router.reload_if_changed()
            if self.dialing is not None:
                self.dialing.reload_flows()
            if self._store:
                try:
                    self.reload_config()
                except Exception:  # a store hiccup must not end the loop; it is logged
                    log.exception("reloading agents and queues failed")

    def _stats_loop(self) -> None:
        while True:
            gevent.sleep(STATS_SECONDS)
            self.publish_queue_stats()

    def publish_queue_stats(self) -> None:
        """One ``queue.stats`` event per queue (wallboard, metrics)."""
        now = self.clock.now()
        for queue in self.acd.queues.values():
            waits = [call.waited(now) for call in queue.waiting.values()]
            self.bus.publish("queue.stats", queue=queue.name, waiting=len(waits),
                             longest_wait=round(max(waits, default=0.0), 1),
                             agents_free=len(self.agents.offerable(queue.members)),
                             agents_logged_in=self.agents.logged_in(queue.members), entered=queue.stats.entered,
                             answered=queue.stats.answered, abandoned=queue.stats.abandoned,
                             overflowed=queue.stats.overflowed, service_level=round(queue.stats.service_level, 3))

    def recover(self) -> int:
        """Recovery at start: :meth:`reconcile` every node."""
        return self.reconcile()

    def reconcile(self, node: str | None = None) -> int:
        """The one recovery path, at start and after every reconnect: read ``show channels``
        of the node (every node by default). Calls the engine tracks that the switch no longer
        has ended while it could not see them (:meth:`_vanished`); channels it does not track
        are taken back (their role, agent and attempt from their variables and the store),
        and campaign calls among them return to their campaign's dialer. Returns how many
        channels were taken back."""
        rebuilt: list[Call] = []
        for name in [node] if node else list(self.nodes):
            connection = self.nodes.get(name)
            if connection is None:
                continue
            try:
                text = connection.api("show channels as json")
                rows = json.loads(text).get("rows") or []
            except (ESLError, TimeoutError, ValueError) as exc:
                log.error("recovery: show channels failed node=%s: %s", name, exc)
                continue
            live = {str(row.get("uuid") or "") for row in rows}
            for call in [c for c in self.calls if c.node == name and not c.gone and c.uuid not in live]:
                self._vanished(call, name)
            rebuilt.extend(self.calls.from_show_channels(rows, name))
        for call in rebuilt:
            self._recover_call(call)
        if rebuilt:
            log.info("recovered %d live channels", len(rebuilt))
        if self.dialing is not None:
            self.dialing.adopt_recovered()
        return len(rebuilt)

    def _node_up(self, node: str) -> None:
        """After a reconnect (the first connect is recovered by :meth:`start`)."""
        connection = self.nodes.get(node)
        if connection is not None and connection.connects > 1:
            self.reconcile(node)

    def _vanished(self, call: Call, node: str) -> None:
        """A call the switch lost while the engine could not see it (the switch restarted):
        its owner hears it as lost when it never reached the callee (no attempt burnt), then
        it ends like any hang-up (CDR, agent freed, attempt settled), cause CRASH."""
        log.warning("call gone from the switch while it was unreachable call_uuid=%s node=%s role=%s",
                    call.uuid, node, call.role)
        if call.answered_at is None:
            for listener in self.switch.unconfirmed.lost_listeners:
                listener(call.uuid)
        stamp = str(int(self.clock.now() * 1_000_000))
        for name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
            self.on_event(Event({"Event-Name": name, "Unique-ID": call.uuid, "Hangup-Cause": "CRASH",
                                 "variable_hangup_cause": "CRASH", "Event-Date-Timestamp": stamp}), node)

    def _recover_call(self, call: Call) -> None:
        variables = {}
        for name in ("fscc_role", "fscc_agent_id", "fscc_parent", "fscc_queue"):
            value = self.switch.api(call, f"uuid_getvar {call.uuid} {name}").strip()
            if value and value != "_undef_" and not value.startswith("-ERR"):
                variables[name] = value
        call.variables.update(variables)
        if self._store:
            from engine.store import Attempt

            attempt = Attempt.get_or_none(Attempt.origination_uuid == call.uuid)
            if attempt is not None:
                call.role, call.attempt_id, call.campaign_id = "outbound", attempt.id, getattr(attempt, "campaign_id", None)
        if variables.get("fscc_role") == "agent" and variables.get("fscc_agent_id", "").isdigit():
            call.role, call.agent_id = "agent", int(variables["fscc_agent_id"])
            call.parent_uuid, call.queue = variables.get("fscc_parent", ""), variables.get("fscc_queue", "")
            parent = self.calls.get(call.parent_uuid)
            if parent is not None:
                parent.legs.append(call.uuid)
                parent.agent_id, parent.queue = call.agent_id, call.queue
            if call.answered and call.agent_id in {a.agent_id for a in self.agents}:
                call.outcome = "connected"
                self.agents.login(call.agent_id)
                if self.agents.get(call.agent_id).state == "available":
                    self.agents.start_call(call.agent_id, call.parent_uuid or call.uuid)

    # ----- events -----------------------------------------------------------------------
    def _handler(self, node: str) -> Callable[[Event], None]:
        def handle(event: Event) -> None:
            try:
                self.on_event(event, node)
            except Exception:  # one bad event must not stop the node's dispatcher
                log.exception("event handler failed event=%s uuid=%s", event.name, event.uuid)
        return handle

    def on_event(self, event: Any, node: str = "") -> None:
        """Apply one ESL event to the call table and react."""
        if event.name == "CUSTOM":
            if (event.get("Event-Subclass") or "") in ("avmd::beep",):
                self._media_event(event)
            else:
                self._registration(event)
            return
        call = self.calls.apply(event, node)
        if call is None:
            return
        name = event.name or ""
        with log_context(call_uuid=call.uuid, campaign_id=call.campaign_id):
            if call.role == "agent":
                self.flow.agent_leg_event(call, name)
            elif call.role == "consult":
                self._consult_event(call, name)
            elif call.role in ("customer", "outbound"):
                self._customer_event(call, name, event)
            for listener in self.call_listeners:
                listener(call, name)

    def _media_event(self, event: Any) -> None:
        """A CUSTOM event about one channel (mod_avmd's beep) goes to the call listeners
        under its subclass name."""
        call = self.calls.get(event.uuid or "")
        if call is None:
            return
        subclass = event.get("Event-Subclass") or ""
        call.variables["avmd_detect"] = "TRUE"
        with log_context(call_uuid=call.uuid, campaign_id=call.campaign_id):
            for listener in self.call_listeners:
                listener(call, subclass)

    def _registration(self, event: Any) -> None:
        subclass = event.get("Event-Subclass") or ""
        extension = event.get("from-user") or event.get("username") or ""
        if extension and subclass.startswith("sofia::"):
            self.agents.set_registered(extension, subclass == "sofia::register")

    def _customer_event(self, call: Call, name: str, event: Any) -> None:
        if name == "CHANNEL_HANGUP":
            if self.acd.waiting_call(call.uuid) is not None and self.acd.caller_left(call.uuid) is not None:
                call.abandoned, call.left_queue_at = True, self.clock.now()
                self.bus.publish("call.abandoned", call_uuid=call.uuid, queue=call.queue, waited=round(call.queue_wait, 1))
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self._end_orphan_agent_legs(call)
            # Channels the engine handled (queued, routed, dialed, connected) get a CDR.
            if self._store and (call.queue or call.uuid in self.sockets or call.legs or call.role == "outbound"):
                write_cdr(call, self.calls)
            self.bus.publish("call.ended", call_uuid=call.uuid, cause=call.hangup_cause, billsec=call.billsec)
        elif name == "DTMF" and (event.get("DTMF-Digit") or "") == "*":
            queue = self.acd.queue_of(call.uuid)
            if queue is not None and queue.config.callback_offer:
                self.acd.request_callback(call.uuid)
                self.bus.publish("call.callback_requested", call_uuid=call.uuid, queue=queue.name)
                gevent.spawn(self.flow.send_to, call, "hangup", "NORMAL_CLEARING", "callback_requested")

    def _end_orphan_agent_legs(self, customer: Call) -> None:
        """The customer is gone: an agent leg still up and bridged to nobody else is hung up.
        FreeSWITCH ends the other side of a uuid_bridge itself only when that side is the
        bridge's originatee; an agent leg left as the originator (seen after an engine restart
        on a real switch) would keep the agent's phone in a silent call. 3-way rooms and
        transfers decide for themselves."""
        if customer.transferring or self.three_ways.holds(customer.uuid):
            return
        for leg_uuid in customer.legs:
            leg = self.calls.get(leg_uuid)
            if leg is not None and leg.role == "agent" and not leg.gone and leg.bridged_to in ("", customer.uuid):
                log.info("agent leg left alone by the customer's hang-up call_uuid=%s leg=%s", customer.uuid, leg.uuid)
                gevent.spawn(self.switch.kill, leg)

    def _consult_event(self, call: Call, name: str) -> None:
        if name == "CHANNEL_ANSWER":
            gevent.spawn(self.consult_answered, call)
        elif name == "CHANNEL_HANGUP" and call.agent_id is not None:
            if call.answered:
                self.agents.call_ended(call.agent_id)
            else:
                self.agents.release(call.agent_id, "no_answer", call.parent_uuid)

    # ----- inbound calls over the outbound socket ---------------------------------------
    def accept(self, socket: OutboundCall) -> None:
        """A customer call arrived on the outbound socket: route it and hold the socket."""
        call = self.adopt_socket(socket)
        try:
            with log_context(call_uuid=call.uuid):
                log.info("inbound call caller=%s did=%s", call.caller_number, call.destination_number)
                self.flow.route(call)
                socket.gone.wait()
        finally:
            self.release_socket(call.uuid)

    def adopt_socket(self, socket: OutboundCall) -> Call:
        """Drive this channel through its outbound socket from now on (an inbound call, or an
        answered agentless call handed to a queue); returns its Call, facts from the socket's
        channel data applied. The owner calls :meth:`release_socket` when the call ends."""
        uuid = socket.uuid or ""
        call = self.calls.get(uuid) or self.calls.add(Call(uuid=uuid, node=next(iter(self.nodes), "")))
        if socket.channel_data is not None:
            call.apply(socket.channel_data)
        self.sockets[uuid] = socket
        return call

    def release_socket(self, uuid: str) -> None:
        """Forget a channel's outbound socket (commands then go over the inbound connection)."""
        self.sockets.pop(uuid, None)

    # ----- for the campaign dialer ------------------------------------------------------
    def originate(self, dial_string: str, *, origination_uuid: str, variables: dict[str, object] | None = None,
                  app: str = "&park()", node: str = "", campaign_id: int | None = None,
                  attempt_id: int | None = None) -> Any:
        """Place a call (the Attempt row must already exist); returns the bgapi JobFuture."""
        self.calls.add(Call(uuid=origination_uuid, node=node or next(iter(self.nodes), ""), role="outbound",
                            direction="outbound", campaign_id=campaign_id, attempt_id=attempt_id))
        return self.switch.originate(node, dial_string, app, origination_uuid=origination_uuid,
                                     variables=dict(variables or {}))

    def connect_to_agent(self, call_uuid: str, agent_id: int, *, timeout: float = 20.0) -> str:
        """Ring an agent (already reserved, or available) and bridge them to ``call_uuid``."""
        call = self.calls.get(call_uuid)
        if call is None:
            raise EngineError(f"unknown call {call_uuid}", field="call_uuid", status=404)
        agent = self.agents.get(agent_id)
        if agent.reservation is None and self.agents.reserve(agent_id, call_uuid, timeout=timeout) is None:
            raise EngineError(f"agent {agent_id} is not available", field="agent_id")
        return self.ring_agent(call, agent_id, timeout)

    def ring_agent(self, call: Call, agent_id: int, timeout: float) -> str:
        leg = self.calls.add(Call(uuid=str(uuid_module.uuid4()), node=call.node, role="agent",
                                  parent_uuid=call.uuid, agent_id=agent_id, queue=call.queue))
        call.legs.append(leg.uuid)
        self.flow.direct_legs.add(leg.uuid)
        reservation = self.agents.get(agent_id).reservation
        if reservation is not None:
            reservation.leg_uuid = leg.uuid
        variables = {"fscc_role": "agent", "fscc_parent": call.uuid, "fscc_agent_id": agent_id,
                     "hangup_after_bridge": True, "originate_timeout": max(1, int(timeout)),
                     "origination_caller_id_number": call.caller_number or call.destination_number or "unknown"}
        job = self.switch.originate(call.node, self.agents.get(agent_id).profile.dial_string, "&park()",
                                    origination_uuid=leg.uuid, variables=variables)
        gevent.spawn(self._direct_leg_result, leg, job, timeout)
        return leg.uuid

    def _direct_leg_result(self, leg: Call, job: Any, timeout: float) -> None:
        try:
            body = str(job.get(timeout=timeout + 30))
        except TimeoutError:  # the switch never reported the job: kill the leg, free the agent
            self.switch.not_confirmed(leg.node, leg.uuid)
            body = "-ERR NO_ANSWER"
        except ESLError:  # the node dropped (not the agent's phone): the leg is killed once it is back
            body = "-ERR ORIGINATOR_CANCEL"
        cause = job_failure_cause(body)
        if cause is not None and not leg.outcome and leg.agent_id is not None:
            leg.outcome = offer_outcome(cause)
            self.agents.release(leg.agent_id, leg.outcome)

    # ----- helpers ----------------------------------------------------------------------
    def external_dial_string(self, number: str) -> str:
        """How to reach a PSTN number: the ``external_dial`` setting with ``{number}`` (site gateway)."""
        return self.settings.external_dial.format(number=number)

    def should_record(self, call: Call, agent_id: int | None, queue_record: bool) -> bool:
        from engine.recordings import should_record

        agent_record = agent_id is not None and agent_id in set(self.settings.extra.get("record_agents", []) or [])
        campaign_record = False
        if call.campaign_id and self._store:
            from engine.store import Campaign

            row = Campaign.get_or_none(Campaign.id == call.campaign_id)
            campaign_record = bool(row and row.record)
        return should_record(queue_record, campaign_record, agent_record)

    def _any_call(self, uuid: str) -> Call:
        return self.calls.get(uuid) or Call(uuid=uuid, node=next(iter(self.nodes), ""))

    def sound(self, name: str) -> str:
        return self.flow.sound(name)

    # ----- live views -------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "agents": [agent.view(now) for agent in self.agents],
            "queues": [
                {"name": q.name, "waiting": len(q.waiting), "entered": q.stats.entered, "answered": q.stats.answered,
                 "abandoned": q.stats.abandoned, "overflowed": q.stats.overflowed,
                 "service_level": round(q.stats.service_level, 3)}
                for q in self.acd.queues.values()
            ],
            "calls": [call.summary() for call in self.calls],
            "nodes": {name: connection.alive for name, connection in self.nodes.items()},
            "switches": self.capabilities.view(),
        }

    def subscribe(self) -> Iterator[DomainEvent]:
        return iter(self.bus.subscribe())
