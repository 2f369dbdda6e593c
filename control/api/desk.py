# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""The agent desk's API: state, call control through the engine, dispositions, callbacks.

Every route acts on the signed-in agent's own profile (``Agent.user``); agents never act
for somebody else.
"""
from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_login import current_user

from control.api import body, bp, ok
from control.api.resources import _require
from control.auth import audit
from control.desk_service import (
    find_contact,
    latest_callback,
    own_callbacks,
    save_disposition,
    screen_pop,
)
from control.engine_link import engine, maybe_engine, stored_agent_states
from control.forms import FieldError
from engine.api import EngineError
from engine.store import Agent, Campaign, CampaignAgent

DESK_ROLES = ("agent",)
TRANSFER_KINDS = ("agent", "queue", "number")
BREAK_REASONS = ("break", "lunch", "meeting", "training", "after_call_work", "other")


def my_agent() -> Agent:
    _require(DESK_ROLES)
    agent = Agent.get_or_none(Agent.user == current_user.user)
    if agent is None or not agent.active:
        abort(409, description="your user has no active agent profile; ask an admin to link one")
    return agent


def agent_state_of(agent: Agent) -> dict[str, Any]:
    """The agent's live state; the store's when the engine is away or does not know it yet."""
    found = maybe_engine()
    if found is not None:
        try:
            return {"agent_id": agent.id, **found.agent_state(agent.id)}
        except EngineError:
            pass  # a new agent the engine has not loaded yet
    return stored_agent_states().get(agent.id, {"agent_id": agent.id, "state": "logged_out"})


def _text(data: dict[str, Any], name: str, *, required: bool = True, max_length: int = 120) -> str:
    value = data.get(name, "")
    if not isinstance(value, (str, int)):
        raise FieldError(name, "must be text")
    text = str(value).strip()
    if required and not text:
        raise FieldError(name, "is required")
    if len(text) > max_length:
        raise FieldError(name, f"must be at most {max_length} characters")
    return text


@bp.route("/desk/state")
def desk_state() -> Any:
    agent = my_agent()
    return ok({"agent": {"id": agent.id, "name": agent.name, "extension": agent.extension},
               "state": agent_state_of(agent), "engine": maybe_engine() is not None})


@bp.route("/desk/login", methods=["POST"])
def desk_login() -> Any:
    agent = my_agent()
    extension = _text(body(), "extension", max_length=32)
    if extension != agent.extension:
        raise FieldError("extension", f"extension {extension} is not yours")
    engine().agent_login(agent.id)
    audit("desk.login", "agents", agent.id, extension=extension)
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/<any(ready, logout, hangup):action>", methods=["POST"])
def desk_simple(action: str) -> Any:
    agent = my_agent()
    command = {"ready": engine().agent_ready, "logout": engine().agent_logout, "hangup": engine().hangup}[action]
    command(agent.id)
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/break", methods=["POST"])
def desk_break() -> Any:
    agent = my_agent()
    reason = _text(body(), "reason", max_length=60)
    if reason not in BREAK_REASONS:
        raise FieldError("reason", f"must be one of {', '.join(BREAK_REASONS)}")
    engine().agent_break(agent.id, reason)
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/dial", methods=["POST"])
def desk_dial() -> Any:
    """Click-to-dial a number, or a contact's number (``contact_id``) for its campaign."""
    agent = my_agent()
    data = body()
    contact = None
    if data.get("contact_id"):
        contact = find_contact(agent, _int(data, "contact_id"), "")
        if contact is None:
            raise FieldError("contact_id", "no such contact in your team")
    number = _text(data, "number", required=contact is None, max_length=32) or (contact.phone if contact else "")
    if not all(ch.isdigit() or ch in "+*#" for ch in number):
        raise FieldError("number", "may hold digits, +, * and # only")
    uuid = engine().dial(agent.id, number, contact.campaign_id if contact else None, contact.id if contact else None)
    audit("desk.dial", "contacts" if contact else "number", contact.id if contact else number)
    return ok({"call_uuid": uuid})


def _int(data: dict[str, Any], name: str) -> int:
    try:
        return int(data.get(name))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise FieldError(name, "must be a whole number") from None


@bp.route("/desk/hold", methods=["POST"])
def desk_hold() -> Any:
    agent = my_agent()
    on = body().get("on", True)
    engine().hold(agent.id, on not in (False, "false", "0", "off", 0))
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/dtmf", methods=["POST"])
def desk_dtmf() -> Any:
    agent = my_agent()
    digits = _text(body(), "digits", max_length=32)
    if not all(ch in "0123456789*#ABCD" for ch in digits):
        raise FieldError("digits", "may hold 0-9, *, # and A-D only")
    engine().send_dtmf(agent.id, digits)
    return ok()


