# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Every admin area's fields, roles and team scope, registered in ``control.resources``."""
from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from typing import Any

import peewee
import phonenumbers

from control.access import MANAGERS, team_ids
from control.forms import Field, FieldError, ValidationFailed
from control.resources import Resource, register
from engine.campaigns.validation import CALLER_ID_MODES
from engine.store import (
    CONNECT_ORDERS,
    DIAL_MODES,
    OVERFLOW_KINDS,
    ROLES,
    STRATEGIES,
    Agent,
    AgentSkill,
    CallerId,
    Campaign,
    CampaignAgent,
    DispositionType,
    DncEntry,
    Holiday,
    Queue,
    QueueMember,
    Schedule,
    Skill,
    Team,
    Trunk,
    User,
    UserTeam,
)


def e164(text: str, region: str = "US") -> str:
    """Normalise a phone number to E.164 or raise ValueError with the reason."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"{text!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_check(value: str) -> str:
    try:
        e164(value)
    except ValueError as exc:
        return str(exc)
    return ""


def _tz_check(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}"
    return ""


def _hours_check(value: Any) -> str:
    import re

    for day, ranges in value.items():
        if str(day) not in {str(d) for d in range(7)}:
            return f"weekday {day!r} must be 0 (Monday) .. 6 (Sunday)"
        if not isinstance(ranges, list):
            return f"weekday {day}: expected a list of [start, end] pairs"
        for pair in ranges:
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(t, str) and re.match(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", t) for t in pair)):
                return f"weekday {day}: {pair!r} is not a [\"HH:MM\", \"HH:MM\"] pair"
            if pair[0] >= pair[1]:
                return f"weekday {day}: {pair[0]} must be before {pair[1]}"
    return ""


def _team_scope(team_field: Any) -> Any:
    def scope(query: peewee.ModelSelect, user: User) -> peewee.ModelSelect:
        teams = team_ids(user)
        return query if teams is None else query.where(team_field.in_(list(teams) or [-1]))
    return scope


def _via(join_model: type, team_field: Any) -> Any:
    def scope(query: peewee.ModelSelect, user: User) -> peewee.ModelSelect:
        teams = team_ids(user)
        if teams is None:
            return query
        return query.join(join_model).where(team_field.in_(list(teams) or [-1]))
    return scope


TEAM = Field("team", "fk", fk=Team, help="Team that owns it; scopes who sees it.")

register(Resource(
    "teams", "Teams", Team,
    (Field("name", required=True, max_length=80), Field("description", "text")),
    ("name", "description"),
    scope=_team_scope(Team.id), team_of=lambda t: t.id,
))


def _user_validate(values: dict[str, Any], obj: Any) -> None:
    if obj is None and not values.get("password"):
        raise FieldError("password", "is required for a new user")
    if values.get("password") is not None and values.get("password") and len(values["password"]) < 8:
        raise FieldError("password", "must be at least 8 characters")


def _user_after_save(obj: Any, values: dict[str, Any], actor: User) -> None:
    if "teams" in values:
        UserTeam.delete().where(UserTeam.user == obj).execute()
        for team in values["teams"]:
            UserTeam.create(user=obj, team=team)


def _user_out(obj: Any) -> dict[str, Any]:
    return {"teams": [link.team_id for link in UserTeam.select().where(UserTeam.user == obj)]}


register(Resource(
    "users", "Users", User,
    (Field("username", required=True, max_length=80), Field("full_name", max_length=120),
     Field("role", "choice", required=True, choices=ROLES), Field("active", "bool", default=True),
     Field("password", "password", write_only=True, help="At least 8 characters; leave empty to keep."),
     Field("teams", "multi_fk", fk=Team, help="Teams this user sees and acts on.")),
    ("username", "full_name", "role", "active"),
    read_roles=("admin",), scope=_via(UserTeam, UserTeam.team),
    validate=_user_validate, after_save=_user_after_save, extra_out=_user_out,
))

register(Resource(
    "agents", "Agents", Agent,
    (Field("name", required=True, max_length=120),
     Field("extension", required=True, max_length=32, check=lambda v: "" if v.isdigit() else "must be digits"),
     Field("sip_password", "password", max_length=64, write_only=True, help="SIP password of the phone."),
     Field("user", "fk", fk=User, fk_label="username"), TEAM,
     Field("mobile", max_length=32), Field("max_no_answer", "int", min=0, max=100),
     Field("wrap_up_seconds", "int", min=0, max=3600), Field("reject_delay_seconds", "int", min=0, max=3600),
     Field("busy_delay_seconds", "int", min=0, max=3600), Field("no_answer_delay_seconds", "int", min=0, max=3600),
     Field("active", "bool", default=True)),
    ("name", "extension", "team", "user", "active"),
    scope=_team_scope(Agent.team), team_of=lambda a: a.team_id,
    validate=lambda v, o: _require_on_create(v, o, "sip_password"),
))


def _require_on_create(values: dict[str, Any], obj: Any, name: str) -> None:
    if obj is None and not values.get(name):
        raise FieldError(name, "is required")


register(Resource("skills", "Skills", Skill, (Field("name", required=True, max_length=60),), ("name",)))
register(Resource(
    "agent-skills", "Agent skills", AgentSkill,
    (Field("agent", "fk", required=True, fk=Agent), Field("skill", "fk", required=True, fk=Skill),
     Field("level", "int", min=1, max=10, default=5)),
    ("agent", "skill", "level"), scope=_via(Agent, Agent.team), team_of=lambda r: r.agent.team_id,
))

register(Resource(
    "schedules", "Schedules", Schedule,
    (Field("name", required=True, max_length=80), Field("timezone", max_length=64, default="UTC", check=_tz_check),
     Field("hours", "json", default=dict, check=_hours_check,
           help='Weekday (0=Monday) to [["HH:MM","HH:MM"], ...], e.g. {"0": [["09:00","17:00"]]}')),
    ("name", "timezone"),
))
register(Resource(
    "holidays", "Holidays", Holiday,
    (Field("schedule", "fk", required=True, fk=Schedule), Field("day", "date", required=True),
     Field("name", max_length=80)),
    ("schedule", "day", "name"), order_by="day",
))

register(Resource(
    "queues", "Queues", Queue,
    (Field("name", required=True, max_length=80), TEAM,
     Field("strategy", "choice", choices=STRATEGIES, default="longest_idle"),
     Field("skill", "fk", fk=Skill), Field("moh", max_length=255, label="Music on hold"),
     Field("announce_position_seconds", "int", min=0, max=3600),
     Field("offer_timeout_seconds", "int", min=5, max=300), Field("wrap_up_seconds", "int", min=0, max=3600),
     Field("max_wait_seconds", "int", min=0, max=86400), Field("max_wait_no_agents_seconds", "int", min=0, max=86400),
     Field("overflow_kind", "choice", choices=OVERFLOW_KINDS, default="voicemail"),
     Field("overflow_target", max_length=120), Field("schedule", "fk", fk=Schedule),
     Field("after_hours_kind", "choice", choices=OVERFLOW_KINDS, default="voicemail"),
     Field("after_hours_target", max_length=120), Field("record", "bool"), Field("callback_offer", "bool"),
     Field("abandon_resume_seconds", "int", min=0, max=86400), Field("satisfaction_survey", "bool"),
     Field("service_level_seconds", "int", min=1, max=3600),
     Field("vip_numbers", "phone_list", help="Comma-separated E.164 numbers routed ahead of the queue.")),
    ("name", "team", "strategy", "overflow_kind"),
    scope=_team_scope(Queue.team), team_of=lambda q: q.team_id,
))
register(Resource(
    "queue-members", "Queue members", QueueMember,
    (Field("queue", "fk", required=True, fk=Queue), Field("agent", "fk", required=True, fk=Agent),
     Field("tier", "int", min=1, max=9, default=1), Field("position", "int", min=1, max=999, default=1)),
    ("queue", "agent", "tier", "position"), scope=_via(Queue, Queue.team), team_of=lambda m: m.queue.team_id,
))

register(Resource(
    "trunks", "Trunks", Trunk,
    (Field("name", required=True, max_length=80), Field("gateway", required=True, max_length=80),
     Field("address", max_length=255), Field("port", "int", min=1, max=65535, default=5060),
     Field("codecs", max_length=120, default="PCMU,PCMA"), Field("prefix", max_length=16),
     Field("max_channels", "int", min=0, max=100000), Field("active", "bool", default=True)),
    ("name", "gateway", "address", "port", "active"),
))
register(Resource(
    "caller-ids", "Caller IDs", CallerId,
    (Field("number", required=True, max_length=32, check=_phone_check), Field("name", max_length=80),
     Field("pool", max_length=80), Field("area", max_length=16),
     Field("approved", "bool", help="Only approved numbers are presented.")),
    ("number", "name", "pool", "approved"),
))


def _dnc_validate(values: dict[str, Any], obj: Any) -> None:
    if "phone" in values:
        values["phone"] = e164(values["phone"]) if not _phone_check(values["phone"]) else values["phone"]
    scope = values.get("scope", getattr(obj, "scope", "global"))
    if scope == "team" and not (values.get("team") or getattr(obj, "team_id", None)):
        raise FieldError("team", "is required for a team-level entry")
    if scope == "campaign" and not (values.get("campaign") or getattr(obj, "campaign_id", None)):
        raise FieldError("campaign", "is required for a campaign-level entry")


register(Resource(
    "dnc", "Do-not-call list", DncEntry,
    (Field("phone", required=True, max_length=20, check=_phone_check),
     Field("scope", "choice", choices=("global", "team", "campaign"), default="global"), TEAM,
     Field("campaign", "fk", fk=Campaign),
     Field("list_color", "choice", choices=("red", "black", "grey"), default="black"),
     Field("category", max_length=60), Field("reason", max_length=255)),
    ("phone", "scope", "team", "campaign", "list_color", "reason"),
    write_roles=MANAGERS, scope=_team_scope(DncEntry.team), team_of=lambda d: d.team_id,
    validate=_dnc_validate,
))

CAMPAIGN_FIELDS = (
    Field("name", required=True, max_length=120), TEAM,
    Field("urgent", "bool"), Field("priority", "int", min=1, max=99, default=5, help="1 is highest."),
    Field("dial_mode", "choice", choices=DIAL_MODES, default="progressive"),
    Field("connect_order", "choice", choices=CONNECT_ORDERS, default="customer_first"),
    Field("power_ratio", default="1", help="1-9 lines per idle agent, or 100-300%."),
    Field("abandon_target", default="0.03", help="Fraction or percent, at most 3%."),
    Field("max_lines", "int", min=0, max=10000), Field("calls_per_second", "float", min=0.1, max=1000, default=5.0),
    Field("ring_timeout_seconds", "int", min=5, max=120, default=30),
    Field("preview_countdown_seconds", "int", min=0, max=600),
    Field("schedule", "fk", fk=Schedule), Field("start_date", "date"), Field("end_date", "date"),
    Field("default_region", max_length=2, default="US"),
    Field("local_window_start", "time", default="09:00"), Field("local_window_end", "time", default="21:00"),
    Field("window_mode", "choice", choices=("clients_only", "operators_and_clients"), default="clients_only"),
    Field("trunk", "fk", fk=Trunk),
    Field("caller_id_mode", "choice", choices=CALLER_ID_MODES, default="fixed"),
    Field("caller_id_number", max_length=32), Field("caller_id_pool", max_length=80),
    Field("max_attempts", "int", min=1, max=100, default=3),
    Field("retry_delays", "json", default=dict, help='Outcome to seconds, e.g. {"busy": 300, "no_answer": 3600}'),
    Field("max_attempts_per_outcome", "json", default=dict),
    Field("recycle_days", "int", min=0, max=365), Field("daily_attempts_per_number", "int", min=0, max=100, default=3),
    Field("monthly_contacts_per_customer", "int", min=0, max=1000),
    Field("dnc_level", "choice", choices=("campaign", "team", "global"), default="campaign"),
    Field("dedupe_across_campaigns", "bool"),
    Field("wrap_up_seconds", "int", min=0, max=3600, default=30),
    Field("wrap_up_extend_seconds", "int", min=0, max=3600, default=30),
    Field("auto_end_wrap_up", "bool", default=True), Field("hangup_after_submit", "bool"),
    Field("default_disposition", max_length=60, default="unprocessed"),
    Field("script", "text", help="Shown on the agent's screen pop; {first_name} etc. are filled in."),
    Field("no_agent_action", "choice", choices=("message", "hangup", "queue"), default="message"),
    Field("no_agent_message", max_length=255, help="Played at once when an answered call finds no free agent (needed with action message)."), Field("amd_enabled", "bool"),
    Field("amd_action", "choice", choices=("hangup", "message", "agent", "ivr"), default="hangup",
          help="What a detected answering machine gets: hangup; message (the machine message after the beep, "
               "then hangup); agent (treated as a human); ivr (the campaign's flow: agentless modes only)."),
    Field("ivr_flow", max_length=120), Field("queue", "fk", fk=Queue), Field("record", "bool"),
    Field("mask_numbers", "bool"), Field("agents_may_fetch", "bool"),
    Field("fetch_max", "int", min=1, max=1000, default=10), Field("owned_max", "int", min=1, max=100000, default=50),
    Field("agents_may_add_contacts", "bool", default=True), Field("webhook_url", max_length=500),
    Field("webhook_secret", "password", max_length=120, write_only=True),
    Field("trusted_ips", "ips", help="Addresses or networks allowed to call this campaign's API with a token."),
    Field("settings", "json", default=dict,
          help='Extra settings; "questionnaire": [{"key": "interest", "label": "Interested?", "options": ["yes", "no"]}].'),
)


JSON_TEXT_FIELDS = ("retry_delays", "max_attempts_per_outcome", "settings")
CAMPAIGN_FKS = {"team": Team, "schedule": Schedule, "trunk": Trunk, "queue": Queue}


def campaign_clean(raw: Mapping[str, Any], obj: Any, html: bool) -> dict[str, Any]:
    """Campaign input goes through the engine's own validation (engine.campaigns.validation)."""
    from engine.campaigns.errors import CampaignValidationError
    from engine.campaigns.validation import FIELDS, validate_campaign

    body: dict[str, Any] = {}
    if html:
        for spec in CAMPAIGN_FIELDS:
            value = raw.get(spec.name, "")
            if spec.name in JSON_TEXT_FIELDS and isinstance(value, str) and value.strip():
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise ValidationFailed([FieldError(spec.name, f"is not valid JSON (line {exc.lineno}): {exc.msg}")]) from None
            if spec.kind == "password" and not value and obj is not None:
                continue
            if value == "" and spec.kind not in ("str", "text", "password", "bool", "fk", "date"):
                continue  # an emptied number or choice keeps its current (or default) value
            body[spec.name] = value
    else:
        body = dict(raw)
        body.pop("status", None) if obj is None else None
    existing = None
    if obj is not None:
        existing = {name: getattr(obj, name + "_id") if name in CAMPAIGN_FKS else getattr(obj, name)
                    for name in FIELDS if hasattr(obj, name)}
    try:
        values = validate_campaign(body, existing)
    except CampaignValidationError as exc:
        raise ValidationFailed([FieldError(e.field, e.message) for e in exc.errors]) from None
    if "settings" in values:
        from control.questionnaire import check_questionnaire

        try:
            check_questionnaire(values["settings"])
        except FieldError as exc:
            raise ValidationFailed([exc]) from None
    for name, model in CAMPAIGN_FKS.items():
        key = values.get(name)
        if key is not None and model.get_or_none(model.id == key) is None:
            raise ValidationFailed([FieldError(name, f"no {name} with id {key}")])
    return values


