"""The store's models on SQLite and on the real PostgreSQL."""
import datetime as dt

import peewee
import pytest

from engine.store import (
    ALL_MODELS,
    Agent,
    AgentStateInterval,
    ApiToken,
    Attempt,
    Campaign,
    Contact,
    DncEntry,
    Queue,
    QueueMember,
    Team,
    User,
    database,
    migrations,
)


def test_upgrade_creates_every_table_and_records_version(store):
    tables = set(database.get_tables())
    for model in ALL_MODELS:
        assert model._meta.table_name in tables
    assert migrations.current_version() == migrations.LATEST
    assert migrations.upgrade() == []  # nothing left to apply
    migrations.check_schema()


def test_contact_numbers_are_unique_per_campaign(store):
    camp = Campaign.create(name="c1")
    other = Campaign.create(name="c2")
    Contact.create(campaign=camp, phone="+14155550100", alt_phones=["+14155550101"], custom={"plan": "gold"})
    Contact.create(campaign=other, phone="+14155550100")
    with pytest.raises(peewee.IntegrityError), database.atomic():
        Contact.create(campaign=camp, phone="+14155550100")
    stored = Contact.get(Contact.campaign == camp)
    assert stored.phones == ["+14155550100", "+14155550101"]
    assert stored.custom == {"plan": "gold"}


def test_attempt_origination_uuid_is_unique(store):
    camp = Campaign.create(name="c")
    contact = Contact.create(campaign=camp, phone="+14155550100")
    Attempt.create(contact=contact, campaign=camp, phone=contact.phone, origination_uuid="u-1")
    with pytest.raises(peewee.IntegrityError), database.atomic():
        Attempt.create(contact=contact, campaign=camp, phone=contact.phone, origination_uuid="u-1")


def test_user_role_is_constrained(store):
    User.create(username="a", password_hash="x", role="admin")
    with pytest.raises(peewee.IntegrityError), database.atomic():
        User.create(username="b", password_hash="x", role="wizard")


def test_api_token_lookup_uses_hash_only(store):
    user = User.create(username="integrator", password_hash="x", role="admin")
    token, clear = ApiToken.issue(user, "crm")
    assert clear not in token.token_sha256
    assert ApiToken.lookup(clear).id == token.id
    assert ApiToken.lookup(clear + "x") is None
    token.revoked = True
    token.save()
    assert ApiToken.lookup(clear) is None


def test_queue_members_and_state_intervals(store):
    team = Team.create(name="Support")
    agent = Agent.create(team=team, name="Alice", extension="1001", sip_password="s")
    queue = Queue.create(name="support", team=team, strategy="top_down", vip_numbers=["+4420"])
    QueueMember.create(queue=queue, agent=agent, tier=1, position=2)
    started = dt.datetime(2026, 11, 27, 9, 0, 0)
    AgentStateInterval.create(agent=agent, state="available", started_at=started,
                              ended_at=started + dt.timedelta(minutes=5))
    AgentStateInterval.create(agent=agent, state="in_call", started_at=started + dt.timedelta(minutes=5))
    assert [m.agent.extension for m in queue.members] == ["1001"]
    current = AgentStateInterval.select().where(AgentStateInterval.ended_at.is_null()).get()
    assert current.state == "in_call"
    assert Queue.get(Queue.name == "support").vip_numbers == ["+4420"]


def test_dnc_entry_scopes(store):
    team = Team.create(name="T")
    camp = Campaign.create(name="c", team=team)
    DncEntry.create(phone="+14155550100")
    DncEntry.create(phone="+14155550100", scope="team", team=team, list_color="red", reason="asked")
    DncEntry.create(phone="+14155550100", scope="campaign", campaign=camp)
    scopes = sorted(e.scope for e in DncEntry.select().where(DncEntry.phone == "+14155550100"))
    assert scopes == ["campaign", "global", "team"]


def test_check_schema_refuses_an_empty_store(store_url):
    from engine.store.db import open_database

    open_database(store_url)
    with pytest.raises(migrations.SchemaOutdatedError, match="fscc db upgrade"):
        migrations.check_schema()
    database.close()
