"""The store: peewee models shared by the engine and the control plane.

Import models from here (``from engine.store import Campaign``); bind the database with
``engine.store.db.open_database(url)`` and bring the schema up with
``engine.store.migrations.upgrade()``.
"""
from engine.store.accounts import ROLES, ApiToken, AuditLog, Team, User, UserTeam
from engine.store.agents import AGENT_STATES, Agent, AgentSkill, AgentStateInterval, Skill
from engine.store.base import BaseModel, JSONField, utcnow
from engine.store.calls import Cdr, IvrFlow, Recording, SurveyAnswer, WebhookDelivery
from engine.store.campaigns import (
    AGENTLESS_MODES,
    CAMPAIGN_STATUSES,
    CONNECT_ORDERS,
    DEFAULT_DISPOSITIONS,
    DIAL_MODES,
    CallerId,
    Campaign,
    CampaignAgent,
    DispositionType,
    Trunk,
)
from engine.store.contacts import (
    CONTACT_STATUSES,
    MAX_PHONES,
    OUTCOMES,
    Attempt,
    Callback,
    Contact,
    Disposition,
    DncEntry,
)
from engine.store.db import database, open_database
from engine.store.queues import OVERFLOW_KINDS, STRATEGIES, Holiday, Queue, QueueMember, Schedule

ALL_MODELS: list[type[BaseModel]] = [
    Team, User, UserTeam, ApiToken, AuditLog,
    Agent, Skill, AgentSkill, AgentStateInterval,
    Schedule, Holiday, Queue, QueueMember,
    Trunk, CallerId, Campaign, CampaignAgent, DispositionType,
    Contact, Attempt, Disposition, Callback, DncEntry,
    Cdr, Recording, IvrFlow, SurveyAnswer, WebhookDelivery,
]

__all__ = [
    "ALL_MODELS", "AGENT_STATES", "AGENTLESS_MODES", "CAMPAIGN_STATUSES", "CONNECT_ORDERS",
    "CONTACT_STATUSES", "DEFAULT_DISPOSITIONS", "DIAL_MODES", "MAX_PHONES", "OUTCOMES",
    "OVERFLOW_KINDS", "ROLES", "STRATEGIES",
    "Agent", "AgentSkill", "AgentStateInterval", "ApiToken", "Attempt", "AuditLog", "BaseModel",
    "CallerId", "Callback", "Campaign", "CampaignAgent", "Cdr", "Contact", "Disposition",
    "DispositionType", "DncEntry", "Holiday", "IvrFlow", "JSONField", "Queue", "QueueMember",
    "Recording", "Schedule", "Skill", "SurveyAnswer", "Team", "Trunk", "User", "UserTeam",
    "WebhookDelivery", "database", "open_database", "utcnow",
]
