"""Campaign dialing inside the Engine: every running campaign (agent and agentless) through
one dialer group, the outbound socket answered agentless calls reach, and the agent desk's
preview and click-to-dial.

``Engine.start()`` builds a :class:`CampaignDialing` when ``settings.dialer_enabled`` (and the
engine has a store) and ``Engine.stop()`` stops it. It wires
:class:`engine.agentless.service.AgentlessService` (whose group is an
:class:`engine.agentless.group.AgentlessDialerGroup`: agentless modes through
``AgentlessDialer``, the others through the campaign package's ``CampaignDialer``) to the
Engine through :class:`engine.campaigns.engine_port.EnginePort`, with press-1 calls handed
to the Engine's ACD by :class:`engine.agentless.handoff.EngineQueueHandoff`.

:class:`DialingCommands` is mixed into the Engine: ``preview_next/preview_dial/preview_skip``
and ``campaign_dial`` (the desk's click-to-dial of a campaign contact) delegate to the
campaign's :class:`engine.campaigns.preview.PreviewDesk`; ``campaign_pacing`` reports a
campaign's pacing (last decision, pacer estimates, abandon rates).
"""
from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from engine.api import EngineError
from engine.clock import utc_datetime

if TYPE_CHECKING:
    from engine.agentless.group import AgentlessDialerGroup
    from engine.campaigns.engine_port import EnginePort
    from engine.campaigns.live import LiveCall
    from engine.campaigns.preview import PreviewDesk
    from engine.core import Engine
    from engine.ivr.registry import FlowRegistry

log = logging.getLogger(__name__)

DESK_MODES = ("preview", "manual")  # campaigns whose records agents see and dial themselves
NOT_RUNNING = "campaign dialing is not running in this engine (dialer_enabled is off or the engine has no store)"


def owner_name() -> str:
    """This process's name on claims and Attempt rows (``host-pid``, short enough for both)."""
    return f"{socket.gethostname()[:24]}-{os.getpid()}"


