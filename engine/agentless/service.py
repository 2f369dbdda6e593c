"""Agentless campaigns in one engine process: the dialer group, the outbound server the
answered calls connect to, and the pacing loop.

Wiring (the process that runs campaigns; this replaces a plain DialerGroup there)::

    port = EnginePort(engine)
    service = AgentlessService(port, port, flows=FlowRegistry(settings.dialplans_dir),
                               host="127.0.0.1", socket_port=8085, handoff=EngineQueueHandoff(engine),
                               owner="engine-1", dial_string=engine.external_dial_string)
    service.start(port.now)       # listen, feed engine events, pace (and sync campaigns every 30 s)
    service.add(campaign)         # start one now (AgentlessConfigError names a bad field)
    service.remove(campaign.id)   # stop launching; live calls finish
    service.stop()

Answered legs are originated to ``&socket(host:socket_port async full)`` (see
:func:`engine.agentless.dialer.socket_app`); ``answer_app`` overrides it, e.g. with a
dialplan extension that runs ``socket`` when the switch cannot take the inline form.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import gevent

from engine.agentless.call import AgentlessCall, CallServices, QueueHandoff
from engine.agentless.dialer import AgentlessDialer, socket_app
from engine.agentless.group import AgentlessDialerGroup
from engine.agentless.modes import AgentlessConfigError, is_agentless, plan_for
from engine.campaigns.dialer import CampaignDialer
from engine.campaigns.ports import AgentPool, Originator
from engine.clock import Clock
from engine.esl.outbound import OutboundCall, OutboundServer
from engine.ivr.interpreter import RunResult
from engine.ivr.registry import FlowRegistry
from engine.ivr.tts import TtsCache
from engine.store import Campaign

log = logging.getLogger(__name__)


class AgentlessService:
    """See the module docstring."""

    def __init__(self, originator: Originator, agents: AgentPool, *, flows: FlowRegistry, host: str = "127.0.0.1",
                 socket_port: int = 0, answer_app: str = "", handoff: QueueHandoff | None = None,
                 tts: TtsCache | None = None, owner: str = "engine", dial_string: Callable[[str], str] | None = None,
                 recordings_dir: str | Path = "recordings", time_scale: float = 1.0,
                 on_result: Callable[[str, RunResult], None] | None = None, clock: Clock | None = None) -> None:
        self.flows = flows
        self.host = host
        self.server = OutboundServer(host, socket_port, self._handler)
        self._answer_app = answer_app
        self.group = AgentlessDialerGroup(originator, agents, answer_app=answer_app or "&park()", owner=owner,
                                          dial_string=dial_string,
                                          agent_lookup=handoff.agent_for if handoff is not None else None,
                                          clock=clock)
        self.services = CallServices(find=self.group.agentless_call, flow=flows.get, tts=tts or TtsCache(),
                                     handoff=handoff, recordings_dir=recordings_dir, time_scale=time_scale,
                                     on_result=on_result)
        self._feed: gevent.Greenlet | None = None

    @property
    def socket_port(self) -> int:
        """The port answered calls connect to (bound once started)."""
        return self.server.port

    def _handler(self, socket: OutboundCall) -> AgentlessCall:
        return AgentlessCall(self.services, socket)

    def listen(self) -> None:
        """Start the outbound server; the answer target then names its bound port."""
        self.server.start()
        if not self._answer_app:
            self.group.answer_app = socket_app(self.host, self.server.port)
            for dialer in self.group.dialers.values():
                if isinstance(dialer, AgentlessDialer):
                    dialer.answer_app = self.group.answer_app
        log.info("agentless outbound socket listening host=%s port=%s", self.host, self.server.port)

    def start(self, now: Callable[[], dt.datetime], *, feed: Callable[[AgentlessDialerGroup], gevent.Greenlet]
              | None = None, interval: float = 1.0, sync_every: float = 30.0) -> None:
        """Listen, subscribe the group to call events (``feed``, e.g. ``EnginePort.feed``)
        and run the pacing loop."""
        self.listen()
        if feed is not None:
            self._feed = feed(self.group)
        self.group.start(now, interval=interval, sync_every=sync_every)

    def add(self, campaign: Campaign) -> CampaignDialer:
        """Start dialing ``campaign`` now (it must be ``running`` to launch calls).

        Raises :class:`engine.agentless.modes.AgentlessConfigError` naming the field when
        an agentless campaign cannot run (unknown mode, no flow, press-1 without a queue).
        """
        if is_agentless(campaign):
            plan = plan_for(campaign)
            if plan.flow and self.flows.get(plan.flow) is None:
                raise AgentlessConfigError("ivr_flow", f"no loaded flow named {plan.flow!r} in {self.flows.directory}")
        return self.group.resume_campaign(campaign)

    def remove(self, campaign_id: int) -> None:
        """Stop launching calls for a campaign; its live calls still finish and are recorded."""
        self.group.stop_campaign(campaign_id)

    def stop(self) -> None:
        """Stop pacing, the event feed and the outbound server (live sockets are closed)."""
        self.group.stop()
        if self._feed is not None:
            self._feed.kill(block=False)
            self._feed = None
        self.server.stop(timeout=2)
