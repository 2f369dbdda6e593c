"""Inbound ACD queues, their members (tiers) and schedules."""
from __future__ import annotations

import peewee

from engine.store.accounts import Team
from engine.store.agents import Agent, Skill
from engine.store.base import BaseModel, JSONField, utcnow

STRATEGIES = (
    "ring_all", "longest_idle", "fewest_calls", "least_talk_time", "round_robin", "top_down",
    "random", "ring_progressively", "sticky", "skills", "caller_region", "customer_type",
)
OVERFLOW_KINDS = ("none", "voicemail", "ivr", "queue", "number", "hangup")


class Schedule(BaseModel):
    """A working-time template: per-weekday hour grid plus holidays, in one time zone.

    ``hours`` maps weekday (0=Monday) to a list of ``[start, end]`` "HH:MM" pairs.
    """

    name = peewee.CharField(unique=True, max_length=80)
    timezone = peewee.CharField(default="UTC", max_length=64)
    hours = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)


class Holiday(BaseModel):
    schedule = peewee.ForeignKeyField(Schedule, backref="holidays", on_delete="CASCADE")
    day = peewee.DateField()
    name = peewee.CharField(default="", max_length=80)

    class Meta:
        indexes = ((("schedule", "day"), True),)


class Queue(BaseModel):
    """An inbound ACD queue and how it waits, offers and overflows."""

    name = peewee.CharField(unique=True, max_length=80)
    team = peewee.ForeignKeyField(Team, null=True, backref="queues", on_delete="SET NULL")
    strategy = peewee.CharField(default="longest_idle", max_length=32)
    skill = peewee.ForeignKeyField(Skill, null=True, on_delete="SET NULL")
    moh = peewee.CharField(default="local_stream://moh", max_length=255)
    announce_position_seconds = peewee.IntegerField(default=30)
    offer_timeout_seconds = peewee.IntegerField(default=20)
    wrap_up_seconds = peewee.IntegerField(default=10)
    max_wait_seconds = peewee.IntegerField(default=300)
    max_wait_no_agents_seconds = peewee.IntegerField(default=30)
    overflow_kind = peewee.CharField(default="voicemail", max_length=16)
    overflow_target = peewee.CharField(default="", max_length=120)
    schedule = peewee.ForeignKeyField(Schedule, null=True, on_delete="SET NULL")
    after_hours_kind = peewee.CharField(default="voicemail", max_length=16)
    after_hours_target = peewee.CharField(default="", max_length=120)
    record = peewee.BooleanField(default=False)
    callback_offer = peewee.BooleanField(default=False)
    abandon_resume_seconds = peewee.IntegerField(default=0)
    satisfaction_survey = peewee.BooleanField(default=False)
    service_level_seconds = peewee.IntegerField(default=20)
    vip_numbers = JSONField(default=list)
    created_at = peewee.DateTimeField(default=utcnow)


class QueueMember(BaseModel):
    """An agent serving a queue at a tier (1 first) and position (top-down order)."""

    queue = peewee.ForeignKeyField(Queue, backref="members", on_delete="CASCADE")
    agent = peewee.ForeignKeyField(Agent, backref="queue_links", on_delete="CASCADE")
    tier = peewee.IntegerField(default=1)
    position = peewee.IntegerField(default=1)

    class Meta:
        indexes = ((("queue", "agent"), True),)
