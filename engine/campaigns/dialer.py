"""The dialer of one running campaign: pace, claim, check, write the attempt, originate.

:class:`CampaignDialer` is driven from outside: :class:`engine.campaigns.group.DialerGroup`
calls :meth:`tick` about once a second with the agents this campaign may use (after
higher-priority campaigns took theirs) and forwards call events to :meth:`on_ringing`,
:meth:`on_answer`, :meth:`on_amd` and :meth:`on_hangup`. Time is always an argument.

Per launched call: :func:`engine.campaigns.compliance.check` (refusals hand the claim back
with the reason), a caller ID that is always set, the Attempt row written with its
``origination_uuid`` BEFORE ``originate``, and on hangup an outcome from the hangup cause.
Connection orders: ``customer_first`` (find an agent when the customer answers),
``simultaneous`` (reserve an agent as soon as the customer's line rings) and
``agent_first`` (ring the agent, who is bridged out to the customer). ``connected_at`` is
when the agent's leg is bridged to the customer (CHANNEL_BRIDGE, :meth:`on_bridge`), not the
customer's answer. An answered human must hear a person or the campaign's message within
``abandon_after`` (2 s, the regulator's limit): with no agent being rung by
:meth:`abandon_deadline` (``abandon_after`` less :data:`MESSAGE_LEAD_SECONDS` for the
broadcast to reach the switch) the message plays and the call is hung up, and that attempt
counts as abandoned. The group wakes the dialer at that deadline on the engine's clock, not
at its next once-a-second tick. Preview/manual modes are in
:class:`engine.campaigns.preview.PreviewDesk`, which launches through :meth:`launch`.
Agentless modes (broadcast, press-1, survey, ...) launch nothing here: their subclass
:class:`engine.agentless.dialer.AgentlessDialer` dials them.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid as uuid_module
from collections.abc import Callable

import numpy as np

from engine.campaigns.amd import amd_method
from engine.campaigns.callbacks import complete_callbacks
from engine.campaigns.callerid import CallerIdPicker, NoCallerId
from engine.campaigns.claims import (
    DEFAULT_RETRY_SECONDS,
    LostClaim,
    claim_batch,
    finish_attempt,
    finish_unplaced,
    release,
    start_attempt,
)
from engine.campaigns.compliance import Verdict, check
from engine.campaigns.errors import CampaignError
from engine.campaigns.live import LiveCall, pacer_for, pacing_key, seconds
from engine.campaigns.outcomes import AbandonRates, abandon_rates, classify
from engine.campaigns.pacing_feed import PacingFeed
from engine.campaigns.ports import AgentPool, Originator
from engine.campaigns.trunks import TrunkBackoff, trunk_failure
from engine.esl.errors import ESLNotSent
from engine.logs import log_context
from engine.pacing.base import Pacer, PacingSnapshot, progressive_lines
from engine.store import Attempt, Campaign, Contact

log = logging.getLogger(__name__)

AUTO_MODES = ("progressive", "power", "predictive")
ABANDON_AFTER_SECONDS = 2.0
AMD_TIMEOUT_SECONDS = 5.0
MESSAGE_LEAD_SECONDS = 0.5  # the abandon message is sent this long before abandon_after ends
CONNECT_TIMEOUT_SECONDS = 30.0  # an agent rung this long without a bridge is given up
STALE_EXTRA_SECONDS = 120.0


def dial_string_trunk(dial_string: str) -> str:
    """The trunk a dial string leaves through: ``sofia/gateway/NAME/...`` → NAME, otherwise its
    endpoint's first two parts (``sofia/external``, ``loopback/0``), ignoring ``{vars}``."""
    endpoint = dial_string.split("}", 1)[-1] if dial_string.startswith("{") else dial_string
    parts = endpoint.split("/")
    if len(parts) >= 3 and parts[0] == "sofia" and parts[1] == "gateway":
        return parts[2]
    return "/".join(parts[:2]) or "default"


