"""People and access: teams, users with roles, API tokens, the audit log."""
from __future__ import annotations

import hashlib
import secrets

import peewee

from engine.store.base import BaseModel, JSONField, utcnow

ROLES = ("admin", "supervisor", "agent", "auditor")


class Team(BaseModel):
    """A group of agents; DNC lists, campaigns and visibility are scoped by team."""

    name = peewee.CharField(unique=True, max_length=80)
    description = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow)


class User(BaseModel):
    """A person who logs in to the control plane."""

    username = peewee.CharField(unique=True, max_length=80)
    password_hash = peewee.CharField(max_length=255)
    full_name = peewee.CharField(default="", max_length=120)
    role = peewee.CharField(max_length=20, constraints=[peewee.Check("role in ('admin','supervisor','agent','auditor')")])
    active = peewee.BooleanField(default=True)
    failed_logins = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class UserTeam(BaseModel):
    """Team scope of a user: what they may see and act on."""

    user = peewee.ForeignKeyField(User, backref="team_links", on_delete="CASCADE")
    team = peewee.ForeignKeyField(Team, backref="user_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "team"), True),)


class ApiToken(BaseModel):
    """A bearer token for integrations; only its SHA-256 is stored."""

    user = peewee.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = peewee.CharField(max_length=80)
    token_sha256 = peewee.CharField(unique=True, max_length=64)
    created_at = peewee.DateTimeField(default=utcnow)
    last_used_at = peewee.DateTimeField(null=True)
    revoked = peewee.BooleanField(default=False)

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token and return it with its clear text (shown once)."""
        clear = "fscc_" + secrets.token_urlsafe(32)
        token = cls.create(user=user, name=name, token_sha256=hashlib.sha256(clear.encode()).hexdigest())
        return token, clear

    @classmethod
    def lookup(cls, clear: str) -> ApiToken | None:
        digest = hashlib.sha256(clear.encode()).hexdigest()
        return cls.get_or_none((cls.token_sha256 == digest) & (cls.revoked == False))  # noqa: E712


class AuditLog(BaseModel):
    """Who changed or downloaded what, from where."""

    at = peewee.DateTimeField(default=utcnow, index=True)
    user = peewee.ForeignKeyField(User, null=True, backref="audit_entries", on_delete="SET NULL")
    ip = peewee.CharField(default="", max_length=64)
    action = peewee.CharField(max_length=60, index=True)
    object_type = peewee.CharField(default="", max_length=40)
    object_id = peewee.CharField(default="", max_length=64)
    details = JSONField(default=dict)
