"""Supervisor routes: the wallboard as JSON, forcing agent states, a queue's call list."""
from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from control import crud
from control.access import MANAGERS, READERS
from control.api import body, bp, ok
from control.api.resources import _require
from control.auth import audit
from control.engine_link import engine
from control.forms import FieldError
from control.resources import get
from control.wallboard import queue_calls, visible_agent_ids, wallboard

FORCE_ACTIONS = ("ready", "break", "logout")


@bp.route("/wallboard")
def wallboard_view() -> Any:
    _require(READERS)
    return ok(wallboard(current_user.user))


def force_agent_state(agent_id: int, action: str, reason: str = "") -> None:
    """Set another agent's state (ready, break with a reason, logout); audited."""
    if agent_id not in visible_agent_ids(current_user.user):
        abort(404, description=f"no agent with id {agent_id}")
    if action not in FORCE_ACTIONS:
        raise FieldError("action", f"must be one of {', '.join(FORCE_ACTIONS)}")
    api = engine()
    if action == "ready":
        api.agent_ready(agent_id)
    elif action == "break":
        api.agent_break(agent_id, reason or "supervisor")
    else:
        api.agent_logout(agent_id)
    audit("agent.force_" + action, "agents", agent_id, reason=reason)


@bp.route("/agents/<int:agent_id>/force/<action>", methods=["POST"])
def agent_force(agent_id: int, action: str) -> Any:
    _require(MANAGERS)
    reason = str(body().get("reason", ""))[:60]
    force_agent_state(agent_id, action, reason)
    return ok({"agent_id": agent_id, "action": action})


@bp.route("/queues/<int:object_id>/calls")
def queue_calls_view(object_id: int) -> Any:
    _require(READERS)
    queue = crud.fetch(get("queues"), current_user.user, object_id)
    return ok({"queue": queue.id, "calls": queue_calls(queue)})
