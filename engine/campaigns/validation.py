"""Validate a campaign as it arrives from a form or the JSON API, field by field.

``validate_campaign(body)`` returns the cleaned values (Python types, names of
:class:`engine.store.Campaign` columns) or raises :class:`CampaignValidationError` holding
one :class:`CampaignError` per bad field, so the page can show them all at once. For an
update pass ``existing`` (the campaign's current values as a dict): only the fields in
``body`` are cleaned, but cross-field rules see the merged result.

The rules come from FEATURES.md "Outbound campaigns": dial modes, connection order, power
ratio 1-9 or 100-300 %, ring timeout at least 15 s unless ``ring_timeout_lowered`` is set,
retries per outcome (at most 10 each), "HH:MM" windows, dates, a caller ID that is always
set, webhook URL, trusted IPs, abandon-rate target (3 % regulatory cap).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

import phonenumbers

from engine.campaigns.errors import CampaignError, CampaignValidationError
from engine.campaigns.timeparse import parse_duration, parse_hhmm
from engine.store.campaigns import AGENTLESS_MODES, CAMPAIGN_STATUSES, CONNECT_ORDERS, DIAL_MODES
from engine.values import parse_bool

RETRY_OUTCOMES = ("busy", "no_answer", "failed", "machine", "abandoned")
CALLER_ID_MODES = ("fixed", "pool", "local_presence", "forced")
WINDOW_MODES = ("clients_only", "operators_and_clients")
DNC_LEVELS = ("global", "team", "campaign")
NO_AGENT_ACTIONS = ("message", "hangup", "queue")
AMD_ACTIONS = ("hangup", "message", "agent", "ivr")
# Agent campaigns originate a parked leg with no socket for a flow: machines are hung up,
# get the campaign's message after the beep, or go to an agent. "ivr" is agentless-only.
AGENT_AMD_ACTIONS = ("hangup", "message", "agent")
MAX_ATTEMPTS_PER_OUTCOME = 10
MIN_RING_TIMEOUT = 15
ABANDON_CAP = 0.03

Cleaner = Callable[[Any], Any]


def _text(max_len: int, required: bool = False) -> Cleaner:
    def clean(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise ValueError("is required")
        if len(text) > max_len:
            raise ValueError(f"must be at most {max_len} characters")
        return text
    return clean


def _choice(options: tuple[str, ...]) -> Cleaner:
    def clean(value: Any) -> str:
        if value not in options:
            raise ValueError(f"{value!r} is not one of {', '.join(options)}")
        return str(value)
    return clean


def _integer(low: int, high: int) -> Cleaner:
    def clean(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        try:
            number = int(str(value).strip()) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a whole number") from None
        if isinstance(value, float) and value != number:
            raise ValueError(f"{value!r} is not a whole number")
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}, got {number}")
        return number
    return clean


def _optional_id(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    return int(_integer(1, 2**62)(value))


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date as YYYY-MM-DD") from None


def _hhmm(value: Any) -> str:
    parse_hhmm(str(value))
    return str(value).strip()


def _region(value: Any) -> str:
    region = str(value or "").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a known region code (ISO 3166, e.g. US, GB, FR)")
    return region


def _e164(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{text!r} is not a number in international form (+CC...)") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _power_ratio(value: Any) -> float:
    """1-9 lines per idle agent, or 100-300 % (stored as a ratio, 150 % -> 1.5)."""
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a ratio (1-9) or a percentage (100-300%)") from None
    if percent or number >= 100:
        if not 100 <= number <= 300:
            raise ValueError(f"a percentage must be between 100% and 300%, got {number:g}%")
        return number / 100.0
    if not 1 <= number <= 9:
        raise ValueError(f"a ratio must be between 1 and 9 (or 100-300%), got {number:g}")
    return number


def _fraction(low: float, high: float) -> Cleaner:
    def clean(value: Any) -> float:
        text = str(value).strip()
        try:
            number = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        if not low < number <= high:
            raise ValueError(f"must be above {low:g} and at most {high:g} ({high:.0%}), got {number:g}")
        return number
    return clean


def _per_outcome(value_cleaner: Cleaner) -> Cleaner:
    def clean(value: Any) -> dict[str, int]:
        if value in (None, ""):
            return {}
        if not isinstance(value, Mapping):
            raise ValueError("must map outcomes (busy, no_answer, failed, machine, abandoned) to values")
        out: dict[str, int] = {}
        for outcome, item in value.items():
            if outcome not in RETRY_OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}; expected {', '.join(RETRY_OUTCOMES)}")
            try:
                out[outcome] = value_cleaner(item)
            except ValueError as exc:
                raise ValueError(f"{outcome}: {exc}") from None
        return out
    return clean


def _delay(value: Any) -> int:
    seconds = parse_duration(value)
    if seconds > 30 * 86400:
        raise ValueError("a retry wait must be at most 30 days")
    return seconds


def _webhook_url(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"{text!r} is not an http(s) URL with a host")
    if len(text) > 500:
        raise ValueError("must be at most 500 characters")
    return text


def _trusted_ips(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    out = []
    for item in items:
        try:
            out.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return out


def _settings(value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("must be an object")
    from engine.campaigns.amd import AMD_FALLBACKS, FALLBACK_SETTING

    fallback = value.get(FALLBACK_SETTING)
    if fallback not in (None, "") and fallback not in AMD_FALLBACKS:
        raise ValueError(f"{FALLBACK_SETTING} must be one of {', '.join(AMD_FALLBACKS)}, got {fallback!r}")
    return dict(value)


FIELDS: dict[str, Cleaner] = {
    "name": _text(120, required=True),
    "status": _choice(CAMPAIGN_STATUSES),
    "team": _optional_id,
    "urgent": parse_bool,
    "priority": _integer(1, 99),
    "dial_mode": _choice(DIAL_MODES),
    "connect_order": _choice(CONNECT_ORDERS),
    "power_ratio": _power_ratio,
    "abandon_target": _fraction(0.0, ABANDON_CAP),
    "max_lines": _integer(0, 100_000),
    "calls_per_second": _fraction(0.0, 1000.0),
    "ring_timeout_seconds": _integer(5, 300),
    "preview_countdown_seconds": _integer(0, 600),
    "schedule": _optional_id,
    "start_date": _date,
    "end_date": _date,
    "default_region": _region,
    "local_window_start": _hhmm,
    "local_window_end": _hhmm,
    "window_mode": _choice(WINDOW_MODES),
    "trunk": _optional_id,
    "caller_id_mode": _choice(CALLER_ID_MODES),
    "caller_id_number": _e164,
    "caller_id_pool": _text(80),
    "max_attempts": _integer(1, 5 * MAX_ATTEMPTS_PER_OUTCOME),
    "retry_delays": _per_outcome(_delay),
    "max_attempts_per_outcome": _per_outcome(_integer(0, MAX_ATTEMPTS_PER_OUTCOME)),
    "recycle_days": _integer(0, 365),
    "daily_attempts_per_number": _integer(1, 50),
    "monthly_contacts_per_customer": _integer(0, 1000),
    "dnc_level": _choice(DNC_LEVELS),
    "dedupe_across_campaigns": parse_bool,
    "wrap_up_seconds": _integer(0, 3600),
    "wrap_up_extend_seconds": _integer(0, 3600),
    "auto_end_wrap_up": parse_bool,
    "hangup_after_submit": parse_bool,
    "default_disposition": _text(60, required=True),
    "script": _text(100_000),
    "no_agent_action": _choice(NO_AGENT_ACTIONS),
    "no_agent_message": _text(255),
    "amd_enabled": parse_bool,
    "amd_action": _choice(AMD_ACTIONS),
    "ivr_flow": _text(120),
    "queue": _optional_id,
    "record": parse_bool,
    "mask_numbers": parse_bool,
    "agents_may_fetch": parse_bool,
    "fetch_max": _integer(1, 1000),
    "owned_max": _integer(1, 100_000),
    "agents_may_add_contacts": parse_bool,
    "webhook_url": _webhook_url,
    "webhook_secret": _text(120),
    "trusted_ips": _trusted_ips,
    "settings": _settings,
}
# Not columns: flags that change how other fields are checked.
FLAGS = {"ring_timeout_lowered": parse_bool}
REQUIRED_ON_CREATE = ("name",)


def validate_campaign(body: Mapping[str, Any], existing: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Clean ``body``; return column values or raise CampaignValidationError listing every bad field.

    ``existing`` (current column values) makes this an update: missing fields keep their
    values and only the fields given are returned.
    """
    errors: list[CampaignError] = []
    cleaned: dict[str, Any] = {}
    flags: dict[str, Any] = {}
    for key, value in body.items():
        cleaner = FIELDS.get(key) or FLAGS.get(key)
        if cleaner is None:
            errors.append(CampaignError(key, "unknown field"))
            continue
        try:
            (flags if key in FLAGS else cleaned)[key] = cleaner(value)
        except ValueError as exc:
            errors.append(CampaignError(key, str(exc)))
    if existing is None:
        errors.extend(CampaignError(key, "is required") for key in REQUIRED_ON_CREATE if key not in body)
    merged = {**_defaults(), **dict(existing or {}), **cleaned}
    failed = {e.field for e in errors}
    errors.extend(e for e in _cross_checks(merged, flags, body, existing) if e.field not in failed)
    if errors:
        raise CampaignValidationError(errors)
    if "ring_timeout_lowered" in flags:  # kept with the campaign so later edits see it
        settings = dict(cleaned.get("settings") or (existing or {}).get("settings") or {})
        settings["ring_timeout_lowered"] = flags["ring_timeout_lowered"]
        cleaned["settings"] = settings
    return cleaned


