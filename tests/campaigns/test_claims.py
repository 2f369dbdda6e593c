"""Claims, attempts, retries per outcome, recycling and callbacks on both stores;
two engine processes on the real PostgreSQL never dial the same contact."""
import datetime as dt
import multiprocessing

import peewee
import pytest

from engine.campaigns.callbacks import due_callbacks, parse_callback_time, schedule_callback
from engine.campaigns.claims import (
    LostClaim,
    claim_batch,
    finish_attempt,
    recycle,
    release,
    start_attempt,
)
from engine.campaigns.errors import CampaignError
from engine.store import Agent, Attempt, Callback, Campaign, Contact

NOW = dt.datetime(2026, 3, 2, 18, 0)


@pytest.fixture
def campaign(store):
    return Campaign.create(name="c", caller_id_number="+14155550000", max_attempts=4,
                           retry_delays={"busy": 300, "no_answer": 3600},
                           max_attempts_per_outcome={"busy": 2})


def make_contacts(campaign, count, **fields):
    return [Contact.create(campaign=campaign, phone=f"+1415555{i:04d}", **fields) for i in range(count)]


def test_claims_are_disjoint_and_ordered_by_callback_priority_and_wait(campaign):
    low, high = make_contacts(campaign, 2)
    Contact.update(priority=1).where(Contact.id == high.id).execute()
    later = Contact.create(campaign=campaign, phone="+14155559000", status="retry", next_attempt_at=NOW + dt.timedelta(hours=1))
    due_cb = Contact.create(campaign=campaign, phone="+14155559001", status="callback", priority=9,
                            next_attempt_at=NOW - dt.timedelta(minutes=1))
    first = claim_batch(campaign, 2, owner="e1", now=NOW, lease_seconds=86400)
    assert [c.id for c in first] == [due_cb.id, high.id]
    second = claim_batch(campaign, 5, owner="e2", now=NOW, lease_seconds=86400)
    assert [c.id for c in second] == [low.id]
    assert claim_batch(campaign, 5, owner="e3", now=NOW) == []
    assert {c.id for c in claim_batch(campaign, 5, owner="e3", now=NOW + dt.timedelta(hours=2))} == {later.id}
    assert len({c.lease_owner for c in first + second}) == 2


def test_expired_lease_is_reclaimed_and_the_old_holder_cannot_dial(campaign):
    (contact,) = make_contacts(campaign, 1)
    (mine,) = claim_batch(campaign, 1, owner="e1", now=NOW, lease_seconds=60)
    assert claim_batch(campaign, 1, owner="e2", now=NOW + dt.timedelta(seconds=30)) == []
    (theirs,) = claim_batch(campaign, 1, owner="e2", now=NOW + dt.timedelta(seconds=61))
    with pytest.raises(LostClaim):
        start_attempt(mine, mine.phone, caller_id="+14155550000", now=NOW)
    attempt = start_attempt(theirs, theirs.phone, caller_id="+14155550000", now=NOW)
    assert Attempt.select().count() == 1 and attempt.origination_uuid
    assert Contact.get_by_id(contact.id).status == "dialing"
    # a dialing contact is never reclaimed by lease expiry
    assert claim_batch(campaign, 1, owner="e3", now=NOW + dt.timedelta(days=1)) == []


def test_attempt_row_exists_before_originate_with_its_uuid(campaign):
    make_contacts(campaign, 1)
    (contact,) = claim_batch(campaign, 1, owner="e1", now=NOW)
    attempt = start_attempt(contact, contact.phone, caller_id="+14155550000", node="fs1", now=NOW)
    stored = Attempt.get(Attempt.origination_uuid == attempt.origination_uuid)
    assert (stored.phone, stored.caller_id, stored.node, stored.outcome) == (contact.phone, "+14155550000", "fs1", "")
    assert Contact.get_by_id(contact.id).attempts == 1


def dial_once(campaign, outcome, now):
    (contact,) = claim_batch(campaign, 1, owner="e", now=now)
    attempt = start_attempt(contact, contact.phone, caller_id="x", now=now)
    return finish_attempt(attempt, outcome, campaign=campaign, now=now), Contact.get_by_id(contact.id)


def test_retries_wait_per_outcome_and_stop_at_the_outcome_limit(campaign):
    make_contacts(campaign, 1)
    status, contact = dial_once(campaign, "busy", NOW)
    assert status == "retry" and contact.next_attempt_at == NOW + dt.timedelta(seconds=300)
    assert claim_batch(campaign, 1, owner="e", now=NOW + dt.timedelta(seconds=299)) == []
    status, contact = dial_once(campaign, "no_answer", NOW + dt.timedelta(seconds=300))
    assert status == "retry" and contact.next_attempt_at == NOW + dt.timedelta(seconds=3900)
    status, contact = dial_once(campaign, "busy", NOW + dt.timedelta(hours=2))
    assert status == "failed" and contact.last_outcome == "busy"  # busy limit 2 reached


