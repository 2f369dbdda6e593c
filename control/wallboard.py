# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""The supervisor's view of agents, queues and campaigns, scoped to the viewer's teams.

Live numbers come from ``EngineAPI.snapshot()`` when the engine runs; otherwise the
store's open state intervals and contact counts stand in.
"""
from __future__ import annotations

from typing import Any

from control.access import scoped
from control.engine_link import agent_states, campaign_progress, maybe_engine
from engine.store import Agent, Campaign, Queue, QueueMember, User


def _engine_queues() -> dict[str, dict[str, Any]]:
    """Live queue stats by queue name, each with its calls not yet answered."""
    engine = maybe_engine()
    if engine is None:
        return {}
    snapshot = engine.snapshot()
    queues = {str(q["name"]): {**q, "calls": []} for q in snapshot.get("queues", []) if "name" in q}
    for call in snapshot.get("calls", []):
        queue = queues.get(str(call.get("queue") or ""))
        if queue is not None and call.get("role") == "customer" and not call.get("bridged_to"):
            queue["calls"].append({"call_uuid": call.get("uuid"), "caller_number": call.get("caller"),
                                   "state": call.get("state"), "agent_id": call.get("agent_id")})
    return queues


def _since(state: dict[str, Any]) -> str:
    """How long the agent has been in its state: the engine's seconds, or the stored start."""
    if "seconds_in_state" in state:
        seconds = int(state["seconds_in_state"])
        return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
    return str(state.get("since") or "")


def visible_agent_ids(user: User) -> set[int]:
    return {a.id for a in scoped(Agent.select(Agent.id), Agent.team, user)}


def wallboard(user: User) -> dict[str, Any]:
    """Agents with their state, queues with waiting calls, campaigns with progress."""
    states = agent_states()
    agents = []
    for agent in scoped(Agent.select(), Agent.team, user).where(Agent.active == True).order_by(Agent.extension):  # noqa: E712
        state = states.get(agent.id, {})
        agents.append({"id": agent.id, "name": agent.name, "extension": agent.extension,
                       "team": agent.team.name if agent.team_id else "", "state": state.get("state", "logged_out"),
                       "reason": state.get("reason", ""), "since": _since(state),
                       "call_uuid": state.get("call_uuid", "")})
    live = _engine_queues()
    queues = []
    for queue in scoped(Queue.select(), Queue.team, user).order_by(Queue.name):
        members = [m.agent_id for m in QueueMember.select(QueueMember.agent).where(QueueMember.queue == queue)]
        stats = live.get(queue.name, {})
        queues.append({"id": queue.id, "name": queue.name, "strategy": queue.strategy,
                       "members": len(members),
                       "available": sum(1 for m in members if states.get(m, {}).get("state") == "available"),
                       "waiting": int(stats.get("waiting", 0)),
                       "answered": stats.get("answered", 0), "abandoned": stats.get("abandoned", 0),
                       "service_level": stats.get("service_level"), "calls": stats.get("calls", [])})
    campaigns = []
    for campaign in scoped(Campaign.select(), Campaign.team, user).where(Campaign.status != "completed").order_by(Campaign.priority, Campaign.name):
        campaigns.append({"id": campaign.id, "name": campaign.name, "status": campaign.status,
                          "dial_mode": campaign.dial_mode, "contacts": campaign_progress(campaign)})
    return {"agents": agents, "queues": queues, "campaigns": campaigns, "engine": maybe_engine() is not None}


def queue_calls(queue: Queue) -> list[dict[str, Any]]:
    """Calls waiting in (or being offered from) one queue, oldest first."""
    calls: list[dict[str, Any]] = _engine_queues().get(queue.name, {}).get("calls", [])
    return calls
