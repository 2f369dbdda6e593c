"""Load agents and queues from the store into the live registry and dispatcher."""
from __future__ import annotations

import logging

from engine.acd.dispatcher import AcdDispatcher
from engine.acd.hours import HoursError
from engine.acd.queue import QueueConfig
from engine.agents import AgentProfile, AgentRegistry

log = logging.getLogger(__name__)


def agent_profile(row: object) -> AgentProfile:
    """An ``AgentProfile`` from an ``Agent`` row (skills by name, with their level)."""
    from engine.store import AgentSkill, Skill

    skills = {
        link.skill.name: link.level
        for link in AgentSkill.select(AgentSkill, Skill).join(Skill).where(AgentSkill.agent == row)
    }
    return AgentProfile(
        agent_id=row.id, extension=row.extension, name=row.name, team_id=row.team_id,  # type: ignore[attr-defined]
        max_no_answer=row.max_no_answer, wrap_up_seconds=row.wrap_up_seconds,  # type: ignore[attr-defined]
        reject_delay_seconds=row.reject_delay_seconds, busy_delay_seconds=row.busy_delay_seconds,  # type: ignore[attr-defined]
        no_answer_delay_seconds=row.no_answer_delay_seconds, skills=skills,  # type: ignore[attr-defined]
    )


def load_agents(registry: AgentRegistry) -> int:
    from engine.store import Agent

    count = 0
    for row in Agent.select().where(Agent.active == True):  # noqa: E712
        registry.add(agent_profile(row))
        count += 1
    return count


def load_queues(dispatcher: AcdDispatcher, default_region: str = "US") -> int:
    """Configure every queue; a queue whose schedule is invalid is skipped and logged."""
    from engine.store import Queue

    count = 0
    for row in Queue.select():
        try:
            dispatcher.configure(QueueConfig.from_row(row, default_region))
            count += 1
        except (HoursError, ValueError) as exc:
            log.error("queue %r not loaded: %s", row.name, exc)
    return count