def test_total_attempt_limit_invalid_numbers_and_answers_close_the_contact(campaign):
    make_contacts(campaign, 3)
    campaign.max_attempts = 1
    assert dial_once(campaign, "no_answer", NOW)[0] == "failed"
    assert dial_once(campaign, "invalid", NOW)[0] == "failed"
    assert dial_once(campaign, "answered", NOW)[0] == "done"


def test_release_without_dialing_keeps_attempts(campaign):
    make_contacts(campaign, 1)
    (contact,) = claim_batch(campaign, 1, owner="e", now=NOW)
    assert release(contact, retry_at=NOW + dt.timedelta(hours=3), outcome="window_blocked")
    assert not release(contact)
    stored = Contact.get_by_id(contact.id)
    assert (stored.status, stored.attempts, stored.last_outcome) == ("retry", 0, "window_blocked")


def test_recycle_reopens_unreached_after_n_days(campaign):
    make_contacts(campaign, 1)
    campaign.max_attempts = 1
    campaign.recycle_days = 3
    assert dial_once(campaign, "no_answer", NOW)[0] == "failed"
    assert recycle(campaign, NOW + dt.timedelta(days=2)) == 0
    assert recycle(campaign, NOW + dt.timedelta(days=4)) == 1
    assert Contact.get().status == "new"


@pytest.mark.parametrize("text, expected", [
    ("45m", NOW + dt.timedelta(minutes=45)), ("in 3h", NOW + dt.timedelta(hours=3)),
    ("2d", NOW + dt.timedelta(days=2)), ("1w", NOW + dt.timedelta(weeks=1)),
    ("2026-03-05", dt.datetime(2026, 3, 5, 9, 0)), ("2026-03-05T14:30", dt.datetime(2026, 3, 5, 14, 30)),
    ("2026-03-05 14:30+01:00", dt.datetime(2026, 3, 5, 13, 30)),
])
def test_callback_times(text, expected):
    assert parse_callback_time(text, NOW) == expected


@pytest.mark.parametrize("text", ["soon", "3x", "2026-01-01", "", "500d"])
def test_bad_callback_times_name_the_field(text):
    with pytest.raises(CampaignError, match="due"):
        parse_callback_time(text, NOW)


def test_owned_callbacks_go_to_their_agent_only(campaign):
    alice = Agent.create(name="Alice", extension="1001", sip_password="x")
    bob = Agent.create(name="Bob", extension="1002", sip_password="x")
    mine, team = make_contacts(campaign, 2)
    Contact.update(status="done").execute()
    schedule_callback(mine, "1h", agent_id=alice.id, now=NOW, reason="wants a quote")
    schedule_callback(team, "2h", now=NOW)
    later = NOW + dt.timedelta(hours=3)
    assert [c.id for c in claim_batch(campaign, 5, owner="auto", now=later)] == [team.id]
    assert claim_batch(campaign, 5, owner="bob", now=later, agent_id=bob.id) == []
    assert [c.id for c in claim_batch(campaign, 5, owner="alice", now=later, agent_id=alice.id)] == [mine.id]
    assert {c.contact_id for c in due_callbacks(later, agent_id=alice.id)} == {mine.id, team.id}
    assert {c.contact_id for c in due_callbacks(later, agent_id=bob.id)} == {team.id}
    schedule_callback(mine, "1d", agent_id=alice.id, now=NOW)
    assert Callback.select().where((Callback.contact == mine.id) & (Callback.done == False)).count() == 1  # noqa: E712


def test_two_processes_on_postgres_never_dial_the_same_contact(store):
    from engine.store import database
    from engine.store.db import is_postgres
    from tests.campaigns.claim_worker import run_worker

    if not is_postgres():
        pytest.skip("the multi-process claim test runs on the real PostgreSQL")
    campaign = Campaign.create(name="big", caller_id_number="+14155550000")
    rows = [{"campaign": campaign.id, "phone": f"+1{2000000000 + i}"} for i in range(5000)]
    for start in range(0, len(rows), 1000):
        Contact.insert_many(rows[start:start + 1000]).execute()
    database.close()  # each process opens its own connection
    ctx = multiprocessing.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=run_worker, args=(store, campaign.id, f"engine-{i}", 50, go, results))
               for i in range(2)]
    for worker in workers:
        worker.start()
    go.set()
    counts = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    database.connect(reuse_if_open=True)
    assert all(isinstance(c, int) for c in counts), counts  # a worker error comes back as its text
    assert sum(counts) == 5000 and all(c > 0 for c in counts), counts
    twice = (Attempt.select(Attempt.contact).group_by(Attempt.contact)
             .having(peewee.fn.COUNT(Attempt.id) > 1))
    assert list(twice) == []
    assert Attempt.select().count() == 5000
    assert Contact.select().where(Contact.status != "done").count() == 0
    assert {a.node for a in Attempt.select(Attempt.node).distinct()} == {"engine-0", "engine-1"}
