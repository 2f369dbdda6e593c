"""One contact row: a column -> field mapping and the cleaning every row goes through.

Used by the importer (each CSV/TXT row), by "add a contact" and by the API, so a contact
is checked the same way wherever it comes from.

Mapping targets: ``phone`` (required), ``phone2`` .. ``phone5``, ``first_name``,
``last_name``, ``organisation``, ``position``, ``extra``, ``priority``, ``custom:<key>``,
or ``ignore``. Columns the mapping does not name become custom fields under their header.
A cell mapped to a phone may hold several numbers separated by ``;`` or ``|``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.campaigns.errors import CampaignError
from engine.campaigns.numbers import InvalidNumber, PhoneNormaliser
from engine.store.contacts import MAX_PHONES

PHONE_FIELDS = ("phone", "phone2", "phone3", "phone4", "phone5")
TEXT_LIMITS = {"first_name": 80, "last_name": 80, "organisation": 120, "position": 80, "extra": 10_000}
TARGETS = (*PHONE_FIELDS, *TEXT_LIMITS, "priority", "ignore")
ALIASES = {"number": "phone", "mobile": "phone", "telephone": "phone", "tel": "phone",
           "company": "organisation", "organization": "organisation", "title": "position",
           "firstname": "first_name", "lastname": "last_name"}
_SPLIT = re.compile(r"[;|]")
CUSTOM_KEY_LIMIT = 60
CUSTOM_VALUE_LIMIT = 2000


class RowRejected(ValueError):
    """This row cannot become a contact; ``reason`` is a short code, ``detail`` says more."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class CleanContact:
    """A row ready to store: E.164 numbers (first one primary) and typed fields."""

    phones: list[str]
    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnPlan:
    """Where each column of a row goes, worked out once per file."""

    phone_columns: tuple[int, ...]
    text_columns: tuple[tuple[int, str, int], ...]  # (column, field, max length)
    priority_column: int | None
    custom_columns: tuple[tuple[int, str], ...]
    width: int


def plan_columns(headers: Sequence[str], mapping: Mapping[str, str] | None) -> ColumnPlan:
    """Resolve ``mapping`` (header -> target) against the file's headers.

    Without a mapping, headers named like a target (case-insensitive, a few aliases such
    as "mobile" or "company") map to it. Raises CampaignError("mapping", ...) when no
    column maps to ``phone`` or a target is unknown or used twice.
    """
    index = {h: i for i, h in enumerate(headers)}
    chosen: dict[str, str] = {}
    if mapping is None:
        for header in headers:
            key = header.strip().lower().replace(" ", "_")
            chosen[header] = ALIASES.get(key, key) if ALIASES.get(key, key) in TARGETS else f"custom:{header}"
        seen_phone = False
        for header, target in list(chosen.items()):  # only the first alias of phone is the phone
            if target == "phone":
                if seen_phone:
                    chosen[header] = f"custom:{header}"
                seen_phone = True
    else:
        for header, target in mapping.items():
            if header not in index:
                raise CampaignError("mapping", f"column {header!r} is not in the file (columns: {', '.join(headers)})")
            if target not in TARGETS and not (target.startswith("custom:") and target[7:].strip()):
                raise CampaignError("mapping", f"column {header!r}: unknown field {target!r}")
            chosen[header] = target
        for header in headers:
            chosen.setdefault(header, f"custom:{header}")
    used = [t for t in chosen.values() if t != "ignore"]
    duplicates = sorted({t for t in used if used.count(t) > 1})
    if duplicates:
        raise CampaignError("mapping", f"several columns map to {', '.join(duplicates)}")
    if "phone" not in used:
        raise CampaignError("mapping", "no column is mapped to phone (required)")
    phones = tuple(index[h] for t in PHONE_FIELDS for h, tt in chosen.items() if tt == t)
    texts = tuple((index[h], t, TEXT_LIMITS[t]) for h, t in chosen.items() if t in TEXT_LIMITS)
    priority = next((index[h] for h, t in chosen.items() if t == "priority"), None)
    custom = tuple((index[h], t[7:].strip()[:CUSTOM_KEY_LIMIT]) for h, t in chosen.items() if t.startswith("custom:"))
    return ColumnPlan(phones, texts, priority, custom, len(headers))


def clean_row(values: Sequence[str], plan: ColumnPlan, normaliser: PhoneNormaliser) -> CleanContact:
    """Clean one row (cells in file order) or raise RowRejected with the reason.

    Runs a million times per big import: one pass per kind of column, no per-cell lookups.
    """
    width = plan.width
    if len(values) != width:
        if len(values) > width and any(v.strip() for v in values[width:]):
            raise RowRejected("too_many_columns", f"{len(values)} cells, header has {width}")
        values = [*values[:width], *([""] * (width - len(values)))]
    phones: list[str] = []
    for column in plan.phone_columns:
        cell = values[column]
        for part in _SPLIT.split(cell) if (";" in cell or "|" in cell) else (cell,):
            text = part.strip()
            if not text:
                continue
            try:
                number = normaliser.normalise(text)
            except InvalidNumber as exc:
                raise RowRejected("invalid_number", str(exc)) from None
            if number not in phones:
                phones.append(number)
    if not phones:
        raise RowRejected("missing_phone", "no phone number in the row")
    if len(phones) > MAX_PHONES:
        raise RowRejected("too_many_numbers", f"{len(phones)} numbers, at most {MAX_PHONES} per contact")
    fields: dict[str, Any] = {}
    for column, name, limit in plan.text_columns:
        text = values[column].strip()
        if len(text) > limit:
            raise RowRejected("too_long", f"{name} is longer than {limit} characters")
        fields[name] = text
    if plan.priority_column is not None:
        text = values[plan.priority_column].strip()
        if text:
            if not text.isdigit() or not 1 <= int(text) <= 99:
                raise RowRejected("bad_priority", f"priority {text!r} is not a whole number 1-99")
            fields["priority"] = int(text)
    custom: dict[str, str] = {}
    for column, key in plan.custom_columns:
        text = values[column].strip()
        if text:
            if len(text) > CUSTOM_VALUE_LIMIT:
                raise RowRejected("too_long", f"custom field {key} is longer than {CUSTOM_VALUE_LIMIT} characters")
            custom[key] = text
    return CleanContact(phones, fields, custom)


def clean_fields(data: Mapping[str, Any], normaliser: PhoneNormaliser) -> CleanContact:
    """Clean a contact given as a dict (API body or the "add contact" form).

    Keys are mapping targets; ``custom`` may hold a dict of custom fields.
    """
    custom = data.get("custom") or {}
    if not isinstance(custom, Mapping):
        raise RowRejected("bad_custom", "custom must be an object of field -> value")
    headers = [k for k in data if k != "custom"]
    unknown = [k for k in headers if k not in TARGETS]
    if unknown:
        raise RowRejected("unknown_field", f"unknown field(s) {', '.join(unknown)}")
    plan = plan_columns([*headers, *(f"custom:{k}" for k in custom)],
                        {**{k: k for k in headers}, **{f"custom:{k}": f"custom:{k}" for k in custom}})
    values = [str(data[k] if data[k] is not None else "") for k in headers] + [str(v) for v in custom.values()]
    return clean_row(values, plan, normaliser)
