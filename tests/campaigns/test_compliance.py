"""Compliance: DNC levels, callee windows in every zone, attempt caps, caller ID choice.

The hypothesis properties prove no attempt is allowed outside the callee's window, on a
DNC number, or past the attempt limits, both for the pure rule engine and through the
store on SQLite.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.campaigns.callerid import CallerIdPicker, NoCallerId, number_region
from engine.campaigns.compliance import (
    Facts,
    Rules,
    callee_time_zones,
    check,
    decide,
    next_window_opening,
    window_open_everywhere,
)
from engine.campaigns.dnc import add_dnc
from engine.store import Attempt, CallerId, Campaign, Contact, DncEntry, Team

# Real numbers with one zone, and with several (Russia spans 11 zones; Australia several).
PHONES = ["+14155552671", "+12125550143", "+18085550100", "+442079460958", "+79161234567",
          "+61212345678", "+61891234567", "+33123456789", "+81312345678", "+4915123456789"]
ZONE_SETS = [callee_time_zones(p) for p in PHONES] + [("Etc/Unknown",)]
OUTCOMES = ["busy", "no_answer", "failed", "machine", "abandoned"]

moments = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31))
windows = st.tuples(st.integers(0, 22), st.integers(1, 23)).filter(lambda w: w[0] < w[1])


def in_every_zone(zones, now, start, end):
    """Independent oracle: the callee's local clock in each zone is inside [start, end)."""
    if "Etc/Unknown" in zones:
        return False
    aware = now.replace(tzinfo=dt.UTC)
    return all(start <= aware.astimezone(ZoneInfo(z)).time() < end for z in zones)


def test_multi_zone_numbers_get_every_zone():
    assert callee_time_zones("+14155552671") == ("America/Los_Angeles",)
    assert len(callee_time_zones("+79161234567")) > 5
    assert number_region("+14155552671")  # geocoder knows San Francisco


@settings(max_examples=600, deadline=None)
@given(zones=st.sampled_from(ZONE_SETS), now=moments, window=windows,
       dnc=st.one_of(st.none(), st.just("global red list")),
       max_attempts=st.integers(1, 10), attempts=st.integers(0, 12),
       per_outcome=st.dictionaries(st.sampled_from(OUTCOMES), st.integers(0, 10)),
       counts=st.dictionaries(st.sampled_from(OUTCOMES), st.integers(0, 12)),
       daily=st.integers(1, 5), last_24h=st.integers(0, 6), monthly=st.integers(0, 4), month=st.integers(0, 6))
def test_property_pure_rules_never_allow_a_forbidden_attempt(zones, now, window, dnc, max_attempts, attempts,
                                                             per_outcome, counts, daily, last_24h, monthly, month):
    start, end = dt.time(window[0]), dt.time(window[1])
    rules = Rules(start, end, max_attempts, per_outcome, daily, monthly)
    facts = Facts(zones, dnc, attempts, counts, last_24h, month)
    verdict = decide(facts, rules, now)
    permitted = (dnc is None and attempts < max_attempts
                 and all(not limit or counts.get(o, 0) < limit for o, limit in per_outcome.items())
                 and last_24h < daily and (monthly == 0 or month < monthly)
                 and in_every_zone(zones, now, start, end))
    assert verdict.allowed == permitted, verdict
    if verdict.retry_at is not None and "window" in verdict.reason:
        assert verdict.retry_at > now
        assert in_every_zone(zones, verdict.retry_at, start, end)


