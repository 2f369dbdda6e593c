"""All running campaigns of one engine process, sharing agents by campaign priority.

Each tick the campaigns are served in priority order (1 first, urgent before normal at
the same number): a campaign sees the ready agents it may use minus those already spoken
for by higher-priority campaigns' live calls, so a lower-priority campaign only dials for
agents the higher ones leave idle. Call events are routed to the dialer owning the call.

The Engine runs the subclass :class:`engine.agentless.group.AgentlessDialerGroup` (see
``engine.dialing``); by hand: ``group = DialerGroup(originator, agents, owner="engine-1")``,
``group.add(campaign)`` for each running campaign, ``group.start(clock_now)`` spawns the
gevent loop (``tick`` every ``interval`` seconds), and the call listener forwards events
with ``group.on_event(call_uuid, name, now, cause=..., amd_result=...)``.

Each round first looks whether a campaign row changed (:meth:`watch`: pause, stop, edits
made by the control plane or another process reach the dialers before their next launch),
and claims nothing while the switch is down (``Originator.switch_up``) or the engine drains.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
import peewee

from engine.campaigns.amd import BEEP_SUBCLASS
from engine.campaigns.claims import recycle
from engine.campaigns.dialer import CampaignDialer
from engine.campaigns.errors import LifecycleError
from engine.campaigns.lifecycle import auto_status
from engine.campaigns.live import seconds
from engine.campaigns.ports import AgentPool, Originator
from engine.campaigns.preview import PreviewDesk
from engine.campaigns.sql import pk, rows
from engine.campaigns.trunks import TrunkBackoff
from engine.clock import Clock, Timer, utc_datetime
from engine.esl.errors import ESLError
from engine.store import Agent, Campaign, CampaignAgent

log = logging.getLogger(__name__)

RINGING_EVENTS = ("CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA")
LIVE_STATUSES = ("scheduled", "running")
ROUND_ERRORS = (peewee.DatabaseError, gevent.Timeout, ESLError, TimeoutError)  # one campaign's, logged


def campaign_agent_ids(campaign: Campaign) -> frozenset[int] | None:
    """Agents a campaign may use: its chosen agents plus its team's; None means any agent."""
    chosen = {a for (a,) in rows(CampaignAgent.select(CampaignAgent.agent).where(CampaignAgent.campaign == campaign))}
    team_id = campaign.__data__.get("team")
    if team_id:
        chosen |= {a for (a,) in rows(Agent.select(Agent.id).where((Agent.team == team_id)
                                                                   & (Agent.active == True)))}  # noqa: E712
    if not chosen and not team_id:
        return None
    return frozenset(chosen)


def next_round(due: float, now: float, interval: float) -> tuple[float, float]:
    """Fixed-cadence scheduling: the round after one due at ``due`` is due ``interval`` later;
    return (its due time, how long to sleep from ``now``). A loop more than one interval
    behind starts again from ``now`` rather than running missed rounds back to back."""
    due += interval
    if now - due > interval:
        due = now
    return due, max(0.0, due - now)


