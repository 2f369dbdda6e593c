"""Over TCP against simswitch: each strategy offers the agent it should."""
from __future__ import annotations

import pathlib
from collections.abc import Callable

import pytest

from engine.acd.strategies import Candidate, RandomPick, WaitingCall
from engine.core import Engine
from engine.store import Agent, AgentSkill, Queue, QueueMember, Skill
from tests.engine.sim import running, scenario_file, wait_until

CALLER = "+442079460000"  # a London number (caller_region)
PHONES = [{"extension": ext, "answer_delay": 0.05} for ext in ("1001", "1002", "1003")]


def routes(customer_type: str = "") -> str:
    option = f", customer_type: {customer_type}" if customer_type else ""
    return f'routes:\n  - did: "100"\n    to: {{queue: q{option}}}\n'


def setup_store(strategy: str, skills: dict[int, dict[str, int]] | None = None, skill: str = "") -> list[int]:
    skill_rows: dict[str, Skill] = {}
    for levels in (skills or {}).values():
        for name in levels:
            skill_rows.setdefault(name, Skill.get_or_create(name=name)[0])
    queue = Queue.create(name="q", strategy=strategy, announce_position_seconds=0, wrap_up_seconds=0,
                         skill=skill_rows.get(skill))
    ids = []
    for i in (1, 2, 3):
        agent = Agent.create(name=f"A{i}", extension=str(1000 + i), sip_password="pw")
        QueueMember.create(queue=queue, agent=agent, position=i)
        for name, level in (skills or {}).get(i, {}).items():
            AgentSkill.create(agent=agent, skill=skill_rows[name], level=level)
        ids.append(agent.id)
    return ids


def prepare_stats(attribute: str, values: tuple[float, ...]) -> Callable[[Engine, list[int]], None]:
    def prepare(engine: Engine, ids: list[int]) -> None:
        for agent_id, value in zip(ids, values, strict=True):
            setattr(engine.agents.get(agent_id), attribute, value)
    return prepare


def sticky(engine: Engine, ids: list[int]) -> None:
    engine.acd.queues["q"].last_agent_by_caller[CALLER] = ids[2]


def round_robin(engine: Engine, ids: list[int]) -> None:
    engine.acd.queues["q"].strategy.offered(ids[0])


def random_expected(ids: list[int]) -> int:
    return RandomPick(seed=0).order(WaitingCall("x"), [Candidate(i) for i in ids], 0)[0].agent_id


CASES = [
    # strategy, login order, prepare, skills, queue skill, customer type, expected agent index (or "all")
    ("longest_idle", (1, 2, 0), None, None, "", "", 1),
    ("fewest_calls", (0, 1, 2), prepare_stats("calls_today", (5, 3, 1)), None, "", "", 2),
    ("least_talk_time", (0, 1, 2), prepare_stats("talk_seconds_today", (10.0, 300.0, 100.0)), None, "", "", 0),
    ("top_down", (2, 1, 0), None, None, "", "", 0),
    ("round_robin", (0, 1, 2), round_robin, None, "", "", 1),
    ("random", (0, 1, 2), None, None, "", "", "random"),
    ("ring_progressively", (2, 1, 0), None, None, "", "", 0),
    ("sticky", (0, 1, 2), sticky, None, "", "", 2),
    ("skills", (0, 1, 2), None, {1: {"french": 3}, 2: {"french": 9}}, "french", "", 1),
    ("caller_region", (0, 1, 2), None, {3: {"region:london": 1}}, "", "", 2),
    ("customer_type", (0, 1, 2), None, {2: {"customer:gold": 1}}, "", "gold", 1),
    ("ring_all", (0, 1, 2), None, None, "", "", "all"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("strategy", "order", "prepare", "skills", "skill", "customer_type", "expected"), CASES,
                         ids=[case[0] for case in CASES])
def test_strategy_offers_the_expected_agent(
    sqlite_store: str, tmp_path: pathlib.Path, strategy: str, order: tuple[int, ...],
    prepare: Callable[[Engine, list[int]], None] | None, skills: dict[int, dict[str, int]] | None, skill: str,
    customer_type: str, expected: int | str,
) -> None:
    ids = setup_store(strategy, skills, skill)
    with running(tmp_path, scenario_file(tmp_path, PHONES), routes(customer_type)) as (engine, sim):
        for index in order:
            engine.agent_login(ids[index])
            engine.agents.get(ids[index]).idle_since = 1000.0 + len([i for i in order[: order.index(index)]])
        if prepare is not None:
            prepare(engine, ids)
        # Offers are read from the agents' "ringing" transitions: with ring-all the losing legs
        # are cancelled (and forgotten) as soon as one agent answers.
        states = engine.bus.subscribe({"agent.state"})
        channel = sim.switch.inbound.inject("100", CALLER)
        call = wait_until(lambda: (c := engine.calls.get(channel.uuid)) is not None and c.agent_id and c)
        offered_agents = []
        while (event := states.get(timeout=0)) is not None:
            if event.data["state"] == "ringing" and event.data["call_uuid"] != "":
                offered_agents.append(event.data["agent_id"])
        if expected == "all":
            assert sorted(offered_agents) == sorted(ids)
        else:
            want = random_expected(ids) if expected == "random" else ids[int(expected)]
            assert offered_agents == [want]
            assert call.agent_id == want
        wait_until(lambda: call.bridged_to)