class CampaignDialing:
    """The Engine's campaign dialers; see the module docstring."""

    def __init__(self, engine: Engine) -> None:
        from engine.agentless.handoff import EngineQueueHandoff
        from engine.agentless.service import AgentlessService
        from engine.campaigns.engine_port import EnginePort
        from engine.ivr.registry import FlowRegistry
        from engine.ivr.tts import TtsCache

        settings = engine.settings
        self.engine = engine
        self.port: EnginePort = EnginePort(engine)
        self.flows: FlowRegistry = FlowRegistry(settings.dialplans_dir, sounds_dir=settings.sounds_dir)
        self.service = AgentlessService(
            self.port, self.port, flows=self.flows, host=settings.campaign_socket_host,
            socket_port=settings.campaign_socket_port, handoff=EngineQueueHandoff(engine),
            tts=TtsCache(settings.tts_cache_dir), owner=owner_name(), dial_string=engine.external_dial_string,
            recordings_dir=settings.recordings_dir, time_scale=float(getattr(engine.clock, "speed", 1.0)),
            clock=engine.clock)

    @property
    def group(self) -> AgentlessDialerGroup:
        return self.service.group

    def start(self) -> None:
        """Load the flows, listen for answered agentless calls, feed events, run the pacing loop
        (which picks up scheduled/running campaigns at once and every 30 s)."""
        self.flows.reload()  # errors are logged by the registry; good flows still load
        try:
            self.service.start(self.port.now, feed=self.port.feed)
        except OSError as exc:  # listening comes first: nothing else was started
            settings = self.engine.settings
            raise EngineError(f"cannot listen for answered campaign calls on {settings.campaign_socket_host}:"
                              f"{settings.campaign_socket_port}: {exc}", field="campaign_socket_port",
                              status=503) from exc
        log.info("campaign dialing started owner=%s socket=%s:%s", self.group.owner,
                 self.engine.settings.campaign_socket_host, self.service.socket_port)
        self.adopt_recovered()

    def adopt_recovered(self) -> int:
        """Calls the engine recovered from the switch (``Engine.recover``) that belong to a
        campaign attempt with no outcome yet go back to their campaign's dialer; returns how many.
        Runs on every reconcile, so calls a dialer already owns are skipped before any store
        read. Open attempts whose channel vanished while no engine ran are not closed by any step yet."""
        from engine.store import Attempt, Campaign

        adopted = 0
        now = self.port.now()
        for call in list(self.engine.calls):
            if call.attempt_id is None or call.gone:
                continue
            if any(dialer.owns(call.uuid) for dialer in self.group.dialers.values()):
                continue
            attempt = Attempt.get_or_none(Attempt.id == call.attempt_id)
            if attempt is None or attempt.outcome or attempt.__data__.get("campaign") is None:
                continue
            campaign = Campaign.get_or_none(Campaign.id == attempt.__data__["campaign"])
            if campaign is None:
                continue
            dialer = self.group.add(campaign)
            answered = utc_datetime(call.answered_at) if call.answered_at else None
            dialer.adopt(attempt, now, answered_at=answered, agent_id=call.agent_id)
            self.group.arm(dialer)
            adopted += 1
        if adopted:
            log.info("campaign calls recovered from the switch: %d", adopted)
        return adopted

    def stop(self) -> None:
        self.service.stop()

    def drain(self) -> None:
        """Claim and launch nothing more; live calls are still served until they end."""
        self.group.draining = True

    def live_calls(self) -> int:
        """Campaign calls in flight (launched and not yet ended)."""
        return sum(len(dialer.live) for dialer in self.group.dialers.values())

    def campaign_pacing(self, campaign_id: int) -> dict[str, Any] | None:
        """The campaign's pacing status (see :meth:`engine.campaigns.dialer.CampaignDialer.pacing_status`),
        None when no dialer of this engine runs it."""
        return self.group.pacing_status(campaign_id, self.port.now())

    def reload_flows(self) -> None:
        """Pick up edited flow files (the engine's reload loop calls this)."""
        self.flows.reload(only_changed=True)

    # ----- the agent desk ---------------------------------------------------------------
    def _desks_for(self, agent_id: int) -> list[PreviewDesk]:
        """Desks of the running preview/manual campaigns this agent may work, by priority."""
        return [self.group.desks[d.campaign.id] for d in self.group.by_priority()
                if d.campaign.status == "running" and d.campaign.dial_mode in DESK_MODES
                and (d.agent_ids is None or agent_id in d.agent_ids)]

    def _pick_up_desk_campaigns(self) -> None:
        """Running preview/manual campaigns the calendar sync (every 30 s) has not loaded yet,
        so an agent sees a campaign started a moment ago."""
        from engine.store import Campaign

        for campaign in Campaign.select().where((Campaign.status == "running") & Campaign.dial_mode.in_(DESK_MODES)):
            if campaign.id not in self.group.dialers:
                self.group.add(campaign)

    def _showing(self, agent_id: int) -> PreviewDesk | None:
        return next((desk for desk in self.group.desks.values() if agent_id in desk.shown), None)

    def preview_next(self, agent_id: int) -> dict[str, Any] | None:
        """The record shown to the agent (claimed for them), or None when nothing is due."""
        now = self.port.now()
        showing = self._showing(agent_id)
        if showing is None:
            self._pick_up_desk_campaigns()
        for desk in [showing] if showing is not None else self._desks_for(agent_id):
            contact = desk.next_record(agent_id, now)
            if contact is not None:
                campaign_id = desk.dialer.campaign.id
                self.engine.bus.publish("preview.shown", agent_id=agent_id, campaign_id=campaign_id,
                                        contact_id=contact.id, countdown=desk.countdown)
                return {"contact_id": contact.id, "campaign_id": campaign_id, "countdown": desk.countdown}
        return None

    def preview_dial(self, agent_id: int) -> dict[str, Any]:
        """Dial the record shown to the agent; ``{"call_uuid": ...}``."""
        desk = self._showing(agent_id)
        if desk is None:
            raise EngineError(f"no record is shown to agent {agent_id}: ask for the next record first",
                              field="agent_id")
        contact_id = desk.shown[agent_id].contact.id
        live = desk.dial(agent_id, self.port.now())
        return {"call_uuid": self._placed(live, agent_id, contact_id, desk.dialer.campaign.id)}

    def preview_skip(self, agent_id: int) -> bool:
        """Hand the shown record back (due again after a short delay); False if none was shown."""
        desk = self._showing(agent_id)
        return desk is not None and desk.skip(agent_id, self.port.now())

    def campaign_dial(self, agent_id: int, number: str, campaign_id: int | None, contact_id: int) -> str:
        """Click-to-dial a campaign contact: compliance, DNC, caller ID and the Attempt row first
        (:meth:`engine.campaigns.preview.PreviewDesk.click_to_dial`); returns the call uuid."""
        from engine.store import Campaign, Contact

        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is None:
            raise EngineError(f"unknown contact {contact_id}", field="contact_id", status=404)
        owner = int(contact.__data__["campaign"])
        if campaign_id is not None and campaign_id != owner:
            raise EngineError(f"contact {contact_id} is not in campaign {campaign_id}", field="campaign_id", status=400)
        desk = self.group.desks.get(owner)
        if desk is None:
            campaign = Campaign.get_or_none(Campaign.id == owner)
            if campaign is not None and campaign.status == "running":
                self.group.add(campaign)
                desk = self.group.desks[owner]
        if desk is None or desk.dialer.campaign.status != "running":
            raise EngineError(f"campaign {owner} is not running", field="campaign_id")
        agent_ids = desk.dialer.agent_ids
        if agent_ids is not None and agent_id not in agent_ids:
            raise EngineError(f"agent {agent_id} does not work campaign {owner}", field="agent_id", status=403)
        try:
            live = desk.click_to_dial(agent_id, contact_id, self.port.now(), phone=number)
        except ValueError as exc:  # the number is not one of the contact's
            raise EngineError(str(exc).removeprefix("phone: "), field="number", status=400) from None
        return self._placed(live, agent_id, contact_id, owner)

    def _placed(self, live: LiveCall | None, agent_id: int, contact_id: int, campaign_id: int) -> str:
        if live is None:
            raise EngineError(f"contact {contact_id} was not dialed: {self._refusal(agent_id, contact_id)}",
                              field="contact_id")
        self.engine.bus.publish("call.dialed", call_uuid=live.uuid, agent_id=agent_id, number=live.phone,
                                campaign_id=campaign_id, contact_id=contact_id)
        return live.uuid

    def _refusal(self, agent_id: int, contact_id: int) -> str:
        """Why a launch placed no call, from what it left behind (the reason is also logged)."""
        from engine.store import Contact

        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is not None and contact.status == "dnc":
            return "the number is on a do-not-call list"
        if contact is not None and contact.last_outcome == "window_blocked":
            return "outside the callee's calling window"
        if contact is not None and contact.status == "failed":
            return "its attempts are used up or it cannot be called"
        if self.engine.agents.get(agent_id).state != "available":
            return f"agent {agent_id} is not available"
        return "it is taken by another agent or has no caller ID (see the engine log)"