class DialerGroup:
    """The campaign dialers of this process; see the module docstring."""

    def __init__(self, originator: Originator, agents: AgentPool, *, owner: str = "engine",
                 dial_string: Callable[[str], str] | None = None, clock: Clock | None = None) -> None:
        self.originator = originator
        self.clock = clock  # wakes a dialer at its abandon deadline (none: only the ticks serve it)
        self._wakeups: dict[int, tuple[dt.datetime, Timer]] = {}
        self.trunks = TrunkBackoff()  # one per process: campaigns on one trunk back off together
        self.agents = agents
        self.owner = owner
        self.dial_string = dial_string
        self.dialers: dict[int, CampaignDialer] = {}
        self.desks: dict[int, PreviewDesk] = {}
        self._loop: gevent.Greenlet | None = None
        self._now: Callable[[], dt.datetime] | None = None
        self.draining = False  # graceful stop: serve live calls, launch nothing
        self.switch_down = False
        self._seen: tuple[object, ...] | None = None  # the campaign rows as last read (watch)
        self._last_sync: float | None = None

    def add(self, campaign: Campaign) -> CampaignDialer:
        """Start dialing ``campaign`` (idempotent; the row is re-read on :meth:`refresh`)."""
        dialer = self.dialers.get(campaign.id)
        if dialer is None:
            dialer = CampaignDialer(campaign, self.originator, self.agents, owner=self.owner,
                                    agent_ids=campaign_agent_ids(campaign), dial_string=self.dial_string,
                                    trunks=self.trunks)
            self.dialers[campaign.id] = dialer
            self.desks[campaign.id] = PreviewDesk(dialer)
        return dialer

    def refresh(self) -> None:
        """Re-read each campaign row (status, priority, settings may change while running)."""
        for dialer in list(self.dialers.values()):
            fresh = Campaign.get_or_none(Campaign.id == dialer.campaign.id)
            if fresh is not None:
                dialer.campaign.__data__.update(fresh.__data__)
                dialer.agent_ids = campaign_agent_ids(fresh)
                dialer.callers.reload()
                dialer.reload_pacing()
                dialer.resolve_amd()

    def by_priority(self) -> list[CampaignDialer]:
        return sorted(self.dialers.values(), key=lambda d: (d.campaign.priority, not d.campaign.urgent, d.campaign.id))

    def tick(self, now: dt.datetime, interval: float = 1.0) -> int:
        """One pacing round over every campaign, highest priority first; returns calls launched.
        Nothing is claimed or launched while the switch is down; while draining, live calls
        are still served."""
        if not self.switch_available():
            return 0
        spoken_for: set[int] = set()
        launched = 0
        for dialer in self.by_priority():
            try:
                if self.draining:
                    dialer.serve_waiting(now)
                    self.arm(dialer)
                    continue
                free = [a for a in self.agents.ready(dialer.agent_ids) if a not in spoken_for]
                launched += dialer.tick(now, free, interval)
                self.arm(dialer)
                self.desks[dialer.campaign.id].tick(now)
                spoken_for.update(free[:dialer.agents_spoken_for()])
            except ROUND_ERRORS as exc:  # one campaign's failure must not stop the others
                log.error("dialer tick failed campaign_id=%s: %s", dialer.campaign.id, exc)
        return launched

    def switch_available(self) -> bool:
        """Whether the switch takes calls now; the change either way is logged once."""
        up = self.originator.switch_up()
        if up == self.switch_down:
            self.switch_down = not up
            if up:
                log.info("switch answering again: campaigns dial again")
            else:
                log.warning("switch down: no contact is claimed or dialed until it answers again")
        return up

    def on_event(self, call_uuid: str, name: str, now: dt.datetime, *, cause: str = "", amd_result: str = "") -> None:
        """Route one channel event to the dialer whose call it is."""
        for dialer in self.dialers.values():
            if not dialer.owns(call_uuid):
                continue
            if name in RINGING_EVENTS:
                dialer.on_ringing(call_uuid, now)
            elif name == "CHANNEL_ANSWER":
                dialer.on_answer(call_uuid, now)
            elif name == "AMD" and amd_result:
                dialer.on_amd(call_uuid, amd_result, now)
            elif name == BEEP_SUBCLASS:
                dialer.on_beep(call_uuid, now)
            elif name == "CHANNEL_BRIDGE":
                dialer.on_bridge(call_uuid, now)
            elif name == "CHANNEL_HANGUP":
                dialer.on_hangup(call_uuid, cause, now)
            elif name == "LOST":
                dialer.on_lost(call_uuid, cause, now)
            self.arm(dialer)
            return

    def arm(self, dialer: CampaignDialer) -> None:
        """Wake ``dialer`` on the clock at its next deadline (an answered human's abandon
        message is due within 2 s of the answer, not at the next once-a-second tick)."""
        deadline = dialer.abandon_deadline()
        key = dialer.campaign.id
        if self.clock is None or deadline is None:
            return
        armed = self._wakeups.get(key)
        if armed is not None:
            if armed[0] <= deadline:
                return
            armed[1].cancel()
        delay = (deadline - utc_datetime(self.clock.now())).total_seconds()
        self._wakeups[key] = (deadline, self.clock.call_later(delay, self._wake, dialer))

    def _wake(self, dialer: CampaignDialer) -> None:
        assert self.clock is not None
        self._wakeups.pop(dialer.campaign.id, None)
        if not self.originator.switch_up():
            return  # nothing can be done on the calls; the first round after it is back re-arms
        try:
            dialer.serve_waiting(utc_datetime(self.clock.now()))
        except ROUND_ERRORS as exc:
            log.error("serving waiting calls failed campaign_id=%s: %s", dialer.campaign.id, exc)
        self.arm(dialer)

    def sync(self, now: dt.datetime) -> None:
        """Calendar step (every ~30 s): pick up scheduled/running campaigns, re-read them,
        move them by their window (:func:`auto_status`) and recycle unreached contacts."""
        for campaign in Campaign.select().where(Campaign.status.in_(LIVE_STATUSES)):
            self.add(campaign)
        self.refresh()
        self._seen = self._campaign_rows()
        for dialer in list(self.dialers.values()):
            try:
                ready = len(self.agents.ready(dialer.agent_ids))
                auto_status(dialer.campaign, now, ready, self.originator.switch_capabilities())
                recycle(dialer.campaign, now)
            except (peewee.DatabaseError, LifecycleError) as exc:
                log.error("campaign housekeeping failed campaign_id=%s: %s", dialer.campaign.id, exc)

    def watch(self) -> bool:
        """Re-read the campaigns at once when a row (or its agent list) changed since the last
        look: a pause, stop or edit then holds from the next launch on. True if it changed."""
        seen = self._campaign_rows()
        if seen == self._seen:
            return False
        self._seen = seen
        for campaign in Campaign.select().where(Campaign.status.in_(LIVE_STATUSES)):
            self.add(campaign)
        self.refresh()
        return True

    def _campaign_rows(self) -> tuple[object, ...]:
        ids = list(self.dialers)
        campaigns = Campaign.select().where(Campaign.status.in_(LIVE_STATUSES) | pk(Campaign).in_(ids))
        agents = CampaignAgent.select(CampaignAgent.campaign, CampaignAgent.agent).where(
            CampaignAgent.campaign.in_(ids)).order_by(CampaignAgent.campaign, CampaignAgent.agent)
        return (tuple(sorted((c.id, repr(sorted(c.__data__.items()))) for c in campaigns)),
                tuple(rows(agents)))

    def run_round(self, moment: dt.datetime, interval: float = 1.0, sync_every: float = 30.0) -> int:
        """One round of the loop: the calendar step when due (else :meth:`watch`), then
        :meth:`tick`; returns the calls launched."""
        if self._last_sync is None or seconds(moment) - self._last_sync >= sync_every:
            self.sync(moment)
            self._last_sync = seconds(moment)
        else:
            self.watch()
        return self.tick(moment, interval)

    def pacing_status(self, campaign_id: int, now: dt.datetime | None = None) -> dict[str, Any] | None:
        """The campaign's last pacing decision, pacer estimates and abandon rates
        (:meth:`CampaignDialer.pacing_status`); None when this group does not dial it.
        ``now`` defaults to the clock the loop runs on."""
        dialer = self.dialers.get(campaign_id)
        if dialer is None:
            return None
        if now is None:
            now = self._now() if self._now is not None else dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return dialer.pacing_status(now)

    def awaiting_amd(self, call_uuid: str) -> bool:
        """Whether some campaign waits for this call's AMD verdict."""
        return any(d.awaiting_amd(call_uuid) for d in self.dialers.values())

    def start(self, now: Callable[[], dt.datetime], interval: float = 1.0, sync_every: float = 30.0) -> gevent.Greenlet:
        """Run :meth:`tick` every ``interval`` seconds (and :meth:`sync` every ``sync_every``)
        in a greenlet until :meth:`stop`.

        Rounds start on a fixed cadence (the time a round takes is not added to the
        interval), so each campaign's pacer is asked at least once per ``interval`` unless a
        round itself runs longer; a late loop skips the missed rounds instead of bursting."""
        self._now = now

        def loop() -> None:
            due = time.monotonic()
            while True:
                try:
                    self.run_round(now(), interval, sync_every)
                except Exception:  # the loop outlives any one bad round; the error is logged
                    log.exception("campaign dialer round failed")
                due, pause = next_round(due, time.monotonic(), interval)
                gevent.sleep(pause)
        self._loop = gevent.spawn(loop)
        return self._loop

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.kill(block=True, timeout=5)
            self._loop = None
