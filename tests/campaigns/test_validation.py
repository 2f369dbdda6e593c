"""Campaign validation: every field checked, every error named, several at once."""
import datetime as dt

import pytest

from engine.campaigns.errors import CampaignValidationError
from engine.campaigns.validation import validate_campaign

GOOD = {
    "name": "Spring renewals",
    "dial_mode": "power",
    "connect_order": "customer_first",
    "power_ratio": "150%",
    "ring_timeout_seconds": "20",
    "retry_delays": {"busy": "10m", "no_answer": 3600, "machine": "1d"},
    "max_attempts_per_outcome": {"busy": 3, "no_answer": "2"},
    "max_attempts": 5,
    "local_window_start": "09:00",
    "local_window_end": "20:30",
    "start_date": "2026-03-01",
    "end_date": "2026-03-31",
    "caller_id_mode": "fixed",
    "caller_id_number": "+1 415-555-2671",
    "webhook_url": "https://crm.example.com/hooks/fscc",
    "webhook_secret": "0123456789abcdef",
    "trusted_ips": "10.0.0.0/8, 192.168.1.7",
    "abandon_target": "2.5%",
    "default_region": "gb",
}


def errors_of(body, existing=None):
    with pytest.raises(CampaignValidationError) as info:
        validate_campaign(body, existing)
    return info.value.as_dict()


def test_good_campaign_is_cleaned_to_column_types():
    cleaned = validate_campaign(GOOD)
    assert cleaned["power_ratio"] == 1.5
    assert cleaned["ring_timeout_seconds"] == 20
    assert cleaned["retry_delays"] == {"busy": 600, "no_answer": 3600, "machine": 86400}
    assert cleaned["max_attempts_per_outcome"] == {"busy": 3, "no_answer": 2}
    assert cleaned["start_date"] == dt.date(2026, 3, 1)
    assert cleaned["caller_id_number"] == "+14155552671"
    assert cleaned["trusted_ips"] == ["10.0.0.0/8", "192.168.1.7/32"]
    assert cleaned["abandon_target"] == pytest.approx(0.025)
    assert cleaned["default_region"] == "GB"


@pytest.mark.parametrize("ratio, ok", [("1", True), ("9", True), ("0.5", False), ("10", False),
                                        ("100%", True), ("300", True), ("301%", False), ("99%", False),
                                        ("lots", False)])
def test_power_ratio_is_1_to_9_or_100_to_300_percent(ratio, ok):
    body = {**GOOD, "power_ratio": ratio}
    if ok:
        validate_campaign(body)
    else:
        assert "power_ratio" in errors_of(body)


def test_several_errors_are_collected_in_one_pass():
    bad = {**GOOD, "dial_mode": "telepathy", "connect_order": "random", "local_window_start": "9am",
           "end_date": "2026-02-30", "trusted_ips": ["10.0.0.300"], "webhook_url": "ftp://x",
           "retry_delays": {"busy": "soon"}, "max_attempts_per_outcome": {"busy": 11},
           "colour": "blue"}
    errors = errors_of(bad)
    assert set(errors) >= {"dial_mode", "connect_order", "local_window_start", "end_date", "trusted_ips",
                           "webhook_url", "retry_delays", "max_attempts_per_outcome", "colour"}
    assert "HH:MM" in errors["local_window_start"]
    assert "busy" in errors["retry_delays"]
    assert "between 0 and 10" in errors["max_attempts_per_outcome"]
    assert errors["colour"] == "unknown field"


def test_ring_timeout_below_15_needs_explicit_lowering_which_is_kept():
    assert "ring_timeout_seconds" in errors_of({**GOOD, "ring_timeout_seconds": 10})
    cleaned = validate_campaign({**GOOD, "ring_timeout_seconds": 10, "ring_timeout_lowered": True})
    assert cleaned["settings"]["ring_timeout_lowered"] is True
    # a later edit of the same campaign sees the stored flag
    validate_campaign({"ring_timeout_seconds": 12}, existing={**cleaned})


