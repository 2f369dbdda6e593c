"""Do-not-call lists: global, team and campaign level; red, black and grey lists.

Red and black entries block dialing; grey is a watch list (shown to agents, counted) and
blocks only when the campaign's ``settings["dnc_block_grey"]`` is true. Bulk import reads
one number per line or a CSV with ``phone[,list_color,category,reason]``.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from engine.campaigns.numbers import InvalidNumber, PhoneNormaliser
from engine.campaigns.rows import RowRejected
from engine.campaigns.sql import fk_id, select_in
from engine.store import Campaign, DncEntry, Team, database, utcnow

LIST_COLORS = ("red", "black", "grey")
SCOPES = ("global", "team", "campaign")
BATCH = 500


def blocking_colors(campaign: Campaign) -> tuple[str, ...]:
    """The list colours that stop this campaign from dialing a number."""
    if (campaign.settings or {}).get("dnc_block_grey"):
        return LIST_COLORS
    return ("red", "black")


def blocked_numbers(phones: Iterable[str], campaign: Campaign) -> dict[str, str]:
    """Which of ``phones`` the campaign may not dial, each with a reason naming list and level."""
    colors = blocking_colors(campaign)
    levels = ["\"scope\" = 'global'"]
    params: list[object] = list(colors)
    team_id = fk_id(campaign, "team")
    if team_id:
        levels.append("(\"scope\" = 'team' AND \"team_id\" = {p})")
        params.append(team_id)
    if campaign.id:
        levels.append("(\"scope\" = 'campaign' AND \"campaign_id\" = {p})")
        params.append(campaign.id)
    sql = (f'SELECT "phone", "scope", "list_color", "reason" FROM "{DncEntry._meta.table_name}" '
           f'WHERE "list_color" IN ({", ".join(["{p}"] * len(colors))}) AND ({" OR ".join(levels)}) '
           'AND "phone" IN ({})')
    out: dict[str, str] = {}
    for phone, scope, color, reason in select_in(sql, params, list(dict.fromkeys(phones))):
        out.setdefault(phone, f"{scope} {color} list" + (f" ({reason})" if reason else ""))
    return out


def add_dnc(phone: str, *, scope: str = "global", team: Team | int | None = None,
            campaign: Campaign | int | None = None, list_color: str = "black", category: str = "",
            reason: str = "") -> DncEntry:
    """Add (or update) one number on a list; ``phone`` must already be E.164."""
    _check_scope(scope, team, campaign)
    if list_color not in LIST_COLORS:
        raise ValueError(f"list_color: {list_color!r} is not one of {', '.join(LIST_COLORS)}")
    key = dict(phone=phone, scope=scope, team=team if scope == "team" else None,
               campaign=campaign if scope == "campaign" else None)
    with database.atomic():
        entry = DncEntry.get_or_none(*[getattr(DncEntry, k) == v if v is not None else getattr(DncEntry, k).is_null()
                                       for k, v in key.items()])
        if entry is None:
            return DncEntry.create(**key, list_color=list_color, category=category, reason=reason)
        entry.list_color, entry.category, entry.reason = list_color, category, reason
        entry.save()
        return entry


def _check_scope(scope: str, team: Any, campaign: Any) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope: {scope!r} is not one of {', '.join(SCOPES)}")
    if scope == "team" and team is None:
        raise ValueError("team: a team-level entry needs a team")
    if scope == "campaign" and campaign is None:
        raise ValueError("campaign: a campaign-level entry needs a campaign")


@dataclass
class DncImportResult:
    """How a bulk DNC import went; ``rejected`` lists (line, reason)."""

    stored: int
    rejected: list[tuple[int, str]]


def _dnc_rows(source: IO[str], normaliser: PhoneNormaliser) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(source)
    for row in reader:
        line = row and row[0].strip()
        if not line or line.lower() == "phone":
            continue
        try:
            phone = normaliser.normalise(line)
        except InvalidNumber as exc:
            yield reader.line_num, RowRejected("invalid_number", str(exc))
            continue
        color = (row[1].strip().lower() if len(row) > 1 and row[1].strip() else "black")
        if color not in LIST_COLORS:
            yield reader.line_num, RowRejected("bad_color", f"list colour {color!r} is not red, black or grey")
            continue
        yield reader.line_num, (phone, color, row[2].strip() if len(row) > 2 else "", row[3].strip() if len(row) > 3 else "")


def import_dnc(source: IO[str], *, scope: str = "global", team: Team | int | None = None,
               campaign: Campaign | int | None = None, region: str = "US") -> DncImportResult:
    """Bulk-load a DNC list: one number per line, or CSV ``phone,list_color,category,reason``.

    Existing entries at the same level are updated; every bad line is reported.
    """
    _check_scope(scope, team, campaign)
    normaliser = PhoneNormaliser(region)
    rejected: list[tuple[int, str]] = []
    stored = 0
    pending: dict[str, tuple[str, str, str]] = {}
    now = utcnow()

    def flush() -> None:
        nonlocal stored
        if not pending:
            return
        with database.atomic():
            _delete_level(list(pending), scope, team, campaign)
            DncEntry.insert_many([
                dict(phone=p, scope=scope, team=team if scope == "team" else None,
                     campaign=campaign if scope == "campaign" else None, list_color=c, category=cat,
                     reason=why, created_at=now) for p, (c, cat, why) in pending.items()]).execute()
        stored += len(pending)
        pending.clear()

    for line_no, item in _dnc_rows(source, normaliser):
        if isinstance(item, RowRejected):
            rejected.append((line_no, str(item)))
            continue
        pending[item[0]] = item[1:]
        if len(pending) >= BATCH:
            flush()
    flush()
    return DncImportResult(stored, rejected)


def _delete_level(phones: list[str], scope: str, team: Any, campaign: Any) -> None:
    where = DncEntry.phone.in_(phones) & (DncEntry.scope == scope)
    if scope == "team":
        where &= DncEntry.team == team
    if scope == "campaign":
        where &= DncEntry.campaign == campaign
    DncEntry.delete().where(where).execute()


def is_blocked(phone: str, campaign: Campaign) -> str | None:
    """The reason ``phone`` is blocked for ``campaign``, or None."""
    return blocked_numbers([phone], campaign).get(phone)
