# mypy: disable-error-code="attr-defined"
# (peewee adds field expressions at run time)
"""Who works which contact: the pages' and API's door to ``engine.campaigns.assignment``.

Manual assignment respects each agent's ``owned_max``; automatic assignment splits open
contacts by percentage. Engine errors come back as ``FieldError`` naming the input.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from control.forms import FieldError
from engine.store import Agent, Campaign, CampaignAgent, Contact, database

UNFINISHED = ("new", "retry", "callback")


def campaign_agents(campaign: Campaign) -> list[Agent]:
    return list(Agent.select().join(CampaignAgent).where(CampaignAgent.campaign == campaign).order_by(Agent.id))


def owned_count(campaign: Campaign, agent: Agent) -> int:
    from engine.campaigns.assignment import owned_open

    return owned_open(campaign, agent.id)


def assign_manual(campaign: Campaign, agent: Agent | None, contact_ids: list[int]) -> dict[str, Any]:
    """Give contacts to ``agent`` (None: back to the pool); returns assigned ids and refusals."""
    from engine.campaigns.assignment import assign_manual as give

    if not contact_ids:
        raise FieldError("contacts", "select at least one contact")
    if agent is None:
        with database.atomic():
            moved = (Contact.update(owner=None).where((Contact.campaign == campaign) & Contact.id.in_(contact_ids)
                                                      & Contact.status.in_(UNFINISHED)).execute())
        return {"assigned": int(moved), "refused": {}}
    if not CampaignAgent.select().where((CampaignAgent.campaign == campaign) & (CampaignAgent.agent == agent)).exists():
        raise FieldError("agent", f"agent {agent.name} is not on this campaign")
    result = give(campaign, contact_ids, agent.id)
    return {"assigned": len(result.assigned), "refused": {str(k): v for k, v in result.refused.items()}}


def assign_auto(campaign: Campaign, shares: Mapping[int, int], *, only_unassigned: bool = True) -> dict[int, int]:
    """Split open contacts by percentage (zero shares are left out); returns contacts per agent."""
    from engine.campaigns.assignment import assign_by_percentage
    from engine.campaigns.errors import CampaignError

    agents = {a.id for a in campaign_agents(campaign)}
    for agent_id in shares:
        if agent_id not in agents:
            raise FieldError(f"share_{agent_id}", "is not an agent of this campaign")
    chosen = {agent_id: pct for agent_id, pct in shares.items() if pct}
    try:
        return assign_by_percentage(campaign, chosen, scope="unassigned" if only_unassigned else "unfinished")
    except CampaignError as exc:
        raise FieldError(exc.field, exc.message) from None