@bp.route("/desk/transfer", methods=["POST"])
def desk_transfer() -> Any:
    """Blind or attended transfer to an agent, a queue or a number."""
    agent = my_agent()
    data = body()
    kind = _text(data, "kind", max_length=16)
    if kind not in TRANSFER_KINDS:
        raise FieldError("kind", f"must be one of {', '.join(TRANSFER_KINDS)}")
    target = _text(data, "target", max_length=64)
    engine().transfer(agent.id, kind, target, attended=bool(data.get("attended", False)))
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/consult", methods=["POST"])
def desk_consult() -> Any:
    """Attended transfer, step one: talk to an agent or a number while the caller holds."""
    agent = my_agent()
    data = body()
    kind = _text(data, "kind", required=False, max_length=16) or "agent"
    if kind not in ("agent", "number"):
        raise FieldError("kind", "must be agent or number")
    engine().transfer(agent.id, kind, _text(data, "target", max_length=64), attended=True)
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/transfer/<any(complete, cancel):step>", methods=["POST"])
def desk_transfer_step(step: str) -> Any:
    """Attended transfer, step two: hand the caller over, or go back to the caller."""
    agent = my_agent()
    command = getattr(engine(), f"{step}_transfer", None)
    if command is None:
        raise EngineError(f"this engine cannot {step} a transfer", status=501)
    command(agent.id)
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/three_way", methods=["POST"])
def desk_three_way() -> Any:
    """Join the caller, the agent and a third number in one conference."""
    agent = my_agent()
    number = _text(body(), "target", max_length=32)
    command = getattr(engine(), "three_way", None)
    if command is None:
        raise EngineError("this engine cannot make three-way calls", status=501)
    return ok({"call_uuid": command(agent.id, number), "state": agent_state_of(agent)})


@bp.route("/desk/wrap-up", methods=["POST"])
def desk_wrap_up() -> Any:
    """``{"extend": seconds}`` adds time; ``{"end": true}`` ends wrap-up now."""
    agent = my_agent()
    data = body()
    if data.get("end"):
        engine().end_wrap_up(agent.id)
    else:
        seconds = _int(data, "extend")
        if not 1 <= seconds <= 3600:
            raise FieldError("extend", "must be between 1 and 3600 seconds")
        engine().extend_wrap_up(agent.id, seconds)
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/pickup", methods=["POST"])
def desk_pickup() -> Any:
    agent = my_agent()
    engine().pickup(agent.id, _text(body(), "call_uuid", max_length=64))
    return ok({"state": agent_state_of(agent)})


@bp.route("/desk/pop")
def desk_pop() -> Any:
    """The screen pop for a contact (``contact_id``) or a caller number (``number``)."""
    agent = my_agent()
    contact_id = request.args.get("contact_id", "")
    contact = find_contact(agent, int(contact_id) if contact_id.isdigit() else None, request.args.get("number", ""))
    return ok(screen_pop(agent, contact))


@bp.route("/desk/disposition", methods=["POST"])
def desk_disposition() -> Any:
    """``{"contact_id", "code", "notes", "callback": "3h"|"2d"|"YYYY-MM-DD HH:MM", "answers": {key: answer}}``."""
    agent = my_agent()
    data = body()
    contact = find_contact(agent, _int(data, "contact_id"), "")
    if contact is None:
        raise FieldError("contact_id", "no such contact in your team")
    wants_callback = _text(data, "callback", required=False, max_length=40)
    result = save_disposition(agent, contact, _text(data, "code", required=False, max_length=60),
                              _text(data, "notes", required=False, max_length=10_000), wants_callback,
                              answers=data.get("answers"))
    callback = latest_callback(agent, contact) if result.contact_status == "callback" else None
    audit("disposition", "contacts", contact.id, code=result.disposition.code, callback=callback is not None)
    return ok({"disposition": {"id": result.disposition.id, "code": result.disposition.code},
               "callback": {"id": callback.id, "due_at": callback.due_at.isoformat(timespec="minutes")}
               if callback else None, "contact_status": result.contact_status}, 201)


@bp.route("/desk/fetch", methods=["POST"])
def desk_fetch() -> Any:
    """``{"campaign_id"}``: take up to ``fetch_max`` unowned contacts (campaign must allow it)."""
    from engine.campaigns.assignment import fetch_for_agent
    from engine.campaigns.errors import CampaignError

    agent = my_agent()
    campaign = _my_campaign(agent, _int(body(), "campaign_id"))
    try:
        given = fetch_for_agent(campaign, agent.id)
    except CampaignError as exc:
        raise FieldError(exc.field, exc.message) from None
    audit("desk.fetch", "campaigns", campaign.id, contacts=len(given))
    return ok({"contacts": given})


def _my_campaign(agent: Agent, campaign_id: int) -> Campaign:
    campaign = (Campaign.select().join(CampaignAgent)
                .where((Campaign.id == campaign_id) & (CampaignAgent.agent == agent)).first())
    if campaign is None:
        raise FieldError("campaign_id", "not one of your campaigns")
    return campaign


@bp.route("/desk/preview/<any(next, dial, skip):step>", methods=["POST"])
def desk_preview(step: str) -> Any:
    """Preview mode: ``next`` shows a record (with its countdown), ``dial`` calls it, ``skip`` hands it back.

    Needs the engine's preview desk (``preview_next``/``preview_dial``/``preview_skip``)."""
    agent = my_agent()
    command = getattr(engine(), f"preview_{step}", None)
    if command is None:
        raise EngineError("this engine has no preview desk yet", status=501)
    result = command(agent.id)
    return ok({"result": result, "state": agent_state_of(agent)})


@bp.route("/desk/callbacks")
def desk_callbacks() -> Any:
    agent = my_agent()
    return ok({"items": own_callbacks(agent)})


