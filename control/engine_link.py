# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""The control plane's one door to the engine: ``EngineAPI`` from ``app.config``.

When the engine is not running (``fscc web`` alone, tests) pages show the store's state
and commands answer 503 with a clear message instead of failing half-way.
"""
from __future__ import annotations

from typing import Any

import peewee
from flask import current_app

from engine.api import EngineAPI, EngineError
from engine.capabilities import SwitchCapabilities
from engine.store import Agent, AgentStateInterval, Attempt, Campaign, Contact

NOT_RUNNING = "the engine is not running: start it with `fscc run` (or `fscc engine`) and try again"


def maybe_engine() -> EngineAPI | None:
    engine: EngineAPI | None = current_app.config.get("FSCC_ENGINE")
    return engine


def engine() -> EngineAPI:
    """The running engine, or EngineError(503) saying it is not running."""
    found = maybe_engine()
    if found is None:
        raise EngineError(NOT_RUNNING, status=503)
    return found


def agent_states() -> dict[int, dict[str, Any]]:
    """Every agent's current state: from the engine when it runs, else from the store."""
    found = maybe_engine()
    if found is not None:
        snapshot = found.snapshot()
        agents = snapshot.get("agents", [])
        items = agents.values() if isinstance(agents, dict) else agents
        return {int(a["agent_id"]): dict(a) for a in items if "agent_id" in a}
    return stored_agent_states()


def call_info(call_uuid: str) -> dict[str, Any]:
    """What the desk needs to pop a call: its numbers, and contact/campaign for campaign calls."""
    info: dict[str, Any] = {"call_uuid": call_uuid}
    if not call_uuid:
        return info
    attempt = Attempt.get_or_none(Attempt.origination_uuid == call_uuid)
    if attempt is not None:
        info.update(contact_id=attempt.contact_id, campaign_id=attempt.campaign_id, number=attempt.phone)
    found = maybe_engine()
    if found is not None:
        for call in found.snapshot().get("calls", []):
            if call.get("uuid") == call_uuid:
                info.update(caller_number=call.get("caller") or "", destination=call.get("destination") or "",
                            queue=call.get("queue") or "", answered=bool(call.get("answered")))
                break
    return info


def stored_agent_states() -> dict[int, dict[str, Any]]:
    """The open state interval of every agent (logged_out when there is none)."""
    states: dict[int, dict[str, Any]] = {
        agent.id: {"agent_id": agent.id, "state": "logged_out", "reason": "", "since": None}
        for agent in Agent.select(Agent.id)
    }
    query = AgentStateInterval.select().where(AgentStateInterval.ended_at.is_null())
    for row in query.order_by(AgentStateInterval.started_at):
        states[row.agent_id] = {"agent_id": row.agent_id, "state": row.state, "reason": row.reason,
                                "call_uuid": row.call_uuid, "since": row.started_at.isoformat()}
    return states


def campaign_progress(campaign: Campaign) -> dict[str, int]:
    """Contacts per status (new, done, failed, ...) and the total."""
    rows: Any = (Contact.select(Contact.status, peewee.fn.COUNT(Contact.id).alias("n"))
            .where(Contact.campaign == campaign).group_by(Contact.status).tuples())
    counts = {status: int(n) for status, n in rows}
    counts["total"] = sum(counts.values())
    return counts


def switch_capabilities() -> list[SwitchCapabilities] | None:
    """What the running engine's FreeSWITCH nodes can do (``snapshot()["switches"]``), None
    without an engine (the engine checks again before it dials)."""
    found = maybe_engine()
    if found is None:
        return None
    snapshot = found.snapshot()
    if "switches" not in snapshot:
        return None
    return [SwitchCapabilities.from_view(node, view) for node, view in (snapshot["switches"] or {}).items()]


def transition_campaign(campaign: Campaign, action: str) -> Campaign:
    """Lifecycle buttons: schedule, start, pause, resume, complete, restart, second_pass, draft."""
    from engine.campaigns import lifecycle

    target = {"schedule": "scheduled", "start": "running", "resume": "running", "pause": "paused",
              "complete": "completed", "draft": "draft"}.get(action)
    if action == "restart":
        return lifecycle.restart(campaign)
    if action == "second_pass":
        lifecycle.second_pass(campaign)
        return campaign
    if target is None:
        raise EngineError(f"unknown action {action!r}", field="action", status=400)
    from engine.campaigns.errors import LifecycleError

    ready = sum(1 for s in agent_states().values() if s.get("state") == "available")
    switches = switch_capabilities()
    starting_from = campaign.status
    if target == "running":  # what the switches lack refuses the start before any status moves
        refusal = lifecycle.switch_refusal(campaign, switches)
        if refusal:
            raise LifecycleError(campaign.status, target, refusal)
    if target == "running" and campaign.status == "draft":
        lifecycle.transition(campaign, "scheduled")  # draft reaches running through scheduled
    try:
        return lifecycle.transition(campaign, target, ready_agents=ready, switches=switches)
    except LifecycleError as exc:
        # Start with nobody ready yet: it stays (or becomes) scheduled; the engine runs it
        # once an agent is ready.
        if target == "running" and exc.reason == "no agent ready" and starting_from != "scheduled":
            if campaign.status != "scheduled":
                lifecycle.transition(campaign, "scheduled")
            return campaign
        raise


LIFECYCLE_ACTIONS = ("schedule", "start", "pause", "resume", "complete", "restart", "second_pass", "draft")
ACTION_TARGETS = {"schedule": "scheduled", "start": "running", "resume": "running", "pause": "paused",
                  "complete": "completed", "draft": "draft", "restart": "scheduled"}


def available_actions(status: str) -> list[str]:
    """Lifecycle buttons that make sense from ``status`` (the engine's transition table)."""
    from engine.campaigns.lifecycle import ALLOWED

    actions = []
    for action in LIFECYCLE_ACTIONS:
        if action == "second_pass":
            ok = status in ("paused", "completed", "scheduled")
        elif action == "start":
            ok = status in ("draft", *ALLOWED["running"]) and status != "paused"
        elif action == "resume":
            ok = status == "paused"
        elif action == "restart":
            ok = status == "completed"
        else:
            ok = status in ALLOWED[ACTION_TARGETS[action]]
        if ok:
            actions.append(action)
    return actions
