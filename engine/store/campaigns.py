"""Outbound campaigns and what they dial through: trunks, caller IDs, dispositions."""
from __future__ import annotations

import peewee

from engine.store.accounts import Team
from engine.store.agents import Agent
from engine.store.base import BaseModel, JSONField, utcnow
from engine.store.queues import Queue, Schedule

CAMPAIGN_STATUSES = ("draft", "scheduled", "running", "paused", "completed")
DIAL_MODES = (
    "manual", "preview", "progressive", "power", "predictive",
    "broadcast", "notification", "press1", "survey", "validity", "broadcast_ivr",
)
AGENTLESS_MODES = ("broadcast", "notification", "survey", "validity", "broadcast_ivr")
CONNECT_ORDERS = ("customer_first", "agent_first", "simultaneous")
DEFAULT_DISPOSITIONS = ("unprocessed", "follow_up", "failed", "success")


class Trunk(BaseModel):
    """A SIP gateway calls leave through (``sofia/gateway/NAME/``)."""

    name = peewee.CharField(unique=True, max_length=80)
    gateway = peewee.CharField(max_length=80)
    address = peewee.CharField(default="", max_length=255)
    port = peewee.IntegerField(default=5060)
    codecs = peewee.CharField(default="PCMU,PCMA", max_length=120)
    prefix = peewee.CharField(default="", max_length=16)
    max_channels = peewee.IntegerField(default=0)
    active = peewee.BooleanField(default=True)


class CallerId(BaseModel):
    """A number the center may present; ``approved`` gates its use."""

    number = peewee.CharField(max_length=32)
    name = peewee.CharField(default="", max_length=80)
    pool = peewee.CharField(default="", max_length=80, index=True)
    area = peewee.CharField(default="", max_length=16)
    approved = peewee.BooleanField(default=False)

    class Meta:
        indexes = ((("number", "pool"), True),)


class Campaign(BaseModel):
    """An outbound campaign (task): who it dials, when, how, and what counts as done."""

    name = peewee.CharField(unique=True, max_length=120)
    status = peewee.CharField(default="draft", max_length=16, index=True)
    team = peewee.ForeignKeyField(Team, null=True, backref="campaigns", on_delete="SET NULL")
    urgent = peewee.BooleanField(default=False)
    priority = peewee.IntegerField(default=5)  # 1 is highest
    dial_mode = peewee.CharField(default="progressive", max_length=16)
    connect_order = peewee.CharField(default="customer_first", max_length=16)
    power_ratio = peewee.FloatField(default=1.0)
    abandon_target = peewee.FloatField(default=0.03)
    max_lines = peewee.IntegerField(default=0)
    calls_per_second = peewee.FloatField(default=5.0)
    ring_timeout_seconds = peewee.IntegerField(default=30)
    preview_countdown_seconds = peewee.IntegerField(default=0)
    schedule = peewee.ForeignKeyField(Schedule, null=True, on_delete="SET NULL")
    start_date = peewee.DateField(null=True)
    end_date = peewee.DateField(null=True)
    default_region = peewee.CharField(default="US", max_length=2)
    local_window_start = peewee.CharField(default="09:00", max_length=5)
    local_window_end = peewee.CharField(default="21:00", max_length=5)
    window_mode = peewee.CharField(default="clients_only", max_length=24)
    trunk = peewee.ForeignKeyField(Trunk, null=True, on_delete="SET NULL")
    caller_id_mode = peewee.CharField(default="fixed", max_length=16)
    caller_id_number = peewee.CharField(default="", max_length=32)
    caller_id_pool = peewee.CharField(default="", max_length=80)
    max_attempts = peewee.IntegerField(default=3)
    retry_delays = JSONField(default=dict)  # outcome -> seconds
    max_attempts_per_outcome = JSONField(default=dict)
    recycle_days = peewee.IntegerField(default=0)
    daily_attempts_per_number = peewee.IntegerField(default=3)
    monthly_contacts_per_customer = peewee.IntegerField(default=0)
    dnc_level = peewee.CharField(default="campaign", max_length=16)
    dedupe_across_campaigns = peewee.BooleanField(default=False)
    wrap_up_seconds = peewee.IntegerField(default=30)
    wrap_up_extend_seconds = peewee.IntegerField(default=30)
    auto_end_wrap_up = peewee.BooleanField(default=True)
    hangup_after_submit = peewee.BooleanField(default=False)
    default_disposition = peewee.CharField(default="unprocessed", max_length=60)
    script = peewee.TextField(default="")
    no_agent_action = peewee.CharField(default="message", max_length=16)
    no_agent_message = peewee.CharField(default="", max_length=255)
    amd_enabled = peewee.BooleanField(default=False)
    amd_action = peewee.CharField(default="hangup", max_length=16)
    ivr_flow = peewee.CharField(default="", max_length=120)
    queue = peewee.ForeignKeyField(Queue, null=True, on_delete="SET NULL")
    record = peewee.BooleanField(default=False)
    mask_numbers = peewee.BooleanField(default=False)
    agents_may_fetch = peewee.BooleanField(default=False)
    fetch_max = peewee.IntegerField(default=10)
    owned_max = peewee.IntegerField(default=50)
    agents_may_add_contacts = peewee.BooleanField(default=True)
    webhook_url = peewee.CharField(default="", max_length=500)
    webhook_secret = peewee.CharField(default="", max_length=120)
    trusted_ips = JSONField(default=list)
    settings = JSONField(default=dict)  # fields layout, survey save-check, transfer restriction...
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    @property
    def is_agentless(self) -> bool:
        return self.dial_mode in AGENTLESS_MODES


class CampaignAgent(BaseModel):
    campaign = peewee.ForeignKeyField(Campaign, backref="agent_links", on_delete="CASCADE")
    agent = peewee.ForeignKeyField(Agent, backref="campaign_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("campaign", "agent"), True),)


class DispositionType(BaseModel):
    """A result an agent may submit; ``campaign`` null means the default set."""

    campaign = peewee.ForeignKeyField(Campaign, null=True, backref="disposition_types", on_delete="CASCADE")
    code = peewee.CharField(max_length=60)
    label = peewee.CharField(max_length=120)
    final = peewee.BooleanField(default=True)
    adds_to_dnc = peewee.BooleanField(default=False)
    success = peewee.BooleanField(default=False)

    class Meta:
        indexes = ((("campaign", "code"), True),)