def _defaults() -> dict[str, Any]:
    from engine.store.campaigns import Campaign

    return {name: field.default() if callable(field.default) else field.default
            for name, field in Campaign._meta.fields.items() if name in FIELDS}


def _cross_checks(merged: Mapping[str, Any], flags: Mapping[str, Any], body: Mapping[str, Any],
                  existing: Mapping[str, Any] | None) -> list[CampaignError]:
    errors = []
    ring = merged.get("ring_timeout_seconds") or 0
    lowered = flags.get("ring_timeout_lowered") or (merged.get("settings") or {}).get("ring_timeout_lowered")
    if ring < MIN_RING_TIMEOUT and not lowered:
        errors.append(CampaignError(
            "ring_timeout_seconds",
            f"must be at least {MIN_RING_TIMEOUT} s; set ring_timeout_lowered to go lower"))
    start, end = merged.get("start_date"), merged.get("end_date")
    if start and end and end < start:
        errors.append(CampaignError("end_date", "must be on or after start_date"))
    try:
        if parse_hhmm(merged["local_window_start"]) >= parse_hhmm(merged["local_window_end"]):
            errors.append(CampaignError("local_window_end", "must be later than local_window_start"))
    except (KeyError, ValueError):
        pass  # already reported on the field itself
    mode = merged.get("caller_id_mode")
    if mode in ("fixed", "forced") and not merged.get("caller_id_number"):
        errors.append(CampaignError("caller_id_number", f"is required with caller_id_mode {mode}: a caller ID is always set"))
    if mode in ("pool", "local_presence") and not merged.get("caller_id_pool"):
        errors.append(CampaignError("caller_id_pool", f"is required with caller_id_mode {mode}"))
    dial_mode = merged.get("dial_mode")
    if dial_mode in AGENTLESS_MODES and not merged.get("ivr_flow"):
        errors.append(CampaignError("ivr_flow", f"is required for the agentless mode {dial_mode}"))
    if dial_mode not in AGENTLESS_MODES and merged.get("amd_action") not in AGENT_AMD_ACTIONS:
        errors.append(CampaignError("amd_action", f"must be one of {', '.join(AGENT_AMD_ACTIONS)} for the agent "
                                                  f"mode {dial_mode}; ivr is for agentless modes only"))
    if dial_mode == "press1" and not (merged.get("ivr_flow") or merged.get("queue")):
        errors.append(CampaignError("queue", "press-1 campaigns need a queue or an IVR flow to transfer to"))
    if merged.get("dnc_level") == "team" and not merged.get("team"):
        errors.append(CampaignError("dnc_level", "is team but the campaign has no team"))
    if merged.get("webhook_url") and len(merged.get("webhook_secret") or "") < 16:
        errors.append(CampaignError("webhook_secret", "must be at least 16 characters when a webhook URL is set"))
    if merged.get("no_agent_action") == "message" and dial_mode not in AGENTLESS_MODES \
            and not merged.get("no_agent_message") and "no_agent_action" in body:
        errors.append(CampaignError("no_agent_message", "is required when no_agent_action is message"))
    per_outcome = merged.get("max_attempts_per_outcome") or {}
    if sum(per_outcome.values()) and merged.get("max_attempts") and \
            max(per_outcome.values()) > merged["max_attempts"]:
        errors.append(CampaignError("max_attempts_per_outcome", "no outcome may allow more than max_attempts"))
    return errors