class CampaignDialer:
    """Dials one campaign; see the module docstring."""

    def __init__(self, campaign: Campaign, originator: Originator, agents: AgentPool, *, owner: str = "engine",
                 agent_ids: frozenset[int] | None = None, dial_string: Callable[[str], str] | None = None,
                 pacer: Pacer | None = None, abandon_after: float = ABANDON_AFTER_SECONDS,
                 trunks: TrunkBackoff | None = None) -> None:
        self.campaign = campaign
        self.trunks = trunks if trunks is not None else TrunkBackoff()  # shared by the group's dialers
        self.originator = originator
        self.agents = agents
        self.owner = owner
        self.agent_ids = agent_ids
        self.pacer = pacer if pacer is not None else pacer_for(campaign)
        self.feed = PacingFeed(self.pacer)
        self._pacing_key = pacing_key(campaign)
        self.abandon_after = abandon_after
        self.callers = CallerIdPicker(campaign)
        self.live: dict[str, LiveCall] = {}
        self._agent_legs: dict[str, str] = {}
        self._dial_string = dial_string or self._trunk_dial_string
        self._rates: tuple[float, AbandonRates] | None = None
        self.amd_method = ""
        self.amd_refusal = ""
        self.resolve_amd()

    def resolve_amd(self) -> None:
        """Pick mod_amd, the mod_avmd fallback or nothing for this campaign on the switches it
        has (:mod:`engine.campaigns.amd`); when they cannot do what it asks, the campaign
        dials nothing and ``amd_refusal`` says why (the group then pauses it)."""
        try:
            method, refusal = amd_method(self.campaign, self.originator.switch_capabilities()), ""
        except CampaignError as exc:
            method, refusal = "", str(exc)
        if refusal and refusal != self.amd_refusal:
            log.error("campaign_id=%s cannot dial: %s", self.campaign.id, refusal)
        elif method != self.amd_method and method:
            log.info("campaign_id=%s answering-machine detection: %s", self.campaign.id, method)
        self.amd_method, self.amd_refusal = method, refusal

    # ----- pacing -----------------------------------------------------------------------
    @property
    def trunk_name(self) -> str:
        """The trunk this campaign's calls leave through: its trunk row's gateway, else the
        gateway of the dial string it uses (``external_dial``), else the dial string's
        endpoint (``sofia/external``, ``loopback``...), so warnings name what failed."""
        trunk = self.campaign.trunk if self.campaign.__data__.get("trunk") else None
        if trunk is not None:
            return str(trunk.gateway)
        return dial_string_trunk(self._dial_string("0"))

    def _trunk_dial_string(self, number: str) -> str:
        trunk = self.campaign.trunk
        if trunk is None:
            return f"sofia/gateway/default/{number}"
        return f"sofia/gateway/{trunk.gateway}/{trunk.prefix}{number}"

    def reload_pacing(self) -> None:
        """After the row was re-read: a new dial mode or power ratio gets a new pacer (the
        abandon target needs none: it is read from the row at every decision)."""
        key = pacing_key(self.campaign)
        if key != self._pacing_key:
            log.info("campaign_id=%s pacing changed %s -> %s: new pacer", self.campaign.id, self._pacing_key, key)
            self._pacing_key = key
            self.pacer = pacer_for(self.campaign)
            self.feed = PacingFeed(self.pacer)

    def rates(self, now: dt.datetime) -> AbandonRates:
        """Abandon rates from the Attempt rows, re-read at most every 30 s."""
        stamp = seconds(now)
        if self._rates is None or stamp - self._rates[0] >= 30:
            self._rates = (stamp, abandon_rates(self.campaign, now))
        return self._rates[1]

    def snapshot(self, now: dt.datetime, free_agents: list[int]) -> PacingSnapshot:
        """The pacer's view: agents this campaign may use now and its own live calls."""
        stamp = seconds(now)
        counts = self.agents.counts(self.agent_ids, stamp)
        ringing = [stamp - seconds(c.launched_at) for c in self.live.values() if c.answered_at is None]
        waiting = sum(1 for c in self.live.values() if c.waiting or (c.answered_at and c.human_at is None))
        rates = self.rates(now)
        ready = len(free_agents)
        logged_in = max(counts.logged_in, ready + len(counts.in_call_seconds) + len(counts.wrap_up_seconds))
        return PacingSnapshot(
            now=stamp, agents_ready=ready, agents_logged_in=logged_in,
            agents_in_call=np.asarray(counts.in_call_seconds, dtype=np.float64),
            agents_wrap_up=np.asarray(counts.wrap_up_seconds, dtype=np.float64),
            calls_ringing=np.asarray(ringing, dtype=np.float64), calls_waiting=waiting,
            calls_in_progress=len(self.live), answered_today=rates.answered_today,
            abandoned_today=rates.abandoned_today, answered_30d=rates.answered_30d,
            abandoned_30d=rates.abandoned_30d, max_lines=self.campaign.max_lines or None,
            ring_timeout=float(self.campaign.ring_timeout_seconds), abandon_target=float(self.campaign.abandon_target))

    def over_abandon_cap(self, now: dt.datetime) -> bool:
        """True when today's or the 30-day abandon rate is above the campaign's target."""
        rates = self.rates(now)
        target = float(self.campaign.abandon_target)
        return rates.today > target or rates.last_30_days > target

    def agents_spoken_for(self) -> int:
        """Agents this campaign's live calls will need (the group keeps them from others)."""
        ratio = float(self.campaign.power_ratio) if self.campaign.dial_mode == "power" else 1.0
        pending = sum(1 for c in self.live.values() if c.connected_at is None and c.agent_id is None)
        return int(-(-pending // max(ratio, 1.0)))

    def tick(self, now: dt.datetime, free_agents: list[int], interval: float = 1.0) -> int:
        """Serve waiting answered calls, then launch what the pacer asks; return calls launched."""
        self.serve_waiting(now)
        if self.feed.wrapping():
            self.feed.agents_ready(self.agents.ready(self.agent_ids), seconds(now))
        if self.campaign.status != "running" or self.amd_refusal:
            return 0
        if self.trunks.blocked_until(self.trunk_name, now) is not None:
            return 0  # the trunk failed at once: backing off (logged when it failed)
        free = [a for a in free_agents if a not in {c.agent_id for c in self.live.values()}]
        wanted = self._wanted(now, free, interval)
        if wanted <= 0:
            return 0
        launched = 0
        pool = list(free)
        for contact in claim_batch(self.campaign, wanted, owner=self.owner, now=now):
            agent_id = None
            if self.campaign.connect_order == "agent_first":
                agent_id = pool.pop(0) if pool else None
                if agent_id is None:
                    release(contact, status="retry", retry_at=None)
                    continue
            if self.launch(contact, now, agent_id=agent_id) is not None:
                launched += 1
        self.feed.launched(launched)
        return launched

    def _wanted(self, now: dt.datetime, free: list[int], interval: float = 1.0) -> int:
        """Calls to start now: the pacer's answer for the automatic agent modes (within calls
        per second), else none (preview/manual are dialed by the agent; agentless modes only
        by AgentlessDialer). The decision is kept for :meth:`pacing_status`."""
        if self.pacer is None or self.campaign.dial_mode not in AUTO_MODES:
            return 0
        snapshot = self.snapshot(now, free)
        wanted = self.pacer.decide(snapshot)
        if self.over_abandon_cap(now) and self.campaign.dial_mode == "power":
            # Over the cap (3 % by default, per day or 30 days): no more than one line per free agent.
            wanted = min(wanted, progressive_lines(snapshot))
        wanted = min(wanted, max(1, int(float(self.campaign.calls_per_second) * interval)))
        self.feed.decided(snapshot, wanted)
        return wanted

    def pacing_status(self, now: dt.datetime) -> dict[str, object]:
        """The last pacing decision, the pacer's estimates and the abandon rates (with the target)."""
        campaign = self.campaign
        status = self.feed.status(str(campaign.dial_mode), seconds(now), float(campaign.ring_timeout_seconds),
                                  self.rates(now), float(campaign.abandon_target))
        return {"campaign_id": campaign.id, "name": campaign.name, "status": campaign.status, **status}

    # ----- one call ---------------------------------------------------------------------
    def launch(self, contact: Contact, now: dt.datetime, *, agent_id: int | None = None,
               phone: str = "") -> LiveCall | None:
        """Check compliance, write the attempt, originate. ``contact`` must be claimed.

        With ``agent_id`` the agent is reserved for this call first (agent_first, preview,
        click-to-dial). Returns None when the call was not placed (the claim is handed back).
        """
        phones = contact.phones
        phone = phone or phones[contact.attempts % len(phones)]
        with log_context(campaign_id=self.campaign.id):
            verdict = check(contact, phone, self.campaign, now)
            if not verdict.allowed:
                self._refused(contact, verdict, now)
                return None
            try:
                caller_id = self.callers.pick(phone)
            except NoCallerId as exc:
                log.error("no caller ID, not dialing contact_id=%s: %s", contact.id, exc)
                release(contact, status="retry", retry_at=now + dt.timedelta(minutes=15))
                return None
            call_uuid = str(uuid_module.uuid4())
            if agent_id is not None and not self._reserve(agent_id, call_uuid, now):
                release(contact, status="retry", retry_at=None)
                return None
            try:
                attempt = start_attempt(contact, phone, caller_id=caller_id, now=now, node=self.owner,
                                        agent_id=agent_id, origination_uuid=call_uuid)
            except LostClaim:
                log.warning("claim lost before dialing contact_id=%s", contact.id)
                if agent_id is not None:
                    self.agents.release(agent_id)
                return None
            live = LiveCall(call_uuid, attempt, contact.id, phone, now)
            live.agent_id = agent_id
            self.live[call_uuid] = live
            try:
                self._originate(live, caller_id, contact)
            except Exception as exc:  # the switch refused: the attempt ends here, logged with its cause
                if isinstance(exc, ESLNotSent) or not self.originator.switch_up():  # not the trunk's fault
                    log.warning("switch down, call not placed call_uuid=%s contact_id=%s: %s", call_uuid,
                                contact.id, exc)
                    self._end_unplaced(call_uuid, "DESTINATION_OUT_OF_ORDER", now, now)
                    return None
                log.error("originate failed call_uuid=%s contact_id=%s: %s", call_uuid, contact.id, exc)
                self.on_hangup(call_uuid, "DESTINATION_OUT_OF_ORDER", now)
                return None
            return live

    def _originate(self, live: LiveCall, caller_id: str, contact: Contact) -> None:
        campaign = self.campaign
        variables: dict[str, object] = {
            "origination_caller_id_number": caller_id, "fscc_role": "customer", "fscc_campaign_id": campaign.id,
            "fscc_attempt_id": live.attempt.id, "fscc_contact_id": contact.id,
            "originate_timeout": int(campaign.ring_timeout_seconds), "ignore_early_media": True,
        }
        customer = self._dial_string(live.phone)
        if campaign.connect_order == "agent_first" and live.agent_id is not None:
            live.agent_leg = str(uuid_module.uuid4())
            self._agent_legs[live.agent_leg] = live.uuid
            inner = ",".join(f"{k}={v}" for k, v in {**variables, "origination_uuid": live.uuid}.items())
            self.originator.originate(
                self.agents.dial_string(live.agent_id), origination_uuid=live.agent_leg,
                variables={"fscc_role": "agent", "fscc_agent_id": live.agent_id, "fscc_parent": live.uuid,
                           "origination_caller_id_number": caller_id},
                app=f"&bridge({{{inner}}}{customer})")
        else:
            self.originator.originate(customer, origination_uuid=live.uuid, variables=variables, app="&park()")

    def adopt(self, attempt: Attempt, now: dt.datetime, *, answered_at: dt.datetime | None,
              agent_id: int | None) -> LiveCall:
        """A call of this campaign still live on the switch after the engine restarted
        (:meth:`engine.dialing.CampaignDialing.adopt_recovered`): it is this dialer's call again,
        so its hang-up settles the attempt like any other. ``agent_id``: the agent whose leg is
        bridged to it; an answered call without one waits for an agent (or is abandoned)."""
        live = LiveCall(str(attempt.origination_uuid), attempt, int(attempt.__data__["contact"]), str(attempt.phone),
                        attempt.created_at or now)
        if answered_at is not None:
            live.ringing_at = live.answered_at = live.human_at = answered_at
        if agent_id is not None:
            live.agent_id, live.connected_at = agent_id, attempt.connected_at or now
        self.live[live.uuid] = live
        log.info("recovered call_uuid=%s contact_id=%s answered=%s agent_id=%s", live.uuid, live.contact_id,
                 answered_at is not None, agent_id)
        return live

    def _refused(self, contact: Contact, verdict: Verdict, now: dt.datetime) -> None:
        log.info("compliance refused contact_id=%s reason=%s", contact.id, verdict.reason)
        if verdict.reason.startswith("dnc"):
            release(contact, status="dnc", outcome="dnc_blocked")
        elif verdict.reason.startswith("attempt limit"):
            release(contact, status="failed")
        elif verdict.retry_at is None:
            # Waiting cannot help (unknown time zone, windows that never overlap).
            release(contact, status="failed", outcome="window_blocked")
        else:
            release(contact, status="retry", retry_at=verdict.retry_at, outcome="window_blocked")

    # ----- call events ------------------------------------------------------------------
    def owns(self, call_uuid: str) -> bool:
        return call_uuid in self.live or call_uuid in self._agent_legs

    def on_ringing(self, call_uuid: str, now: dt.datetime) -> None:
        """The customer's line rings; in simultaneous order the agent search starts now."""
        call = self.live.get(call_uuid)
        if call is None or call.ringing_at is not None:
            return
        call.ringing_at = now
        self.trunks.worked(self.trunk_name)
        if self.campaign.connect_order == "simultaneous" and call.agent_id is None:
            for agent_id in self.agents.ready(self.agent_ids):
                if self._reserve(agent_id, call_uuid, now):
                    call.agent_id = agent_id
                    break

    def on_answer(self, call_uuid: str, now: dt.datetime) -> None:
        """Answered: with AMD wait for its verdict, else the customer is a human now."""
        call = self.live.get(call_uuid)
        if call is None or call.answered_at is not None:
            return
        call.answered_at = now
        if self.campaign.connect_order == "agent_first" and call.agent_id is not None:
            call.human_at = call.connecting_at = now  # the agent's bridge app connects it
            self.feed.human(call)
            return
        if self.amd_method == "amd":
            self.originator.start_amd(call_uuid)
            return
        if self.amd_method == "avmd":
            call.amd_result = "notsure"  # a person until mod_avmd hears a beep (on_beep)
            self.originator.start_avmd(call_uuid)
        self._human(call, now)

    def awaiting_amd(self, call_uuid: str) -> bool:
        """True while an answered call waits for its AMD verdict."""
        call = self.live.get(call_uuid)
        return call is not None and call.answered_at is not None and call.human_at is None and not call.amd_result
    def on_amd(self, call_uuid: str, result: str, now: dt.datetime) -> None:
        """AMD verdict (HUMAN / MACHINE / NOTSURE) with the campaign's action for machines:
        ``agent`` treats it as a human, ``message`` plays the machine message after the beep
        and hangs up, anything else hangs up (``ivr`` is for agentless modes only: validation
        refuses it here, and an originated leg has no socket for a flow)."""
        if not self.awaiting_amd(call_uuid):
            return
        call = self.live[call_uuid]
        call.amd_result = result.lower() or "notsure"
        if call.amd_result != "machine" or self.campaign.amd_action == "agent":
            self._human(call, now)
            return
        self._machine(call)

    def on_beep(self, call_uuid: str, now: dt.datetime) -> None:
        """mod_avmd heard a voicemail beep (the fallback without mod_amd): before the agent is
        bridged the call is a machine and ``amd_action`` applies (the machine message now
        starts right after the beep); once bridged, the agent already hears it and decides."""
        call = self.live.get(call_uuid)
        if call is None or call.amd_result == "machine":
            return
        if call.connected_at is not None:
            log.info("beep after the agent was bridged call_uuid=%s: left to the agent", call_uuid)
            return
        call.amd_result = "machine"
        if self.campaign.amd_action == "agent":
            return
        self._machine(call)

    def _machine(self, call: LiveCall) -> None:
        """A machine the campaign does not send to an agent: message after the beep, or hang up."""
        call_uuid, call.ending = call.uuid, True
        self._give_back_agent(call)
        if self.campaign.amd_action == "message" and self._machine_message():
            self.originator.play_and_hangup(call_uuid, self._machine_message())
        else:
            self.originator.hangup(call_uuid, "NORMAL_CLEARING")

    def _machine_message(self) -> str:
        return str((self.campaign.settings or {}).get("machine_message") or self.campaign.no_agent_message or "")

    def _reserve(self, agent_id: int, call_uuid: str, now: dt.datetime) -> bool:
        if not self.agents.reserve(agent_id, call_uuid, self.campaign.id, int(self.campaign.wrap_up_seconds)):
            return False
        self.feed.agents_ready([agent_id], seconds(now))  # free again: any wrap-up of ours is over
        return True

    def _human(self, call: LiveCall, now: dt.datetime) -> None:
        call.human_at = now
        self.feed.human(call)
        self._connect(call, now)

    def _to_queue(self, call: LiveCall) -> None:
        """Send the answered call to the campaign's inbound queue (hang up when it has none)."""
        if self.campaign.queue is None:
            self.originator.hangup(call.uuid, "NORMAL_CLEARING")
            return
        self.originator.send_to(call.uuid, "queue", self.campaign.queue.name)

    def _connect(self, call: LiveCall, now: dt.datetime) -> bool:
        if call.agent_id is None:
            for agent_id in self.agents.ready(self.agent_ids):
                if self._reserve(agent_id, call.uuid, now):
                    call.agent_id = agent_id
                    break
        if call.agent_id is None:
            return False
        call.connecting_at = now
        self.originator.connect(call.uuid, call.agent_id)
        return True

    def on_bridge(self, call_uuid: str, now: dt.datetime) -> None:
        """The agent's leg is bridged to the customer: the call is connected from now."""
        call = self.live.get(call_uuid)
        if call is None or call.connected_at is not None or call.agent_id is None:
            return
        call.connected_at = now
        call.connecting_at = call.connecting_at or now

    def abandon_deadline(self) -> dt.datetime | None:
        """The next moment :meth:`serve_waiting` has something to decide (an AMD verdict
        overdue, a waiting human's message due), or None."""
        moments = [c.answered_at + dt.timedelta(seconds=AMD_TIMEOUT_SECONDS) for c in self.live.values()
                   if c.answered_at is not None and self.awaiting_amd(c.uuid)]
        window = dt.timedelta(seconds=max(0.0, self.abandon_after - MESSAGE_LEAD_SECONDS))
        moments += [c.human_at + window for c in self.live.values() if c.waiting and c.human_at is not None]
        return min(moments, default=None)

    def serve_waiting(self, now: dt.datetime) -> None:
        """Connect waiting humans to agents; past ``abandon_after`` play the message and hang up.

        Also treats an answer with no AMD verdict after 5 s as a human, and ends attempts
        that never produced an event long after their ring timeout.
        """
        stale_after = float(self.campaign.ring_timeout_seconds) + STALE_EXTRA_SECONDS
        for call in [c for c in self.live.values() if c.answered_at is None and c.ringing_at is None
                     and (now - c.launched_at).total_seconds() > stale_after]:
            # The switch gives up at originate_timeout; no event since means we lost it.
            log.warning("no events for call_uuid=%s since launch; ending the attempt", call.uuid)
            self.on_hangup(call.uuid, "ORIGINATOR_CANCEL", now)
        for call in [c for c in self.live.values() if c.connecting_at is not None and c.connected_at is None
                     and (now - c.connecting_at).total_seconds() >= CONNECT_TIMEOUT_SECONDS]:
            log.warning("agent never bridged call_uuid=%s agent_id=%s; the call waits again", call.uuid, call.agent_id)
            self._give_back_agent(call)
            call.connecting_at = None
        window = max(0.0, self.abandon_after - MESSAGE_LEAD_SECONDS)
        for call in sorted(self.live.values(), key=lambda c: c.answered_at or now):
            if self.awaiting_amd(call.uuid) and (now - (call.answered_at or now)).total_seconds() >= AMD_TIMEOUT_SECONDS:
                call.amd_result = "notsure"
                self._human(call, now)
            if not call.waiting or self._connect(call, now):
                continue
            if (now - (call.human_at or now)).total_seconds() >= window:
                call.abandoned = True
                log.info("abandoned: no agent within %.0f s call_uuid=%s", self.abandon_after, call.uuid)
                if self.campaign.no_agent_action == "message" and self.campaign.no_agent_message:
                    self.originator.play_and_hangup(call.uuid, self.campaign.no_agent_message)
                elif self.campaign.no_agent_action == "queue":
                    self._to_queue(call)  # still an abandon for the regulator's count
                else:
                    self.originator.hangup(call.uuid, "NORMAL_CLEARING")

    def _give_back_agent(self, call: LiveCall) -> None:
        if call.agent_id is not None and call.connected_at is None:
            self.agents.release(call.agent_id)
            call.agent_id = None

    def on_lost(self, call_uuid: str, cause: str, now: dt.datetime) -> str:
        """The switch dropped before it confirmed this originate (the engine kills the call):
        no attempt is burnt and the trunk is not backed off; the contact is due again after
        the campaign's retry delay for ``failed``, so a late ring is never followed by a redial."""
        delay = int((self.campaign.retry_delays or {}).get("failed", DEFAULT_RETRY_SECONDS))
        return self._end_unplaced(call_uuid, cause, now, now + dt.timedelta(seconds=delay), outcome="lost")

    def _end_unplaced(self, call_uuid: str, cause: str, now: dt.datetime, retry_at: dt.datetime,
                      outcome: str = "trunk_failed") -> str:
        customer_uuid = self._agent_legs.pop(call_uuid, None)
        call = self.live.pop(customer_uuid or call_uuid, None)
        if call is None:
            return ""
        self._agent_legs.pop(call.agent_leg, None)
        self._give_back_agent(call)
        finish_unplaced(call.attempt, cause=cause, retry_at=retry_at, now=now, outcome=outcome)
        log.warning("call not placed or lost with the switch call_uuid=%s contact_id=%s cause=%s outcome=%s: "
                    "contact due at %s", call.uuid, call.contact_id, cause, outcome, retry_at.isoformat())
        return outcome

    def on_hangup(self, call_uuid: str, cause: str, now: dt.datetime) -> str:
        """The call ended: classify, record the outcome, schedule the contact, teach the pacer."""
        customer_uuid = self._agent_legs.pop(call_uuid, None)
        if customer_uuid is not None:  # agent_first: the agent leg ended
            call = self.live.get(customer_uuid)
            if call is None or call.ringing_at is not None or call.answered_at is not None:
                return ""  # the customer's own hangup settles it
            # The customer was never dialed: not the callee's no-answer, our agent's.
            call_uuid, cause = customer_uuid, f"AGENT_{cause or 'NO_ANSWER'}"
        call = self.live.pop(call_uuid, None)
        if call is None:
            return ""
        self._agent_legs.pop(call.agent_leg, None)
        self._give_back_agent(call)
        rang = call.answered_at is not None or call.ringing_at is not None or call.early_media
        if trunk_failure(cause, rang=rang) and customer_uuid is None:
            retry_at = self.trunks.failed(self.trunk_name, cause, now)
            finish_unplaced(call.attempt, cause=cause, retry_at=retry_at, now=now)
            log.warning("call never placed call_uuid=%s contact_id=%s trunk=%s cause=%s: contact retried at %s",
                        call_uuid, call.contact_id, self.trunk_name, cause, retry_at.isoformat())
            return "trunk_failed"
        if call.answered_at is not None:
            self.trunks.worked(self.trunk_name)
        ring_seconds = ((call.answered_at or now) - call.launched_at).total_seconds()
        outcome = classify(cause, answered=call.answered_at is not None, amd_result=call.amd_result,
                           abandoned=call.abandoned, ring_seconds=ring_seconds,
                           ring_timeout=float(self.campaign.ring_timeout_seconds), early_media=call.early_media)
        finish_attempt(call.attempt, outcome, campaign=self.campaign, now=now, hangup_cause=cause,
                       amd_result=call.amd_result, answered_at=call.answered_at, connected_at=call.connected_at,
                       abandoned=call.abandoned, agent_id=call.agent_id if call.connected_at else None)
        complete_callbacks(call.contact_id)
        self._rates = None
        self.feed.ended(call, outcome, seconds(now), ring_seconds)
        log.info("attempt ended call_uuid=%s contact_id=%s outcome=%s cause=%s", call_uuid, call.contact_id,
                 outcome, cause)
        return outcome
