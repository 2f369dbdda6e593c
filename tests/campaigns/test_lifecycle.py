"""Campaign lifecycle on both stores: legal moves, running gates, restart, second pass."""
import datetime as dt

import pytest

from engine.campaigns.errors import LifecycleError
from engine.campaigns.lifecycle import (
    auto_status,
    reopen_unreached,
    restart,
    second_pass,
    transition,
)
from engine.store import Campaign, Contact, Holiday, Schedule

MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0)  # a Monday, UTC


@pytest.fixture
def campaign(store):
    grid = Schedule.create(name="office", timezone="UTC", hours={"0": [["09:00", "12:00"], ["13:00", "17:00"]]})
    Holiday.create(schedule=grid, day=dt.date(2026, 3, 9), name="test holiday")
    camp = Campaign.create(name="c", schedule=grid, start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 3, 31),
                           caller_id_number="+14155552671")
    Contact.create(campaign=camp, phone="+14155550100")
    return camp


def test_happy_path_draft_scheduled_running_paused_completed(campaign):
    transition(campaign, "scheduled", now=MONDAY_10)
    transition(campaign, "running", now=MONDAY_10, ready_agents=1)
    transition(campaign, "paused", now=MONDAY_10)
    transition(campaign, "running", now=MONDAY_10, ready_agents=2)
    transition(campaign, "completed", now=MONDAY_10)
    assert Campaign.get_by_id(campaign.id).status == "completed"
    restart(campaign, now=MONDAY_10)
    assert Campaign.get_by_id(campaign.id).status == "scheduled"


@pytest.mark.parametrize("when, agents, reason", [
    (dt.datetime(2026, 3, 2, 12, 30), 1, "hour grid"),       # lunch gap
    (dt.datetime(2026, 3, 3, 10, 0), 1, "hour grid"),        # Tuesday: no slots
    (dt.datetime(2026, 2, 23, 10, 0), 1, "start date"),
    (dt.datetime(2026, 4, 6, 10, 0), 1, "end date"),
    (dt.datetime(2026, 3, 9, 10, 0), 1, "holiday"),
    (MONDAY_10, 0, "no agent ready"),
])
def test_running_needs_dates_grid_and_a_ready_agent(campaign, when, agents, reason):
    transition(campaign, "scheduled", now=MONDAY_10)
    with pytest.raises(LifecycleError, match=reason):
        transition(campaign, "running", now=when, ready_agents=agents)
    assert Campaign.get_by_id(campaign.id).status == "scheduled"


def test_agentless_campaign_runs_without_agents(campaign):
    campaign.dial_mode = "broadcast"
    campaign.save()
    transition(campaign, "scheduled", now=MONDAY_10)
    transition(campaign, "running", now=MONDAY_10, ready_agents=0)


@pytest.mark.parametrize("path", [["running"], ["completed"], ["scheduled", "draft", "paused"]])
def test_illegal_transitions_raise(campaign, path):
    with pytest.raises(LifecycleError):
        for target in path:
            transition(campaign, target, now=MONDAY_10, ready_agents=1)


def test_auto_status_follows_the_window_and_completes_when_nothing_is_left(campaign):
    transition(campaign, "scheduled", now=MONDAY_10)
    assert auto_status(campaign, MONDAY_10, ready_agents=1) == "running"
    assert auto_status(campaign, dt.datetime(2026, 3, 2, 12, 15), ready_agents=1) == "scheduled"
    assert auto_status(campaign, dt.datetime(2026, 3, 2, 13, 15), ready_agents=1) == "running"
    Contact.update(status="done").execute()
    assert auto_status(campaign, dt.datetime(2026, 3, 2, 13, 16), ready_agents=1) == "completed"


def test_second_pass_reopens_only_unreached_contacts(campaign):
    Contact.update(status="failed", last_outcome="no_answer", attempts=3).execute()
    Contact.create(campaign=campaign, phone="+14155550101", status="failed", last_outcome="invalid")
    Contact.create(campaign=campaign, phone="+14155550102", status="done", last_outcome="answered")
    transition(campaign, "scheduled", now=MONDAY_10)
    with pytest.raises(LifecycleError):
        transition(campaign, "running", now=MONDAY_10, ready_agents=0)
    transition(campaign, "paused", now=MONDAY_10)
    assert second_pass(campaign, now=MONDAY_10) == 1
    reopened = Contact.get(Contact.phone == "+14155550100")
    assert (reopened.status, reopened.attempts) == ("new", 0)
    assert Contact.get(Contact.phone == "+14155550101").status == "failed"
    assert Campaign.get_by_id(campaign.id).status == "scheduled"
    assert reopen_unreached(campaign) == 0


def test_second_pass_refuses_a_running_campaign(campaign):
    transition(campaign, "scheduled", now=MONDAY_10)
    transition(campaign, "running", now=MONDAY_10, ready_agents=1)
    with pytest.raises(LifecycleError):
        second_pass(campaign, now=MONDAY_10)