def test_next_window_opening_for_a_multi_zone_number():
    zones = callee_time_zones("+79161234567")
    now = dt.datetime(2026, 3, 2, 3, 0)
    # Zones from Bucharest (UTC+2) to Anadyr (UTC+12): 09-21 local overlaps 07:00-09:00 UTC only.
    assert next_window_opening(zones, now, dt.time(9), dt.time(21)) == dt.datetime(2026, 3, 2, 7, 0)
    assert not window_open_everywhere(zones, now, dt.time(9), dt.time(21))
    assert window_open_everywhere(zones, dt.datetime(2026, 3, 2, 8, 59), dt.time(9), dt.time(21))
    assert not window_open_everywhere(zones, dt.datetime(2026, 3, 2, 9, 0), dt.time(9), dt.time(21))
    # A window shorter than the 10-hour spread never holds everywhere at once.
    assert next_window_opening(zones, now, dt.time(10), dt.time(18)) is None
    la = next_window_opening(("America/Los_Angeles",), now, dt.time(9), dt.time(21))
    assert la == dt.datetime(2026, 3, 2, 17, 0)


@pytest.fixture
def campaign(sqlite_store):
    team = Team.create(name="east")
    return Campaign.create(name="c", team=team, caller_id_number="+14155550000", local_window_start="08:00",
                           local_window_end="21:00", max_attempts=3, daily_attempts_per_number=2)


def _attempt(contact, phone, at, outcome="no_answer", answered=False, campaign=None):
    return Attempt.create(contact=contact, campaign=campaign or contact.campaign, phone=phone, created_at=at,
                          origination_uuid=f"u-{Attempt.select().count()}-{phone}-{at.timestamp()}",
                          outcome=outcome, answered_at=at if answered else None)


def test_dnc_levels_apply_to_their_own_scope(campaign):
    other_team = Team.create(name="west")
    contact = Contact.create(campaign=campaign, phone="+14155552671", alt_phones=["+12125550143"])
    noon_sf = dt.datetime(2026, 3, 2, 20, 0)
    assert check(contact, contact.phone, campaign, noon_sf).allowed
    add_dnc("+14155552671", scope="team", team=other_team)
    add_dnc("+14155552671", scope="global", list_color="grey")
    assert check(contact, contact.phone, campaign, noon_sf).allowed  # other team's list, grey list
    add_dnc("+12125550143", scope="team", team=campaign.team, list_color="red")
    verdict = check(contact, contact.phone, campaign, noon_sf)
    assert not verdict.allowed and "team red list" in verdict.reason  # any number of the contact
    DncEntry.delete().execute()
    add_dnc("+14155552671", scope="campaign", campaign=campaign)
    assert "campaign black list" in check(contact, contact.phone, campaign, noon_sf).reason
    campaign.settings = {"dnc_block_grey": True}
    DncEntry.delete().execute()
    add_dnc("+14155552671", scope="global", list_color="grey")
    assert "grey" in check(contact, contact.phone, campaign, noon_sf).reason


def test_daily_cap_counts_every_campaign_and_monthly_cap_counts_answers(campaign):
    other = Campaign.create(name="other", caller_id_number="+14155550000")
    contact = Contact.create(campaign=campaign, phone="+14155552671")
    elsewhere = Contact.create(campaign=other, phone="+14155552671")
    now = dt.datetime(2026, 3, 2, 20, 0)
    _attempt(elsewhere, elsewhere.phone, now - dt.timedelta(hours=3))
    assert check(contact, contact.phone, campaign, now).allowed
    _attempt(elsewhere, elsewhere.phone, now - dt.timedelta(hours=2), answered=True, outcome="answered")
    assert "daily cap" in check(contact, contact.phone, campaign, now).reason
    later = now + dt.timedelta(days=1, hours=1)
    assert check(contact, contact.phone, campaign, later).allowed
    campaign.monthly_contacts_per_customer = 1
    assert "monthly cap" in check(contact, contact.phone, campaign, later).reason
    assert check(contact, contact.phone, campaign, now + dt.timedelta(days=31)).allowed


def test_attempt_limits_total_and_per_outcome(campaign):
    contact = Contact.create(campaign=campaign, phone="+14155552671", attempts=3)
    now = dt.datetime(2026, 3, 2, 20, 0)
    assert "attempt limit" in check(contact, contact.phone, campaign, now).reason
    contact.attempts = 1
    campaign.max_attempts_per_outcome = {"busy": 1}
    _attempt(contact, contact.phone, now - dt.timedelta(days=3), outcome="busy")
    assert "for busy" in check(contact, contact.phone, campaign, now).reason


