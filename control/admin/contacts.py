# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Contacts of a campaign as the pages and the API see them: list, add, remove, export."""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from control.forms import FieldError, ValidationFailed
from engine.store import Campaign, Contact, Disposition

LIST_FIELDS = ("id", "phone", "first_name", "last_name", "organisation", "status", "attempts",
               "last_outcome", "disposition", "owner")
FORM_KEYS = ("phone", "phone2", "phone3", "phone4", "phone5", "first_name", "last_name",
             "organisation", "position", "extra", "priority")


def contact_rows(campaign: Campaign, status: str = "", *, limit: int = 100, offset: int = 0) -> list[Contact]:
    query = Contact.select().where(Contact.campaign == campaign)
    if status:
        query = query.where(Contact.status == status)
    return list(query.order_by(Contact.id).limit(limit).offset(offset))


def contact_dict(contact: Contact, *, mask: bool = False) -> dict[str, Any]:
    """A contact for the API and the screen pop; ``mask`` hides all but the last digits."""
    phones = [mask_number(p) if mask else p for p in contact.phones]
    return {
        "id": contact.id, "campaign": contact.campaign_id, "phone": phones[0], "alt_phones": phones[1:],
        "first_name": contact.first_name, "last_name": contact.last_name,
        "organisation": contact.organisation, "position": contact.position, "extra": contact.extra,
        "custom": contact.custom, "priority": contact.priority, "status": contact.status,
        "attempts": contact.attempts, "last_outcome": contact.last_outcome,
        "disposition": contact.disposition, "owner": contact.owner_id,
    }


def mask_number(phone: str) -> str:
    return phone[:3] + "•" * max(0, len(phone) - 6) + phone[-3:] if len(phone) > 6 else "•" * len(phone)


def history(contact: Contact) -> list[dict[str, Any]]:
    """Earlier dispositions of this contact, newest first."""
    rows = Disposition.select().where(Disposition.contact == contact).order_by(Disposition.created_at.desc()).limit(20)
    return [{"at": d.created_at.isoformat(timespec="seconds"), "code": d.code, "notes": d.notes,
             "agent": d.agent_id} for d in rows]


def add_contact(campaign: Campaign, data: Mapping[str, Any]) -> Contact:
    """Validate one contact (same rules as the importer, DNC checked) and store it."""
    from engine.campaigns.contacts import add_contact as store_contact
    from engine.campaigns.errors import CampaignValidationError

    body = {k: data.get(k) for k in FORM_KEYS if data.get(k) not in (None, "")}
    if isinstance(data.get("custom"), dict):
        body["custom"] = data["custom"]
    unknown = sorted(set(data) - set(FORM_KEYS) - {"custom", "csrf_token"})
    if unknown:
        raise ValidationFailed([FieldError(unknown[0], "unknown field")])
    if not body.get("phone"):
        raise ValidationFailed([FieldError("phone", "is required")])
    try:
        return store_contact(campaign, body)
    except CampaignValidationError as exc:
        raise ValidationFailed([FieldError(e.field, e.message) for e in exc.errors]) from None


def delete_contact(campaign: Campaign, contact_id: int) -> None:
    """Remove a contact that was never dialed."""
    from engine.campaigns.contacts import remove_contacts

    result = remove_contacts(campaign, [contact_id])
    if contact_id in result.refused:
        raise ValidationFailed([FieldError("contact", f"contact {contact_id}: {result.refused[contact_id]}")])


def export_csv(campaign: Campaign, *, mask: bool = False) -> str:
    """Every contact with its custom fields and results, as CSV text."""
    from engine.campaigns.contacts import export_contacts

    buffer = io.StringIO()
    export_contacts(campaign, buffer, mask_numbers=mask)
    return buffer.getvalue()
