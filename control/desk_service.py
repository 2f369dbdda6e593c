# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""What the agent desk does besides call control: the screen pop data, dispositions, callbacks.

Call control goes to the engine (``EngineAPI``); dispositions, callbacks, DNC and webhooks
go through ``engine.campaigns.dispositions`` (one transaction per submission).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from control.admin.contacts import contact_dict, history
from control.engine_link import maybe_engine
from control.forms import FieldError
from control.questionnaire import clean_answers, questions
from engine.api import EngineError
from engine.store import Agent, Callback, Campaign, Contact, DispositionType

CALLBACK_HELP = 'e.g. "45m", "3h", "2d", "1w" or a date "2026-12-01 14:30" (UTC)'


def disposition_types(campaign: Campaign | None) -> list[DispositionType]:
    """The agent's picker: the default set overlaid with the campaign's own types."""
    from engine.campaigns import dispositions

    dispositions.ensure_default_types()  # idempotent; the store may predate a new default
    if campaign is None:
        return list(DispositionType.select().where(DispositionType.campaign.is_null()).order_by(DispositionType.id))
    return dispositions.disposition_types(campaign)


def render_script(campaign: Campaign | None, contact: Contact | None) -> str:
    """The campaign script with {first_name}-style fields filled from the contact."""
    if campaign is None or not campaign.script:
        return ""
    values: dict[str, Any] = {}
    if contact is not None:
        values = {**(contact.custom or {}), **{k: v for k, v in contact_dict(contact).items() if isinstance(v, str)}}

    class _Keep(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return str(campaign.script).format_map(_Keep(values))
    except (ValueError, IndexError):
        return str(campaign.script)


def find_contact(agent: Agent, contact_id: int | None, number: str) -> Contact | None:
    """The contact of a call: by id (outbound) or by caller number within the agent's team."""
    query = Contact.select().join(Campaign)
    if agent.team_id is not None:
        query = query.where(Campaign.team == agent.team_id)
    else:
        query = query.where(Campaign.team.is_null())
    if contact_id:
        return query.where(Contact.id == contact_id).first()
    if number:
        digits = number if number.startswith("+") else "+" + number.lstrip("0")
        return query.where(Contact.phone.in_([number, digits])).order_by(Contact.id.desc()).first()
    return None


def screen_pop(agent: Agent, contact: Contact | None) -> dict[str, Any]:
    """Everything the pop shows: contact fields, history, script, dispositions."""
    campaign = contact.campaign if contact is not None else None
    mask = bool(campaign and campaign.mask_numbers)
    return {
        "contact": contact_dict(contact, mask=mask) if contact is not None else None,
        "history": history(contact) if contact is not None else [],
        "campaign": {"id": campaign.id, "name": campaign.name, "preview_countdown_seconds": campaign.preview_countdown_seconds}
        if campaign is not None else None,
        "script": render_script(campaign, contact),
        "questions": questions(campaign.settings) if campaign is not None else [],
        "dispositions": [{"code": d.code, "label": d.label, "final": d.final} for d in disposition_types(campaign)],
    }


def save_disposition(agent: Agent, contact: Contact, code: str, notes: str = "",
                     callback: str = "", now: dt.datetime | None = None, answers: Any = None) -> Any:
    """Record the agent's result (engine.campaigns.dispositions), then end wrap-up or hang up
    as the campaign says and deliver its webhook. Returns the engine's SubmitResult."""
    from engine.campaigns.dispositions import submit_disposition
    from engine.campaigns.errors import CampaignError

    cleaned = clean_answers(contact.campaign.settings, answers)
    try:
        result = submit_disposition(contact, code, agent_id=agent.id, notes=notes, callback=callback or None, now=now,
                                    answers=cleaned)
    except CampaignError as exc:
        raise FieldError("callback" if exc.field == "due" else exc.field, exc.message) from None
    result.send_webhook()
    _after_submit(agent, result.hangup, result.end_wrap_up)
    return result


def latest_callback(agent: Agent, contact: Contact) -> Callback | None:
    return (Callback.select().where((Callback.contact == contact) & (Callback.agent == agent) & (Callback.done == False))  # noqa: E712
            .order_by(Callback.id.desc()).first())


def _after_submit(agent: Agent, hangup: bool, end_wrap_up: bool) -> None:
    engine = maybe_engine()
    if engine is None:
        return
    for wanted, command in ((hangup, engine.hangup), (end_wrap_up, engine.end_wrap_up)):
        if not wanted:
            continue
        try:
            command(agent.id)
        except EngineError:
            pass  # no call / no wrap-up any more: nothing left to end


def _name(contact: Contact | None) -> str:
    return f"{contact.first_name} {contact.last_name}".strip() if contact is not None else ""


def own_callbacks(agent: Agent, include_done: bool = False) -> list[dict[str, Any]]:
    query = Callback.select().where(Callback.agent == agent)
    if not include_done:
        query = query.where(Callback.done == False)  # noqa: E712
    return [{"id": c.id, "contact": c.contact_id, "campaign": c.campaign_id, "phone": c.phone,
             "due_at": c.due_at.isoformat(timespec="minutes"), "reason": c.reason, "done": c.done,
             "name": _name(c.contact) if c.contact_id else ""}
            for c in query.order_by(Callback.due_at).limit(200)]
