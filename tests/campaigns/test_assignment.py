"""Contact assignment: agent fetch within quotas, manual and percentage assignment."""
import datetime as dt

import pytest

from engine.campaigns.assignment import assign_by_percentage, assign_manual, fetch_for_agent
from engine.campaigns.claims import claim_batch
from engine.campaigns.errors import CampaignError
from engine.store import Agent, Campaign, Contact

NOW = dt.datetime(2026, 3, 2, 18, 0)


@pytest.fixture
def setup(store):
    campaign = Campaign.create(name="c", caller_id_number="+14155550000", agents_may_fetch=True, fetch_max=3,
                               owned_max=5, dial_mode="preview")
    agents = [Agent.create(name=f"A{i}", extension=str(1000 + i), sip_password="x") for i in range(3)]
    contacts = [Contact.create(campaign=campaign, phone=f"+1415555{i:04d}") for i in range(10)]
    return campaign, agents, contacts


def test_fetch_respects_fetch_max_and_owned_max(setup):
    campaign, (alice, bob, _), _ = setup
    assert len(fetch_for_agent(campaign, alice.id, 10)) == 3
    assert len(fetch_for_agent(campaign, alice.id)) == 2  # owned_max 5
    assert fetch_for_agent(campaign, alice.id) == []
    assert len(fetch_for_agent(campaign, bob.id, 2)) == 2
    assert Contact.select().where(Contact.owner.is_null(True)).count() == 3
    campaign.agents_may_fetch = False
    with pytest.raises(CampaignError, match="agents_may_fetch"):
        fetch_for_agent(campaign, bob.id)


def test_owned_contacts_go_to_their_owner_in_agent_claims(setup):
    campaign, (alice, bob, _), contacts = setup
    assign_manual(campaign, [contacts[5].id], alice.id)
    mine = claim_batch(campaign, 1, owner="alice", now=NOW, agent_id=alice.id)
    assert [c.id for c in mine] == [contacts[5].id]  # own contacts first
    bobs = claim_batch(campaign, 20, owner="bob", now=NOW, agent_id=bob.id)
    assert contacts[5].id not in {c.id for c in bobs} and len(bobs) == 9


def test_manual_assignment_refuses_what_does_not_fit(setup):
    campaign, (alice, _, _), contacts = setup
    Contact.update(status="done").where(Contact.id == contacts[0].id).execute()
    result = assign_manual(campaign, [c.id for c in contacts] + [424242], alice.id)
    assert result.assigned == [c.id for c in contacts[1:6]]
    assert result.refused[contacts[0].id] == "contact is done"
    assert "owned_max" in result.refused[contacts[6].id]
    assert result.refused[424242] == "not a contact of this campaign"


def test_percentage_assignment_is_a_job_with_progress(setup):
    campaign, (alice, bob, carol), contacts = setup
    assign_manual(campaign, [contacts[0].id], carol.id)
    seen = []
    given = assign_by_percentage(campaign, {alice.id: 50, bob.id: 30, carol.id: 20}, progress=seen.append)
    assert given == {alice.id: 4, bob.id: 3, carol.id: 2}  # 9 unassigned: 4.5, 2.7, 1.8 by largest remainder
    assert seen[-1].done == seen[-1].total == 9
    given = assign_by_percentage(campaign, {alice.id: 50, bob.id: 50}, scope="unfinished")
    assert given == {alice.id: 5, bob.id: 5}
    assert Contact.select().where(Contact.owner == carol.id).count() == 0
    with pytest.raises(CampaignError, match="shares"):
        assign_by_percentage(campaign, {alice.id: 60, bob.id: 30})
    with pytest.raises(CampaignError, match="scope"):
        assign_by_percentage(campaign, {alice.id: 100}, scope="everyone")