def check_references(cleaned: Mapping[str, Any], existing: Mapping[str, Any] | None = None) -> None:
    """Check what the cleaned values point at exists in the store (trunk, schedule, queue,
    team, IVR flow, an approved number in the caller-ID pool); raise CampaignValidationError."""
    from engine.store import CallerId, IvrFlow, Queue, Schedule, Team, Trunk

    merged = {**dict(existing or {}), **cleaned}
    errors = []
    for field, model in (("trunk", Trunk), ("schedule", Schedule), ("queue", Queue), ("team", Team)):
        ref = merged.get(field)
        if ref is not None and model.get_or_none(model._meta.primary_key == ref) is None:
            errors.append(CampaignError(field, f"no {field} with id {ref}"))
    if merged.get("ivr_flow") and IvrFlow.get_or_none(IvrFlow.name == merged["ivr_flow"]) is None:
        errors.append(CampaignError("ivr_flow", f"no IVR flow named {merged['ivr_flow']!r}"))
    if merged.get("caller_id_mode") in ("pool", "local_presence") and merged.get("caller_id_pool"):
        approved = CallerId.select().where((CallerId.pool == merged["caller_id_pool"])
                                           & (CallerId.approved == True))  # noqa: E712
        if not approved.exists() and not merged.get("caller_id_number"):
            errors.append(CampaignError("caller_id_pool", f"pool {merged['caller_id_pool']!r} has no approved number "
                                                          "and no fallback caller_id_number is set"))
    if errors:
        raise CampaignValidationError(errors)
