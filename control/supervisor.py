"""The supervisor wallboard (/supervisor): agents, queues, campaigns, live over SSE."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from control.access import MANAGERS, READERS, roles
from control.api.supervisor import FORCE_ACTIONS, force_agent_state
from control.live import stream
from control.wallboard import visible_agent_ids, wallboard
from engine.api import DomainEvent

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.route("/")
@roles(*READERS)
def page() -> Any:
    return render_template("supervisor.html", board=wallboard(current_user.user),
                           can_force=current_user.role in MANAGERS, actions=FORCE_ACTIONS)


@bp.route("/events")
@roles(*READERS)
def events() -> Any:
    """SSE: agent state changes of visible agents, queue and campaign stats, and snapshots."""
    user = current_user.user
    agent_ids = visible_agent_ids(user)

    def want(event: DomainEvent) -> dict[str, Any] | None:
        if event.kind.startswith("agent.") and event.data.get("agent_id") not in agent_ids:
            return None
        if event.kind.startswith(("agent.", "queue.", "campaign.", "call.")):
            return dict(event.data)
        return None

    limit = float(request.args["limit"]) if "limit" in request.args else None
    return stream(lambda: wallboard(user), want, every=3.0, limit=limit)


@bp.route("/agents/<int:agent_id>/<action>", methods=["POST"])
@roles(*MANAGERS)
def force(agent_id: int, action: str) -> Any:
    force_agent_state(agent_id, action, request.form.get("reason", ""))
    flash(f"Agent {agent_id}: {action} sent.")
    return redirect(url_for(".page"))
