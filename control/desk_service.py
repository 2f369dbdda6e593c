# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""What the agent desk does besides call control: the screen pop data, dispositions, callbacks.

Call control goes to the engine (``EngineAPI``); dispositions and callbacks are written
here, each submission in one transaction (contact result, DNC entry, callback row).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import peewee

from control.admin.contacts import contact_dict, history
from control.engine_link import maybe_engine, parse_callback_time
from control.forms import FieldError
from engine.api import EngineError
from engine.store import (
    Agent,
    Attempt,
    Callback,
    Campaign,
    Contact,
    Disposition,
    DispositionType,
    User,
    database,
    utcnow,
)

CALLBACK_HELP = 'e.g. "45m", "3h", "2d", "1w" or a date "2026-12-01 14:30" (UTC)'


def disposition_types(campaign: Campaign | None) -> list[DispositionType]:
    """The campaign's own dispositions, or the default set when it has none."""
    if campaign is not None:
        own = list(DispositionType.select().where(DispositionType.campaign == campaign).order_by(DispositionType.id))
        if own:
            return own
    return list(DispositionType.select().where(DispositionType.campaign.is_null()).order_by(DispositionType.id))


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
        "dispositions": [{"code": d.code, "label": d.label, "final": d.final} for d in disposition_types(campaign)],
    }


def save_disposition(agent: Agent, user: User, contact: Contact, code: str, notes: str = "",
                     callback: str = "", now: dt.datetime | None = None) -> tuple[Disposition, Callback | None]:
    """Record the agent's result for a contact, with an optional callback ("3h", "2d", a date)."""
    now = now or utcnow()
    campaign = contact.campaign
    kinds = {d.code: d for d in disposition_types(campaign)}
    if code not in kinds:
        raise FieldError("code", f"must be one of {', '.join(kinds) or '(no dispositions defined)'}")
    if len(notes) > 10_000:
        raise FieldError("notes", "must be at most 10000 characters")
    due = None
    if callback.strip():
        try:
            due = parse_callback_time(callback, now)
        except ValueError as exc:
            raise FieldError("callback", str(exc)) from None
    kind = kinds[code]
    attempt = (Attempt.select().where((Attempt.contact == contact) & (Attempt.agent == agent))
               .order_by(Attempt.created_at.desc()).first())
    with database.atomic():
        row = Disposition.create(contact=contact, attempt=attempt, agent=agent, code=code, notes=notes)
        contact.disposition = code
        fields: list[peewee.Field] = [Contact.disposition]
        callback_row = None
        if kind.adds_to_dnc:
            from engine.campaigns.dnc import add_dnc

            level = campaign.dnc_level
            add_dnc(contact.phone, scope=level, team=campaign.team_id if level == "team" else None,
                    campaign=campaign.id if level == "campaign" else None, reason=f"disposition {code}")
            contact.status = "dnc"
            fields.append(Contact.status)
        elif due is not None:
            callback_row = Callback.create(contact=contact, campaign=campaign, team=campaign.team_id, agent=agent,
                                           phone=contact.phone, due_at=due, reason=notes[:120],
                                           created_by=user)
            contact.status, contact.next_attempt_at = "callback", due
            fields += [Contact.status, Contact.next_attempt_at]
        elif kind.final:
            contact.status = "done"
            fields.append(Contact.status)
        contact.save(only=fields)
    _after_submit(agent, campaign)
    return row, callback_row


def _after_submit(agent: Agent, campaign: Campaign) -> None:
    engine = maybe_engine()
    if engine is None:
        return
    try:
        if campaign.hangup_after_submit:
            engine.hangup(agent.id)
        if campaign.auto_end_wrap_up:
            engine.end_wrap_up(agent.id)
    except EngineError:
        pass  # not in a call / not in wrap-up any more: nothing left to end


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
