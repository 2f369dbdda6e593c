"""The agent desk page (/desk) and its live feed; actions go through /api/v1/desk/*."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from control.access import roles
from control.admin.contacts import mask_number
from control.api.desk import BREAK_REASONS, TRANSFER_KINDS, agent_state_of
from control.desk_service import CALLBACK_HELP, find_contact, own_callbacks
from control.engine_link import call_info
from control.live import stream
from engine.api import DomainEvent
from engine.store import Agent, Campaign, CampaignAgent

bp = Blueprint("desk", __name__, url_prefix="/desk")


def _agent() -> Agent | None:
    agent: Agent | None = Agent.get_or_none(Agent.user == current_user.user)
    return agent


@bp.route("/")
@roles("agent")
def page() -> Any:
    agent = _agent()
    campaigns = list(Campaign.select().join(CampaignAgent).where(CampaignAgent.agent == agent)
                     .order_by(Campaign.priority, Campaign.name)) if agent else []
    return render_template("desk.html", agent=agent, state=agent_state_of(agent) if agent else {}, campaigns=campaigns,
                           callbacks=own_callbacks(agent) if agent else [], reasons=BREAK_REASONS,
                           transfer_kinds=TRANSFER_KINDS, callback_help=CALLBACK_HELP)


def desk_call(agent: Agent, call_uuid: str) -> dict[str, Any]:
    """The call as the desk shows it: contact resolved here, numbers masked when the campaign says so."""
    info = call_info(call_uuid)
    contact = find_contact(agent, info.get("contact_id"), str(info.get("caller_number") or info.get("number") or ""))
    if contact is not None:
        info["contact_id"] = contact.id
        if contact.campaign.mask_numbers:
            for key in ("caller_number", "number", "destination"):
                if info.get(key):
                    info[key] = mask_number(str(info[key]))
    return info


@bp.route("/events")
@roles("agent")
def events() -> Any:
    """SSE: this agent's state, and the calls offered to, answered or ended by it."""
    agent = _agent()
    if agent is None:
        return "no agent profile", 409
    agent_id = agent.id

    def with_call(state: dict[str, Any]) -> dict[str, Any]:
        # A ringing or connected agent gets the call's numbers and contact for the screen pop.
        if state.get("call_uuid"):
            return {**state, "call": desk_call(Agent.get_by_id(agent_id), str(state["call_uuid"]))}
        return state

    def snapshot() -> dict[str, Any]:
        return with_call(agent_state_of(Agent.get_by_id(agent_id)))

    def want(event: DomainEvent) -> dict[str, Any] | None:
        if event.data.get("agent_id") != agent_id:
            return None
        if event.kind == "agent.state":
            return with_call(dict(event.data))
        if event.kind.startswith(("call.", "preview.")):
            return dict(event.data)
        return None

    limit = float(request.args["limit"]) if "limit" in request.args else None
    return stream(snapshot, want, every=10.0, limit=limit)
