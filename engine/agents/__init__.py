"""Agents: the per-agent state machine, the registry that owns them, and interval sinks.

Import from here: ``from engine.agents import AgentRegistry, AgentProfile, Reservation``.
"""
from engine.agents.registry import AgentRegistry
from engine.agents.sink import IntervalSink, MemorySink, StoreSink
from engine.agents.state import (
    OFFER_OUTCOMES,
    AgentProfile,
    AgentRuntime,
    AgentStateError,
    Reservation,
)

__all__ = [
    "OFFER_OUTCOMES", "AgentProfile", "AgentRegistry", "AgentRuntime", "AgentStateError",
    "IntervalSink", "MemorySink", "Reservation", "StoreSink",
]
