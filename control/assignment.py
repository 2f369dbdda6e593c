# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Who works which contact: manual assignment and automatic assignment by percentage.

Both respect the campaign's ``owned_max`` quota per agent and only move contacts nobody is
working on right now (not claimed or dialing).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee

from control.forms import FieldError
from engine.store import Agent, Campaign, CampaignAgent, Contact, database

UNFINISHED = ("new", "retry", "callback")


def campaign_agents(campaign: Campaign) -> list[Agent]:
    return list(Agent.select().join(CampaignAgent).where(CampaignAgent.campaign == campaign).order_by(Agent.id))


def owned_count(campaign: Campaign, agent: Agent) -> int:
    return int(Contact.select(peewee.fn.COUNT(Contact.id))
               .where((Contact.campaign == campaign) & (Contact.owner == agent)
                      & Contact.status.in_(UNFINISHED)).scalar() or 0)


def assign_manual(campaign: Campaign, agent: Agent | None, contact_ids: list[int]) -> int:
    """Give the listed contacts to ``agent`` (None returns them to the pool); return how many moved."""
    if not contact_ids:
        raise FieldError("contacts", "select at least one contact")
    if agent is not None:
        if not CampaignAgent.select().where((CampaignAgent.campaign == campaign) & (CampaignAgent.agent == agent)).exists():
            raise FieldError("agent", f"agent {agent.name} is not assigned to this campaign")
        room = campaign.owned_max - owned_count(campaign, agent)
        if len(contact_ids) > room:
            raise FieldError("contacts", f"{agent.name} may own {campaign.owned_max} open contacts; room for {max(room, 0)} more")
    with database.atomic():
        return int(Contact.update(owner=agent)
                   .where((Contact.campaign == campaign) & Contact.id.in_(contact_ids)
                          & Contact.status.in_(UNFINISHED)).execute())


def assign_auto(campaign: Campaign, shares: Mapping[int, int], *, only_unassigned: bool = True) -> dict[int, int]:
    """Spread open contacts over agents by percentage (shares sum to at most 100).

    ``only_unassigned`` takes the pool only; otherwise every unfinished contact is dealt
    again. Returns contacts given per agent id.
    """
    agents = {a.id: a for a in campaign_agents(campaign)}
    for agent_id, pct in shares.items():
        if agent_id not in agents:
            raise FieldError(f"share_{agent_id}", "is not an agent of this campaign")
        if not 0 <= pct <= 100:
            raise FieldError(f"share_{agent_id}", "must be a percentage between 0 and 100")
    if sum(shares.values()) > 100:
        raise FieldError("shares", f"percentages add up to {sum(shares.values())}, more than 100")
    where = (Contact.campaign == campaign) & Contact.status.in_(UNFINISHED)
    if only_unassigned:
        where &= Contact.owner.is_null()
    rows: Any = Contact.select(Contact.id).where(where).order_by(Contact.priority, Contact.id).tuples()
    ids = [row[0] for row in rows]
    given: dict[int, int] = {}
    start = 0
    with database.atomic():
        for agent_id, pct in sorted(shares.items()):
            want = len(ids) * pct // 100
            room = campaign.owned_max - (0 if not only_unassigned else owned_count(campaign, agents[agent_id]))
            take = ids[start:start + max(0, min(want, room))]
            start += len(take)
            for offset in range(0, len(take), 500):
                Contact.update(owner=agents[agent_id]).where(Contact.id.in_(take[offset:offset + 500])).execute()
            given[agent_id] = len(take)
        if not only_unassigned and ids[start:]:
            for offset in range(start, len(ids), 500):
                Contact.update(owner=None).where(Contact.id.in_(ids[offset:offset + 500])).execute()
    return given
