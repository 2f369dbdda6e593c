"""A DialerGroup that also dials agentless campaigns (drop-in for
:class:`engine.campaigns.group.DialerGroup`: run one of the two per engine process, not both).

Agentless campaigns get an :class:`engine.agentless.dialer.AgentlessDialer`; every other
campaign the usual CampaignDialer, so priorities, the calendar sync and event routing stay
the campaign package's. A press-1 campaign may only count the free agents of its queue.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from engine.agentless.dialer import AgentlessDialer
from engine.agentless.modes import is_agentless
from engine.campaigns.dialer import CampaignDialer, LiveCall
from engine.campaigns.group import DialerGroup, campaign_agent_ids
from engine.campaigns.ports import AgentPool, Originator
from engine.campaigns.preview import PreviewDesk
from engine.clock import Clock
from engine.store import Campaign, QueueMember

log = logging.getLogger(__name__)


def queue_agent_ids(campaign: Campaign) -> frozenset[int] | None:
    """Agents of the campaign's queue (press-1 hands calls there); else the campaign's own."""
    queue_id = campaign.__data__.get("queue")
    if queue_id:
        members = frozenset(int(m.__data__["agent"]) for m in
                            QueueMember.select(QueueMember.agent).where(QueueMember.queue == queue_id))
        if members:
            return members
    return campaign_agent_ids(campaign)


class AgentlessDialerGroup(DialerGroup):
    """All campaigns of this process, agentless ones included; see the module docstring."""

    def __init__(self, originator: Originator, agents: AgentPool, *, answer_app: str, owner: str = "engine",
                 dial_string: Callable[[str], str] | None = None,
                 agent_lookup: Callable[[str], tuple[int, dt.datetime] | None] | None = None,
                 clock: Clock | None = None) -> None:
        super().__init__(originator, agents, owner=owner, dial_string=dial_string, clock=clock)
        self.answer_app = answer_app
        self.agent_lookup = agent_lookup
        self.stopped: set[int] = set()  # campaigns told to stop here, whatever their row says

    def add(self, campaign: Campaign) -> CampaignDialer:
        """Start dialing ``campaign``; agentless ones through AgentlessDialer (one whose row
        cannot run, e.g. press-1 without a queue, launches nothing: see ``config_error``)."""
        if not is_agentless(campaign):
            return super().add(campaign)
        dialer = self.dialers.get(campaign.id)
        if dialer is None:
            dialer = AgentlessDialer(campaign, self.originator, self.agents, answer_app=self.answer_app,
                                     owner=self.owner, agent_ids=queue_agent_ids(campaign),
                                     dial_string=self.dial_string, agent_lookup=self.agent_lookup)
            dialer.trunks = self.trunks
            self.dialers[campaign.id] = dialer
            self.desks[campaign.id] = PreviewDesk(dialer)
        return dialer

    def stop_campaign(self, campaign_id: int) -> None:
        """Launch no more calls for the campaign (live calls finish and are recorded) until
        :meth:`resume_campaign`; the calendar sync re-reading its row does not restart it."""
        self.stopped.add(campaign_id)
        dialer = self.dialers.get(campaign_id)
        if dialer is not None:
            dialer.campaign.status = "paused"

    def resume_campaign(self, campaign: Campaign) -> CampaignDialer:
        """Undo :meth:`stop_campaign` (and add the campaign if it is new here); the status
        is the row's again."""
        self.stopped.discard(campaign.id)
        dialer = self.add(campaign)
        dialer.campaign.status = campaign.status
        return dialer

    def sync(self, now: dt.datetime) -> None:
        """The campaign package's calendar step, leaving stopped campaigns stopped."""
        super().sync(now)
        self._keep_stopped()

    def refresh(self) -> None:
        """Re-read each campaign row; agentless dialers also re-read their plan and queue."""
        super().refresh()
        self._keep_stopped()
        for dialer in list(self.dialers.values()):
            if isinstance(dialer, AgentlessDialer):
                dialer.refresh_plan()
                dialer.agent_ids = queue_agent_ids(dialer.campaign)

    def _keep_stopped(self) -> None:
        for campaign_id in self.stopped:
            dialer = self.dialers.get(campaign_id)
            if dialer is not None:
                dialer.campaign.status = "paused"

    def on_event(self, call_uuid: str, name: str, now: dt.datetime, *, cause: str = "", amd_result: str = "") -> None:
        """Route one channel event; early media is remembered for validity checks."""
        if name == "CHANNEL_PROGRESS_MEDIA":
            found = self.agentless_call(call_uuid)
            if found is not None:
                found[0].on_early_media(call_uuid)
        super().on_event(call_uuid, name, now, cause=cause, amd_result=amd_result)

    def agentless_call(self, call_uuid: str) -> tuple[AgentlessDialer, LiveCall] | None:
        """The agentless dialer and live call owning ``call_uuid`` (None if not ours)."""
        for dialer in self.dialers.values():
            if isinstance(dialer, AgentlessDialer):
                live = dialer.call(call_uuid)
                if live is not None:
                    return dialer, live
        return None