class DialingCommands:
    """The Engine's desk commands that go through the campaign dialers (mixed into Engine)."""

    dialing: CampaignDialing | None

    def _dialing(self) -> CampaignDialing:
        if self.dialing is None:
            raise EngineError(NOT_RUNNING, status=503)
        return self.dialing

    def preview_next(self, agent_id: int) -> dict[str, Any] | None:
        """``{contact_id, campaign_id, countdown}`` of the record shown to the agent, or None."""
        return self._dialing().preview_next(agent_id)

    def preview_dial(self, agent_id: int) -> dict[str, Any]:
        """Dial the record shown to the agent; ``{"call_uuid": ...}``."""
        return self._dialing().preview_dial(agent_id)

    def preview_skip(self, agent_id: int) -> bool:
        """Hand the shown record back; False when none was shown."""
        return self._dialing().preview_skip(agent_id)

    def campaign_dial(self, agent_id: int, number: str, campaign_id: int | None, contact_id: int) -> str:
        """Click-to-dial a campaign contact through its campaign's desk; returns the call uuid."""
        return self._dialing().campaign_dial(agent_id, number, campaign_id, contact_id)

    def campaign_pacing(self, campaign_id: int) -> dict[str, Any] | None:
        """Last pacing decision, pacer estimates and abandon rates of a campaign this engine
        dials; None when it does not (not running here, or dialing is off)."""
        if self.dialing is None:
            return None
        return self.dialing.campaign_pacing(campaign_id)
