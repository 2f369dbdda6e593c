"""Contacts to dial, their attempts and results, callbacks and do-not-call lists."""
from __future__ import annotations

import peewee

from engine.store.accounts import Team, User
from engine.store.agents import Agent
from engine.store.base import BaseModel, JSONField, utcnow
from engine.store.campaigns import Campaign

CONTACT_STATUSES = ("new", "claimed", "dialing", "retry", "callback", "done", "dnc", "failed")
OUTCOMES = (
    "answered", "busy", "no_answer", "failed", "invalid", "machine", "abandoned",
    "rejected", "dnc_blocked", "window_blocked",
    "trunk_failed",  # never placed: the trunk failed at once (engine.campaigns.trunks); no attempt burnt
    "lost",  # the switch or the engine went away before the callee was reached; no attempt burnt
)
UNPLACED_OUTCOMES = ("trunk_failed", "lost")  # the callee was never reached: no attempt counted
MAX_PHONES = 5


class Contact(BaseModel):
    """A person a campaign may call: up to five E.164 numbers and custom fields."""

    campaign = peewee.ForeignKeyField(Campaign, backref="contacts", on_delete="CASCADE")
    phone = peewee.CharField(max_length=20)  # E.164, primary number
    alt_phones = JSONField(default=list)  # up to 4 more E.164 numbers
    first_name = peewee.CharField(default="", max_length=80)
    last_name = peewee.CharField(default="", max_length=80)
    organisation = peewee.CharField(default="", max_length=120)
    position = peewee.CharField(default="", max_length=80)
    extra = peewee.TextField(default="")
    custom = JSONField(default=dict)
    priority = peewee.IntegerField(default=5)
    status = peewee.CharField(default="new", max_length=16)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)
    last_outcome = peewee.CharField(default="", max_length=20)
    disposition = peewee.CharField(default="", max_length=60)
    owner = peewee.ForeignKeyField(Agent, null=True, backref="owned_contacts", on_delete="SET NULL")
    lease_owner = peewee.CharField(default="", max_length=64)
    lease_until = peewee.DateTimeField(null=True)
    import_row = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("campaign", "phone"), True),
            (("campaign", "status", "next_attempt_at"), False),
            (("phone",), False),
        )

    @property
    def phones(self) -> list[str]:
        return [self.phone, *self.alt_phones]


class Attempt(BaseModel):
    """One dial of one number; written with its origination_uuid BEFORE originate is sent."""

    contact = peewee.ForeignKeyField(Contact, null=True, backref="attempt_rows", on_delete="SET NULL")
    campaign = peewee.ForeignKeyField(Campaign, null=True, backref="attempts", on_delete="SET NULL")
    phone = peewee.CharField(max_length=20, index=True)
    origination_uuid = peewee.CharField(unique=True, max_length=64)
    node = peewee.CharField(default="", max_length=40)
    caller_id = peewee.CharField(default="", max_length=32)
    agent = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    answered_at = peewee.DateTimeField(null=True)
    connected_at = peewee.DateTimeField(null=True)
    ended_at = peewee.DateTimeField(null=True)
    outcome = peewee.CharField(default="", max_length=20)
    hangup_cause = peewee.CharField(default="", max_length=40)
    amd_result = peewee.CharField(default="", max_length=16)
    abandoned = peewee.BooleanField(default=False)


class Disposition(BaseModel):
    """What the agent submitted for a contact after a call."""

    contact = peewee.ForeignKeyField(Contact, backref="dispositions", on_delete="CASCADE")
    attempt = peewee.ForeignKeyField(Attempt, null=True, on_delete="SET NULL")
    agent = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    code = peewee.CharField(max_length=60)
    notes = peewee.TextField(default="")
    answers = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)


class Callback(BaseModel):
    """A call to make again at a time; owned by an agent or open to the team."""

    contact = peewee.ForeignKeyField(Contact, null=True, backref="callbacks", on_delete="CASCADE")
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="CASCADE")
    team = peewee.ForeignKeyField(Team, null=True, on_delete="SET NULL")
    agent = peewee.ForeignKeyField(Agent, null=True, backref="callbacks", on_delete="SET NULL")
    phone = peewee.CharField(max_length=20)
    due_at = peewee.DateTimeField(index=True)
    reason = peewee.CharField(default="", max_length=120)
    done = peewee.BooleanField(default=False)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)


class DncEntry(BaseModel):
    """A number not to call: global, a team's, or a campaign's; red/black/grey list."""

    phone = peewee.CharField(max_length=20)
    scope = peewee.CharField(default="global", max_length=10)  # global | team | campaign
    team = peewee.ForeignKeyField(Team, null=True, on_delete="CASCADE")
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="CASCADE")
    list_color = peewee.CharField(default="black", max_length=8)  # red | black | grey
    category = peewee.CharField(default="", max_length=60)
    reason = peewee.CharField(default="", max_length=255)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("phone", "scope", "team", "campaign"), True),)
