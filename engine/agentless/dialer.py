"""The dialer of one agentless campaign, on the campaign dialer's claim/compliance/attempt path.

:class:`AgentlessDialer` is a :class:`engine.campaigns.dialer.CampaignDialer` (so contacts
are claimed, checked, given an Attempt row with its ``origination_uuid`` before
``originate``, and classified on hangup exactly as for agent campaigns) with four changes:

- pacing is :class:`engine.agentless.pacing.LinePacer` (calls per second, max lines; for
  press-1 also the queue's free agents), not an agent pacer;
- the answered leg is sent to ``answer_app`` (``&socket(host:port async full)``, so the
  call reaches :class:`engine.agentless.service.AgentlessService`'s outbound server and the
  IVR interpreter), or hung up at once for validity checks (``&hangup()``);
- an answer never looks for an agent, never counts as an abandon and needs no AMD from the
  event feed (the call's own socket runs AMD when the campaign asks for it);
- validity checks note early media, so :func:`engine.campaigns.outcomes.classify` calls an
  unanswered number that played an announcement and then failed ``invalid``.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from engine.agentless.modes import AgentlessConfigError, ModePlan, plan_for
from engine.agentless.pacing import LinePacer
from engine.campaigns.claims import claim_batch
from engine.campaigns.dialer import CampaignDialer, LiveCall, seconds
from engine.campaigns.ports import AgentPool, Originator
from engine.store import Campaign, Contact

log = logging.getLogger(__name__)

HANGUP_AT_ANSWER = "&hangup(NORMAL_CLEARING)"


def socket_app(host: str, port: int) -> str:
    """``&socket(host:port async full)`` as one originate argument.

    FreeSWITCH splits the originate arguments on spaces and unescapes ``\\s`` to a space
    (switch_utils.c ``cleanup_separated_string``), so the spaces travel as ``\\s``.
    """
    return f"&socket({host}:{int(port)}\\sasync\\sfull)"


class AgentlessDialer(CampaignDialer):
    """Dials one agentless campaign; see the module docstring."""

    def __init__(self, campaign: Campaign, originator: Originator, agents: AgentPool, *, answer_app: str,
                 owner: str = "engine", agent_ids: frozenset[int] | None = None,
                 dial_string: Callable[[str], str] | None = None,
                 agent_lookup: Callable[[str], tuple[int, dt.datetime] | None] | None = None) -> None:
        super().__init__(campaign, originator, agents, owner=owner, agent_ids=agent_ids, dial_string=dial_string)
        self.plan: ModePlan = ModePlan(campaign.dial_mode)
        self.config_error = ""  # why the campaign cannot dial (a field and its problem), "" when fine
        self.lines = LinePacer(max(float(campaign.calls_per_second), 0.01), max(int(campaign.max_lines or 0), 0))
        self.answer_app = answer_app
        self.agent_lookup = agent_lookup  # call uuid -> (agent id, bridged at) once queued calls reach an agent
        self.with_agent: set[str] = set()  # press-1 / timeout-to-agent calls handed to the queue
        self.refresh_plan()

    def refresh_plan(self) -> None:
        """Re-read the plan and pacing after the campaign row changed; a row that cannot run
        stops launching (``config_error`` says why) until it is fixed."""
        try:
            self.plan = plan_for(self.campaign)
        except AgentlessConfigError as exc:
            if str(exc) != self.config_error:
                log.error("agentless campaign cannot dial campaign_id=%s: %s", self.campaign.id, exc)
            self.config_error = str(exc)
            return
        self.config_error = ""
        self.lines.calls_per_second = max(float(self.campaign.calls_per_second), 0.01)
        self.lines.max_lines = max(int(self.campaign.max_lines or 0), 0)

    def on_beep(self, call_uuid: str, now: dt.datetime) -> None:
        """The call's own socket listens for the beep (engine.agentless.call)."""

    # ----- pacing -----------------------------------------------------------------------
    def tick(self, now: dt.datetime, free_agents: list[int], interval: float = 1.0) -> int:
        """Launch what calls per second, max lines and (press-1) free agents allow."""
        self.serve_waiting(now)  # ends attempts that never produced an event
        if self.campaign.status != "running" or self.config_error or self.amd_refusal:
            return 0
        stamp = seconds(now)
        free = len(free_agents) if self.plan.queue_bound else None
        waiting = sum(1 for uuid in self.live if uuid not in self.with_agent)
        wanted = self.lines.allowed(stamp, len(self.live), free_agents=free, waiting_for_agent=waiting)
        launched = 0
        for contact in claim_batch(self.campaign, wanted, owner=self.owner, now=now):
            if self.launch(contact, now) is not None:
                launched += 1
        self.lines.launched(stamp, launched)
        return launched

    def agents_spoken_for(self) -> int:
        """Press-1 keeps free agents for calls that may still press 1; other modes need none."""
        if not self.plan.queue_bound:
            return 0
        return sum(1 for uuid in self.live if uuid not in self.with_agent)

    # ----- one call ---------------------------------------------------------------------
    def _originate(self, live: LiveCall, caller_id: str, contact: Contact) -> None:
        campaign = self.campaign
        variables: dict[str, object] = {
            "origination_caller_id_number": caller_id, "fscc_role": "customer", "fscc_campaign_id": campaign.id,
            "fscc_attempt_id": live.attempt.id, "fscc_contact_id": contact.id, "fscc_agentless": self.plan.mode,
            "originate_timeout": int(campaign.ring_timeout_seconds), "ignore_early_media": True,
        }
        app = HANGUP_AT_ANSWER if self.plan.hangup_on_answer else self.answer_app
        self.originator.originate(self._dial_string(live.phone), origination_uuid=live.uuid, variables=variables,
                                  app=app)

    def call(self, call_uuid: str) -> LiveCall | None:
        """The live call of this campaign with that uuid."""
        return self.live.get(call_uuid)

    # ----- call events ------------------------------------------------------------------
    def on_ringing(self, call_uuid: str, now: dt.datetime) -> None:
        call = self.live.get(call_uuid)
        if call is not None and call.ringing_at is None:
            call.ringing_at = now

    def on_early_media(self, call_uuid: str) -> None:
        """CHANNEL_PROGRESS_MEDIA: the far end played something before answering (validity
        checks classify an unanswered failure after it as an invalid number)."""
        call = self.live.get(call_uuid)
        if call is not None and self.plan.hangup_on_answer:
            call.early_media = True

    def on_answer(self, call_uuid: str, now: dt.datetime) -> None:
        """Answered: the flow (or the immediate hangup) owns the call; no agent is sought."""
        call = self.live.get(call_uuid)
        if call is None or call.answered_at is not None:
            return
        call.answered_at = call.human_at = now

    def _connect(self, call: LiveCall, now: dt.datetime) -> bool:
        """An answered agentless call is with its flow already: never look for an agent
        (press-1 callers wait in the engine's queue), never count it as abandoned."""
        return True

    def handed_to_queue(self, call_uuid: str) -> None:
        """The call pressed 1 (or listened long enough) and is now in the queue."""
        if call_uuid in self.live:
            self.with_agent.add(call_uuid)

    def on_hangup(self, call_uuid: str, cause: str, now: dt.datetime) -> str:
        """Classify and record as the campaign dialer does (press-1 calls with the agent
        the queue bridged them to)."""
        call = self.live.get(call_uuid)
        if call_uuid in self.with_agent and call is not None and self.agent_lookup is not None:
            connected = self.agent_lookup(call_uuid)
            if connected is not None:  # recorded on the Attempt like an agent campaign's connection
                call.agent_id, call.connected_at = connected
        self.with_agent.discard(call_uuid)
        return super().on_hangup(call_uuid, cause, now)