register(Resource(
    "campaigns", "Campaigns", Campaign, CAMPAIGN_FIELDS,
    ("name", "status", "dial_mode", "team", "priority"),
    write_roles=MANAGERS, readonly=("status", "created_at"),
    scope=_team_scope(Campaign.team), team_of=lambda c: c.team_id, cleaner=campaign_clean,
    links=(("Open", "campaigns.detail"),),
))
register(Resource(
    "campaign-agents", "Campaign agents", CampaignAgent,
    (Field("campaign", "fk", required=True, fk=Campaign), Field("agent", "fk", required=True, fk=Agent)),
    ("campaign", "agent"), write_roles=MANAGERS, scope=_via(Campaign, Campaign.team),
    team_of=lambda r: r.campaign.team_id,
))
def _dispositions_scope(query: peewee.ModelSelect, user: User) -> peewee.ModelSelect:
    teams = team_ids(user)
    if teams is None:
        return query
    return query.join(Campaign, peewee.JOIN.LEFT_OUTER).where(
        DispositionType.campaign.is_null() | Campaign.team.in_(list(teams) or [-1]))


register(Resource(
    "dispositions", "Disposition types", DispositionType,
    (Field("campaign", "fk", fk=Campaign, help="Empty: part of the default set."),
     Field("code", required=True, max_length=60), Field("label", required=True, max_length=120),
     Field("final", "bool", default=True), Field("adds_to_dnc", "bool"), Field("success", "bool")),
    ("campaign", "code", "label", "final", "adds_to_dnc", "success"), write_roles=MANAGERS,
    scope=_dispositions_scope, team_of=lambda d: d.campaign.team_id if d.campaign_id else None,
))
