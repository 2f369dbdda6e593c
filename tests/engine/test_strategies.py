"""Each ACD strategy picks the agent it should, in deterministic cases."""
from __future__ import annotations

from engine.acd.queue import Member
from engine.acd.strategies import Candidate, RandomPick, WaitingCall, make_strategy
from tests.engine.acd_helpers import call, serve, world


def test_longest_idle_offers_the_agent_idle_longest() -> None:
    clock, agents, acd, port = world(3, strategy="longest_idle")
    acd.enqueue("q", call("c1"))
    assert port.offers == [("c1", [1])]
    serve(acd, agents, "c1", 1)  # agent 1 is now the most recently idle
    acd.enqueue("q", call("c2"))
    assert port.offered_to("c2") == [2]


def test_ring_all_rings_every_free_agent_and_withdraws_the_rest() -> None:
    clock, agents, acd, port = world(3, strategy="ring_all")
    acd.enqueue("q", call("c1"))
    assert port.offers == [("c1", [1, 2, 3])]
    acd.agent_answered("c1", 2)
    assert sorted(port.cancels) == [("c1", 1), ("c1", 3)]
    assert [agents.get(i).state for i in (1, 2, 3)] == ["available", "in_call", "available"]


def test_fewest_calls_and_least_talk_time() -> None:
    clock, agents, acd, port = world(3, strategy="fewest_calls")
    agents.get(1).calls_today, agents.get(2).calls_today, agents.get(3).calls_today = 5, 1, 3
    acd.enqueue("q", call("c1"))
    assert port.offered_to("c1") == [2]
    clock, agents, acd, port = world(3, strategy="least_talk_time")
    for agent_id, seconds in ((1, 900.0), (2, 600.0), (3, 60.0)):
        agents.get(agent_id).talk_seconds_today = seconds
    acd.enqueue("q", call("c1"))
    assert port.offered_to("c1") == [3]


def test_top_down_always_starts_at_the_top_and_round_robin_rotates() -> None:
    clock, agents, acd, port = world(3, strategy="top_down")
    for n in range(3):
        acd.enqueue("q", call(f"c{n}"))
        serve(acd, agents, f"c{n}", port.offers[-1][1][0])
    assert [agents for _, agents in port.offers] == [[1], [1], [1]]
    clock, agents, acd, port = world(3, strategy="round_robin")
    for n in range(4):
        acd.enqueue("q", call(f"c{n}"))
        serve(acd, agents, f"c{n}", port.offers[-1][1][0])
    assert [agents for _, agents in port.offers] == [[1], [2], [3], [1]]


def test_random_is_reproducible_with_a_seed() -> None:
    candidates = [Candidate(i) for i in range(1, 11)]
    first = [c.agent_id for c in RandomPick(seed=7).order(WaitingCall("x"), candidates, 0)]
    second = [c.agent_id for c in RandomPick(seed=7).order(WaitingCall("x"), list(reversed(candidates)), 0)]
    assert first == second and sorted(first) == list(range(1, 11)) and first != list(range(1, 11))


def test_ring_progressively_adds_an_agent_per_step() -> None:
    strategy = make_strategy("ring_progressively", step_seconds=10)
    candidates = [Candidate(i, position=i) for i in (3, 1, 2)]
    waiting = WaitingCall("x", arrived_at=100.0)
    ordered = strategy.order(waiting, candidates, 100.0)
    assert [c.agent_id for c in ordered] == [1, 2, 3]
    assert [strategy.ring_count(waiting, ordered, now) for now in (100.0, 110.0, 125.0, 500.0)] == [1, 2, 3, 3]


def test_sticky_prefers_the_last_agent_then_falls_back() -> None:
    clock, agents, acd, port = world(3, strategy="sticky")
    acd.enqueue("q", call("c1", caller_number="+14155550100"))
    serve(acd, agents, "c1", 1)
    acd.enqueue("q", call("c2", caller_number="+14155550100"))
    assert port.offered_to("c2") == [1]
    serve(acd, agents, "c2", 1)
    agents.set_break(1, "lunch")
    acd.enqueue("q", call("c3", caller_number="+1 415 555 0100"))
    assert port.offered_to("c3") == [2]  # fallback: longest idle


def test_skills_filters_by_level_and_opens_tiers_with_wait() -> None:
    skills = {1: {"french": 2}, 2: {"french": 8}, 3: {"french": 9}}
    members = (Member(1, tier=1), Member(2, tier=1), Member(3, tier=2))
    clock, agents, acd, port = world(3, skills=skills, strategy="skills", skill="french", members=members)
    acd.enqueue("q", call("c1", min_level=5))
    assert port.offered_to("c1") == [2]  # agent 3 is better but tier 2 is not open yet
    acd.offer_failed("c1", 2, "rejected")
    assert port.offered_to("c1") == [2]  # 1 lacks the level; 3's tier is closed
    agents.set_break(2, "coaching")
    clock.advance(15)
    acd.dispatch()
    assert port.offered_to("c1") == [2, 3]


def test_caller_region_prefers_agents_tagged_with_the_callers_region() -> None:
    skills = {1: {"region:us": 1}, 2: {"region:london": 1}, 3: {}}
    clock, agents, acd, port = world(3, skills=skills, strategy="caller_region")
    acd.enqueue("q", call("c1", caller_number="+442079460000"))
    assert port.offered_to("c1") == [2]


def test_customer_type_chosen_in_ivr() -> None:
    skills = {1: {"customer:standard": 1}, 2: {"customer:standard": 1}, 3: {"customer:gold": 1}}
    clock, agents, acd, port = world(3, skills=skills, strategy="customer_type")
    acd.enqueue("q", call("c1", customer_type="gold"))
    acd.enqueue("q", call("c2", customer_type="standard"))
    assert port.offered_to("c1") == [3] and port.offered_to("c2") == [1]


def test_vip_callers_jump_the_line() -> None:
    clock, agents, acd, port = world(1, strategy="longest_idle", vip_numbers=("+14155550199",))
    acd.enqueue("q", call("first"))
    acd.enqueue("q", call("normal", caller_number="+14155550100"))
    acd.enqueue("q", call("vip", caller_number="+14155550199"))
    assert acd.queues["q"].position("vip") == 1
    serve(acd, agents, "first", 1)
    assert port.offers[-1] == ("vip", [1])