def test_caller_id_is_always_set():
    assert "caller_id_number" in errors_of({**GOOD, "caller_id_number": ""})
    assert "caller_id_number" in errors_of({"name": "x"})  # default mode fixed, no number
    assert "caller_id_pool" in errors_of({**GOOD, "caller_id_mode": "local_presence"})
    validate_campaign({**GOOD, "caller_id_mode": "pool", "caller_id_pool": "east"})
    assert "caller_id_number" in errors_of({**GOOD, "caller_id_number": "+1 555"})


def test_cross_field_rules():
    assert "end_date" in errors_of({**GOOD, "end_date": "2026-02-01"})
    assert "local_window_end" in errors_of({**GOOD, "local_window_end": "08:00"})
    assert "webhook_secret" in errors_of({**GOOD, "webhook_secret": "short"})
    assert "ivr_flow" in errors_of({**GOOD, "dial_mode": "broadcast"})
    assert "dnc_level" in errors_of({**GOOD, "dnc_level": "team"})
    assert "abandon_target" in errors_of({**GOOD, "abandon_target": 0.05})
    assert "max_attempts_per_outcome" in errors_of({**GOOD, "max_attempts": 2})
    assert "name" in errors_of({k: v for k, v in GOOD.items() if k != "name"})


@pytest.mark.parametrize("mode", ["progressive", "power", "predictive", "preview", "manual"])
def test_amd_ivr_is_refused_for_agent_modes_with_a_field_error(mode):
    errors = errors_of({**GOOD, "dial_mode": mode, "amd_enabled": True, "amd_action": "ivr"})
    assert list(errors) == ["amd_action"]
    assert "agentless" in errors["amd_action"] and "hangup, message, agent" in errors["amd_action"]
    for action in ("hangup", "message", "agent"):
        assert validate_campaign({**GOOD, "dial_mode": mode, "amd_action": action})["amd_action"] == action


def test_amd_ivr_is_for_agentless_modes_and_checked_on_update():
    agentless = {**GOOD, "dial_mode": "broadcast_ivr", "ivr_flow": "menu", "amd_action": "ivr"}
    assert validate_campaign(agentless)["amd_action"] == "ivr"
    existing = validate_campaign(agentless)
    assert "amd_action" in errors_of({"dial_mode": "predictive"}, existing)  # switching mode re-checks it
    existing = validate_campaign(GOOD)
    assert "amd_action" in errors_of({"amd_action": "ivr"}, existing)


def test_update_validates_only_given_fields_but_checks_against_existing():
    existing = validate_campaign(GOOD)
    assert validate_campaign({"priority": "2"}, existing) == {"priority": 2}
    assert "end_date" in errors_of({"end_date": "2026-01-01"}, existing)


def test_references_must_exist(sqlite_store):
    from engine.campaigns.validation import check_references
    from engine.store import CallerId, Trunk

    trunk = Trunk.create(name="t", gateway="gw")
    cleaned = validate_campaign({**GOOD, "trunk": trunk.id})
    check_references(cleaned)
    with pytest.raises(CampaignValidationError) as info:
        check_references({**cleaned, "trunk": trunk.id + 1, "schedule": 9, "ivr_flow": "nope",
                          "caller_id_mode": "pool", "caller_id_pool": "east", "caller_id_number": ""})
    assert set(info.value.as_dict()) == {"trunk", "schedule", "ivr_flow", "caller_id_pool"}
    CallerId.create(number="+14155550001", pool="east", approved=True)
    check_references({**cleaned, "caller_id_mode": "pool", "caller_id_pool": "east", "caller_id_number": ""})


def test_amd_fallback_setting_is_a_known_method():
    assert validate_campaign({**GOOD, "settings": {"amd_fallback": "avmd"}})["settings"]["amd_fallback"] == "avmd"
    assert "settings" in errors_of({**GOOD, "settings": {"amd_fallback": "guess"}})
