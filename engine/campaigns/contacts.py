"""Contacts one at a time and out again: add, remove (only never dialed), export as CSV.

Control plane calls: :func:`add_contact` (form/API, raises CampaignValidationError),
:func:`remove_contacts` (returns what was removed and what was refused, with why),
:func:`export_contacts` (streams CSV with custom fields and results to a text stream).
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

import peewee

from engine.campaigns.dnc import blocked_numbers
from engine.campaigns.errors import CampaignError, CampaignValidationError
from engine.campaigns.numbers import PhoneNormaliser
from engine.campaigns.rows import RowRejected, clean_fields
from engine.campaigns.sql import pk, rows
from engine.store import Attempt, Campaign, Contact, database

EXPORT_COLUMNS = ("id", "phone", "phone2", "phone3", "phone4", "phone5", "first_name", "last_name",
                  "organisation", "position", "extra", "priority", "status", "attempts", "last_outcome",
                  "disposition", "next_attempt_at", "last_attempt_at")


def add_contact(campaign: Campaign, data: Mapping[str, Any], *, check_dnc: bool = True) -> Contact:
    """Validate and store one contact (same rules as an imported row).

    Raises CampaignValidationError naming the field: an invalid number, a duplicate in
    the campaign or (with ``dedupe_across_campaigns``) in another, a DNC hit.
    """
    try:
        clean = clean_fields(data, PhoneNormaliser(campaign.default_region or "US"))
    except RowRejected as exc:
        field = "phone" if exc.reason in ("invalid_number", "missing_phone", "too_many_numbers") else exc.reason
        raise CampaignValidationError([CampaignError(field, exc.detail)]) from None
    phone = clean.phones[0]
    if Contact.select().where((Contact.campaign == campaign) & (Contact.phone == phone)).exists():
        raise CampaignValidationError([CampaignError("phone", f"{phone} is already a contact of this campaign")])
    if campaign.dedupe_across_campaigns and Contact.select().where(
            (Contact.phone == phone) & (Contact.campaign != campaign)).exists():
        raise CampaignValidationError([CampaignError("phone", f"{phone} is already in another campaign")])
    if check_dnc:
        why = blocked_numbers([phone], campaign).get(phone)
        if why:
            raise CampaignValidationError([CampaignError("phone", f"{phone} is on the {why}")])
    with database.atomic():
        return Contact.create(campaign=campaign, phone=phone, alt_phones=clean.phones[1:], custom=clean.custom,
                              **clean.fields)


@dataclass
class RemoveResult:
    removed: list[int]
    refused: dict[int, str]


def remove_contacts(campaign: Campaign, contact_ids: Iterable[int]) -> RemoveResult:
    """Delete contacts of ``campaign`` that were never dialed; refuse the others with a reason."""
    wanted = list(dict.fromkeys(int(i) for i in contact_ids))
    refused: dict[int, str] = {}
    with database.atomic():
        found = {c.id: c for c in Contact.select().where((Contact.campaign == campaign) & pk(Contact).in_(wanted))}
        dialed = {cid for (cid,) in rows(Attempt.select(Attempt.contact).where(Attempt.contact.in_(list(found))))}
        for cid in wanted:
            contact = found.get(cid)
            if contact is None:
                refused[cid] = "not a contact of this campaign"
            elif cid in dialed or contact.attempts or contact.status not in ("new", "retry", "callback"):
                refused[cid] = "already dialed"
        removable = [cid for cid in wanted if cid not in refused]
        if removable:
            Contact.delete().where(pk(Contact).in_(removable)).execute()
    return RemoveResult(removable, refused)


def mask_phone(phone: str) -> str:
    """A number as agents see it when the campaign masks numbers: "+1415555****"."""
    return phone[:-4] + "****" if len(phone) > 6 else "****"


def export_contacts(campaign: Campaign, out: IO[str], *, mask_numbers: bool = False) -> int:
    """Write the campaign's contacts as CSV (fields, custom fields, results); return the count.

    Two streaming passes: the first collects custom field names, the second writes rows.
    """
    custom_keys: dict[str, None] = {}
    for (custom,) in rows(Contact.select(Contact.custom).where(Contact.campaign == campaign)):
        for key in custom or {}:
            custom_keys.setdefault(key, None)
    last_attempt = (Attempt.select(Attempt.contact, peewee.fn.MAX(Attempt.created_at).alias("last_at"))
                    .where(Attempt.campaign == campaign).group_by(Attempt.contact))
    writer = csv.writer(out)
    writer.writerow([*EXPORT_COLUMNS, *custom_keys])
    count = 0
    query = (Contact.select(Contact, last_attempt.c.last_at.alias("last_at"))
             .join(last_attempt, peewee.JOIN.LEFT_OUTER, on=(last_attempt.c.contact_id == Contact.id))
             .where(Contact.campaign == campaign).order_by(Contact.id).objects())
    for contact in query.iterator():
        phones = [mask_phone(p) if mask_numbers else p for p in contact.phones] + [""] * (5 - len(contact.phones))
        writer.writerow([
            contact.id, *phones, contact.first_name, contact.last_name, contact.organisation, contact.position,
            contact.extra, contact.priority, contact.status, contact.attempts, contact.last_outcome,
            contact.disposition, contact.next_attempt_at or "", getattr(contact, "last_at", None) or "",
            *((contact.custom or {}).get(k, "") for k in custom_keys),
        ])
        count += 1
    return count
