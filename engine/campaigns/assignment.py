"""Who owns which contact in agent modes: agents fetch within quotas, admins assign.

Control plane calls:

- :func:`fetch_for_agent(campaign, agent_id, n)` — the agent's "get records" button; only
  when the campaign lets agents fetch; at most ``fetch_max`` per fetch and ``owned_max``
  owned open contacts;
- :func:`assign_manual(campaign, contact_ids, agent_id)` — admin picks records; the
  agent's ``owned_max`` still holds (what does not fit is refused, with the reason);
- :func:`assign_by_percentage(campaign, shares, scope, progress)` — the background job
  (run it in a greenlet): splits all unfinished (or all unassigned) contacts by
  percentage, in batches, reporting progress.

Owned contacts go to their owner in preview/manual claims (see
:func:`engine.campaigns.claims.claim_batch` with ``agent_id``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import peewee

from engine.campaigns.errors import CampaignError
from engine.campaigns.sql import pk, rows
from engine.store import Campaign, Contact, database

OPEN = ("new", "retry", "callback")
BATCH = 1000


def owned_open(campaign: Campaign, agent_id: int) -> int:
    """Open contacts of the campaign the agent owns now."""
    return int(Contact.select(peewee.fn.COUNT(pk(Contact))).where(
        (Contact.campaign == campaign) & (Contact.owner == agent_id) & Contact.status.in_(OPEN)).scalar() or 0)


def fetch_for_agent(campaign: Campaign, agent_id: int, n: int | None = None) -> list[int]:
    """Give the agent up to ``n`` unowned open contacts (within the quotas); return their ids."""
    if not campaign.agents_may_fetch:
        raise CampaignError("agents_may_fetch", "agents may not fetch contacts in this campaign")
    wanted = min(n or campaign.fetch_max, campaign.fetch_max)
    with database.atomic():
        room = max(0, campaign.owned_max - owned_open(campaign, agent_id))
        take = min(wanted, room)
        if take <= 0:
            return []
        candidates = [cid for (cid,) in rows(
            Contact.select(pk(Contact)).where((Contact.campaign == campaign) & Contact.owner.is_null(True)
                                              & Contact.status.in_(("new", "retry")))
            .order_by(Contact.priority, pk(Contact)).limit(take))]
        return _give(candidates, agent_id)


def _give(contact_ids: list[int], agent_id: int) -> list[int]:
    """Set the owner on those still unowned (compare-and-set); return the ids given."""
    if not contact_ids:
        return []
    Contact.update(owner=agent_id).where(pk(Contact).in_(contact_ids) & Contact.owner.is_null(True)).execute()
    return [cid for (cid,) in rows(Contact.select(pk(Contact)).where(pk(Contact).in_(contact_ids)
                                                                     & (Contact.owner == agent_id)))]


@dataclass
class ManualResult:
    assigned: list[int]
    refused: dict[int, str]


def assign_manual(campaign: Campaign, contact_ids: Iterable[int], agent_id: int) -> ManualResult:
    """Give chosen contacts to an agent, respecting ``owned_max``; refusals say why."""
    wanted = list(dict.fromkeys(int(c) for c in contact_ids))
    refused: dict[int, str] = {}
    with database.atomic():
        found = {c.id: c for c in Contact.select().where((Contact.campaign == campaign) & pk(Contact).in_(wanted))}
        room = max(0, campaign.owned_max - owned_open(campaign, agent_id))
        chosen: list[int] = []
        for cid in wanted:
            contact = found.get(cid)
            if contact is None:
                refused[cid] = "not a contact of this campaign"
            elif contact.status not in OPEN:
                refused[cid] = f"contact is {contact.status}"
            elif len(chosen) >= room:
                refused[cid] = f"agent already owns {campaign.owned_max} open contacts (owned_max)"
            else:
                chosen.append(cid)
        if chosen:
            Contact.update(owner=agent_id).where(pk(Contact).in_(chosen)).execute()
    return ManualResult(chosen, refused)


@dataclass(frozen=True)
class AssignProgress:
    done: int
    total: int


def assign_by_percentage(campaign: Campaign, shares: Mapping[int, float], *, scope: str = "unassigned",
                         progress: Callable[[AssignProgress], None] | None = None) -> dict[int, int]:
    """Split contacts between agents by percentage; returns ``{agent_id: contacts given}``.

    ``scope`` is ``unassigned`` (open contacts without an owner) or ``unfinished`` (every
    open contact, reassigning owned ones). Shares must be positive and sum to 100.
    Quotas (``owned_max``) do not apply: this is the admin's explicit split.
    """
    if scope not in ("unassigned", "unfinished"):
        raise CampaignError("scope", "must be unassigned or unfinished")
    if not shares or any(v <= 0 for v in shares.values()) or abs(sum(shares.values()) - 100) > 0.01:
        raise CampaignError("shares", "give each agent a positive percentage, summing to 100")
    where = (Contact.campaign == campaign) & Contact.status.in_(OPEN)
    if scope == "unassigned":
        where &= Contact.owner.is_null(True)
    ids = [cid for (cid,) in rows(Contact.select(pk(Contact)).where(where).order_by(pk(Contact)))]
    total = len(ids)
    quotas = _quotas(shares, total)
    given: dict[int, int] = {agent: 0 for agent in shares}
    plan = [agent for agent, count in quotas.items() for _ in range(count)]
    for start in range(0, total, BATCH):
        chunk = ids[start:start + BATCH]
        with database.atomic():
            for agent in set(plan[start:start + BATCH]):
                mine = [cid for cid, owner in zip(chunk, plan[start:start + BATCH], strict=True) if owner == agent]
                Contact.update(owner=agent).where(pk(Contact).in_(mine)).execute()
                given[agent] += len(mine)
        if progress is not None:
            progress(AssignProgress(min(start + BATCH, total), total))
    return given


def _quotas(shares: Mapping[int, float], total: int) -> dict[int, int]:
    """Largest-remainder rounding: counts proportional to shares that sum to ``total``."""
    exact = {agent: total * pct / 100.0 for agent, pct in shares.items()}
    counts = {agent: int(value) for agent, value in exact.items()}
    leftover = total - sum(counts.values())
    for agent in sorted(exact, key=lambda a: exact[a] - counts[a], reverse=True)[:leftover]:
        counts[agent] += 1
    return counts
