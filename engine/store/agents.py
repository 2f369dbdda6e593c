"""Agents, their phones, skills and every timestamped state interval."""
from __future__ import annotations

import peewee

from engine.store.accounts import Team, User
from engine.store.base import BaseModel, utcnow

AGENT_STATES = ("logged_out", "available", "on_break", "reserved", "ringing", "in_call", "wrap_up")


class Agent(BaseModel):
    """A person taking calls on a SIP phone or softphone (``user/EXT`` in FreeSWITCH)."""

    user = peewee.ForeignKeyField(User, null=True, unique=True, backref="agent_profile", on_delete="SET NULL")
    team = peewee.ForeignKeyField(Team, null=True, backref="agents", on_delete="SET NULL")
    name = peewee.CharField(max_length=120)
    extension = peewee.CharField(unique=True, max_length=32)
    sip_password = peewee.CharField(max_length=64)
    mobile = peewee.CharField(default="", max_length=32)
    max_no_answer = peewee.IntegerField(default=3)
    wrap_up_seconds = peewee.IntegerField(default=10)
    reject_delay_seconds = peewee.IntegerField(default=10)
    busy_delay_seconds = peewee.IntegerField(default=60)
    no_answer_delay_seconds = peewee.IntegerField(default=30)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Skill(BaseModel):
    name = peewee.CharField(unique=True, max_length=60)


class AgentSkill(BaseModel):
    """An agent's level (1 lowest .. 10 highest) in a skill."""

    agent = peewee.ForeignKeyField(Agent, backref="skills", on_delete="CASCADE")
    skill = peewee.ForeignKeyField(Skill, backref="agents", on_delete="CASCADE")
    level = peewee.IntegerField(default=5)

    class Meta:
        indexes = ((("agent", "skill"), True),)


class AgentStateInterval(BaseModel):
    """One stretch of time an agent spent in one state; ``ended_at`` is null while current."""

    agent = peewee.ForeignKeyField(Agent, backref="state_intervals", on_delete="CASCADE")
    state = peewee.CharField(max_length=20)
    reason = peewee.CharField(default="", max_length=60)
    call_uuid = peewee.CharField(default="", max_length=64)
    started_at = peewee.DateTimeField(default=utcnow, index=True)
    ended_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("agent", "started_at"), False),)
