"""What calls leave behind: CDRs, recordings, IVR flows and their answers, webhooks."""
from __future__ import annotations

import peewee

from engine.store.agents import Agent
from engine.store.base import BaseModel, JSONField, utcnow
from engine.store.campaigns import Campaign
from engine.store.contacts import Attempt, Contact
from engine.store.queues import Queue


class Cdr(BaseModel):
    """One call detail record per call, written from CHANNEL_HANGUP_COMPLETE."""

    call_uuid = peewee.CharField(unique=True, max_length=64)
    direction = peewee.CharField(max_length=10)  # inbound | outbound | internal
    node = peewee.CharField(default="", max_length=40)
    caller_number = peewee.CharField(default="", max_length=40)
    destination_number = peewee.CharField(default="", max_length=40)
    legs = JSONField(default=list)
    queue = peewee.ForeignKeyField(Queue, null=True, on_delete="SET NULL")
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
    agent = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    attempt = peewee.ForeignKeyField(Attempt, null=True, on_delete="SET NULL")
    started_at = peewee.DateTimeField(index=True)
    answered_at = peewee.DateTimeField(null=True)
    ended_at = peewee.DateTimeField(null=True)
    duration = peewee.IntegerField(default=0)
    billsec = peewee.IntegerField(default=0)
    queue_wait_seconds = peewee.FloatField(default=0)
    hangup_cause = peewee.CharField(default="", max_length=40)
    sip_hangup_disposition = peewee.CharField(default="", max_length=40)
    disposition = peewee.CharField(default="", max_length=60)
    satisfaction = peewee.IntegerField(null=True)
    abandoned = peewee.BooleanField(default=False)


class Recording(BaseModel):
    """A recorded call on disk with who, when and where it belongs."""

    call_uuid = peewee.CharField(index=True, max_length=64)
    path = peewee.CharField(max_length=500)
    started_at = peewee.DateTimeField(default=utcnow, index=True)
    duration_seconds = peewee.FloatField(default=0)
    size_bytes = peewee.IntegerField(default=0)
    direction = peewee.CharField(default="", max_length=10)
    agent = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    queue = peewee.ForeignKeyField(Queue, null=True, on_delete="SET NULL")
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
    phone = peewee.CharField(default="", max_length=40)


class IvrFlow(BaseModel):
    """A YAML flow as last loaded successfully; ``source`` keeps the text edited."""

    name = peewee.CharField(unique=True, max_length=120)
    source = peewee.TextField()
    updated_at = peewee.DateTimeField(default=utcnow)


class SurveyAnswer(BaseModel):
    """One answered survey question, per contact and attempt."""

    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="CASCADE")
    contact = peewee.ForeignKeyField(Contact, null=True, on_delete="CASCADE")
    attempt = peewee.ForeignKeyField(Attempt, null=True, on_delete="SET NULL")
    call_uuid = peewee.CharField(default="", max_length=64)
    flow = peewee.CharField(default="", max_length=120)
    question = peewee.CharField(max_length=120)
    key = peewee.CharField(max_length=8)
    label = peewee.CharField(default="", max_length=250)
    created_at = peewee.DateTimeField(default=utcnow)


class WebhookDelivery(BaseModel):
    """One attempt to deliver an event to an integrator's URL (signed, retried)."""

    url = peewee.CharField(max_length=500)
    event = peewee.CharField(max_length=60)
    payload = JSONField(default=dict)
    attempts = peewee.IntegerField(default=0)
    status_code = peewee.IntegerField(null=True)
    error = peewee.TextField(default="")
    delivered = peewee.BooleanField(default=False)
    next_try_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