def test_window_refusal_says_when_to_retry(campaign):
    contact = Contact.create(campaign=campaign, phone="+14155552671")
    early = dt.datetime(2026, 3, 2, 14, 0)  # 06:00 in San Francisco
    verdict = check(contact, contact.phone, campaign, early)
    assert not verdict.allowed and verdict.retry_at == dt.datetime(2026, 3, 2, 16, 0)
    unknown = Contact.create(campaign=campaign, phone="+80012345678")
    assert check(unknown, unknown.phone, campaign, early).reason == "callee time zone unknown"


def test_operators_and_clients_mode_also_needs_the_campaign_schedule(campaign):
    from engine.store import Schedule

    campaign.window_mode = "operators_and_clients"
    campaign.schedule = Schedule.create(name="office", timezone="Europe/Paris", hours={"0": [["09:00", "18:00"]]})
    contact = Contact.create(campaign=campaign, phone="+14155552671")
    verdict = check(contact, contact.phone, campaign, dt.datetime(2026, 3, 2, 20, 0))  # 21:00 in Paris
    assert not verdict.allowed and "operators" in verdict.reason


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phone=st.sampled_from(PHONES), now=moments, dnc_scope=st.sampled_from([None, "global", "team", "campaign"]),
       recent=st.lists(st.integers(0, 48), max_size=5), attempts=st.integers(0, 4))
def test_property_store_backed_check_never_allows_a_forbidden_attempt(campaign, phone, now, dnc_scope, recent, attempts):
    Attempt.delete().execute()
    DncEntry.delete().execute()
    Contact.delete().execute()
    contact = Contact.create(campaign=campaign, phone=phone, attempts=attempts)
    if dnc_scope:
        add_dnc(phone, scope=dnc_scope, team=campaign.team if dnc_scope == "team" else None,
                campaign=campaign if dnc_scope == "campaign" else None)
    for hours in recent:
        _attempt(contact, phone, now - dt.timedelta(hours=hours, minutes=1))
    verdict = check(contact, phone, campaign, now)
    if verdict.allowed:
        assert dnc_scope is None
        assert attempts < campaign.max_attempts
        assert sum(1 for h in recent if h < 24) < campaign.daily_attempts_per_number
        assert in_every_zone(callee_time_zones(phone), now, dt.time(8), dt.time(21))


def test_caller_id_modes(campaign):
    for number, area in [("+14155550001", "415"), ("+14155550002", "415"), ("+12125550003", "212"),
                         ("+13125550004", "")]:
        CallerId.create(number=number, area=area, pool="main", approved=True)
    CallerId.create(number="+16175550009", area="617", pool="main", approved=False)
    picker = CallerIdPicker(campaign)
    assert picker.pick("+14155552671") == "+14155550000"
    assert picker.pick("+14155552671", agent_number="+14155559999") == "+14155559999"
    campaign.caller_id_mode = "forced"
    assert picker.pick("+14155552671", agent_number="+14155559999") == "+14155550000"
    campaign.caller_id_mode, campaign.caller_id_pool = "pool", "main"
    assert [picker.pick("+14155552671") for _ in range(5)] == [
        "+12125550003", "+13125550004", "+14155550001", "+14155550002", "+12125550003"]
    campaign.caller_id_mode = "local_presence"
    assert {picker.pick("+14155552671") for _ in range(4)} == {"+14155550001", "+14155550002"}
    assert picker.pick("+12125550143") == "+12125550003"
    assert picker.pick("+16175550100") in {"+12125550003", "+13125550004", "+14155550001", "+14155550002"}
    empty = Campaign.create(name="empty", caller_id_mode="pool", caller_id_pool="none", caller_id_number="")
    with pytest.raises(NoCallerId):
        CallerIdPicker(empty).pick("+14155552671")
