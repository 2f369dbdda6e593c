"""No agent is ever offered two calls at once: 10,000 calls in virtual time through the
ACD core the Engine uses, and a few hundred over TCP against simswitch watched from the wire."""
from __future__ import annotations

import pathlib
import random
from collections import Counter

import pytest

from engine.acd.dispatcher import AcdDispatcher
from engine.acd.queue import AcdQueue, Member, QueueConfig
from engine.acd.strategies import WaitingCall
from engine.agents import AgentProfile, AgentRegistry, Reservation
from engine.clock import ManualClock


class CheckingPort:
    """Fails the moment an agent holding a live offer is offered another call."""

    def __init__(self, clock: ManualClock, agents: AgentRegistry) -> None:
        self.clock, self.agents = clock, agents
        self.live: dict[int, str] = {}
        self.offers: list[Reservation] = []
        self.max_concurrent = 0

    def offer(self, queue: AcdQueue, call: WaitingCall, reservations: list[Reservation]) -> None:
        for reservation in reservations:
            assert reservation.agent_id not in self.live, f"agent {reservation.agent_id} offered twice"
            self.live[reservation.agent_id] = call.call_uuid
            self.offers.append(reservation)
        self.max_concurrent = max(self.max_concurrent, len(self.live))

    def cancel_offer(self, queue: AcdQueue, call: WaitingCall, reservation: Reservation) -> None:
        # Like the ESL port: the leg is killed and hangs up a moment later.
        leg = f"leg-{reservation.call_uuid}-{reservation.agent_id}"
        self.agents.hold_leg(reservation.agent_id, leg)
        self.clock.call_later(0.3, self._leg_gone, reservation.agent_id, reservation.call_uuid, leg)

    def _leg_gone(self, agent_id: int, call_uuid: str, leg: str) -> None:
        if self.live.get(agent_id) == call_uuid:
            del self.live[agent_id]
        self.agents.leg_gone(agent_id, leg)

    def done(self, agent_id: int) -> None:
        self.live.pop(agent_id, None)

    def overflow(self, queue: AcdQueue, call: WaitingCall, reason: str, kind: str, target: str) -> None:
        pass

    def announce(self, queue: AcdQueue, call: WaitingCall, position: int, estimated_wait: float) -> None:
        pass


@pytest.mark.parametrize("strategy", ["random", "ring_all", "longest_idle", "ring_progressively"])
def test_ten_thousand_calls_never_double_offer_an_agent(strategy: str) -> None:
    rng = random.Random(11)
    clock = ManualClock()
    agents = AgentRegistry(clock)
    port = CheckingPort(clock, agents)
    acd = AcdDispatcher(clock, agents, port)
    n_agents = 30
    acd.configure(QueueConfig("q", strategy=strategy, members=tuple(Member(i, position=i) for i in range(n_agents)),
                              offer_timeout_seconds=8, max_wait_seconds=90, wrap_up_seconds=2,
                              announce_position_seconds=0, strategy_options={"step_seconds": 3.0} if strategy == "ring_progressively" else {}))
    for i in range(n_agents):
        agents.add(AgentProfile(i, str(1000 + i), max_no_answer=1000, no_answer_delay_seconds=3, reject_delay_seconds=2))
        agents.login(i)

    def ring(reservation: Reservation) -> None:
        # The phone answers, rejects or rings out; ring-all losers are withdrawn by the dispatcher.
        roll = rng.random()
        if roll < 0.75:
            clock.call_later(rng.uniform(0.5, 4), answer, reservation)
        elif roll < 0.9:
            clock.call_later(rng.uniform(0.5, 2), reject, reservation)

    def answer(reservation: Reservation) -> None:
        if port.live.get(reservation.agent_id) == reservation.call_uuid and not reservation.ended:
            if acd.agent_answered(reservation.call_uuid, reservation.agent_id) is not None:
                clock.call_later(rng.expovariate(1 / 20), hang_up, reservation.agent_id)

    def reject(reservation: Reservation) -> None:
        if port.live.get(reservation.agent_id) == reservation.call_uuid and not reservation.ended:
            port.done(reservation.agent_id)
            acd.offer_failed(reservation.call_uuid, reservation.agent_id, "rejected")

    def hang_up(agent_id: int) -> None:
        port.done(agent_id)
        agents.call_ended(agent_id)

    seen = 0
    for n in range(10_000):
        acd.enqueue("q", WaitingCall(f"c{n}", caller_number=f"+1415555{n % 10000:04d}"))
        for reservation in port.offers[seen:]:
            ring(reservation)
        seen = len(port.offers)
        clock.advance(rng.expovariate(1.1))
        for reservation in port.offers[seen:]:
            ring(reservation)
        seen = len(port.offers)
        holding = Counter(a.agent_id for a in agents if a.reservation is not None and not a.reservation.ended)
        assert all(count == 1 for count in holding.values())
    clock.advance(600)
    stats = acd.queues["q"].stats
    assert stats.entered == 10_000
    assert stats.answered + stats.overflowed + stats.abandoned == 10_000
    assert stats.answered > 5_000
    assert all(agent.reservation is None for agent in agents)  # nothing leaked
    assert port.max_concurrent <= n_agents


def test_hundreds_of_calls_over_tcp_never_ring_one_phone_twice(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    import gevent

    from engine.esl.connection import InboundConnection
    from engine.store import Agent, Queue, QueueMember
    from tests.engine.sim import running, scenario_file, wait_until

    queue = Queue.create(name="support", strategy="random", wrap_up_seconds=0, announce_position_seconds=0,
                         max_wait_seconds=0, offer_timeout_seconds=3)
    ids = []
    for i in range(10):
        agent = Agent.create(name=f"A{i}", extension=str(1000 + i), sip_password="pw", max_no_answer=1000,
                             reject_delay_seconds=0, no_answer_delay_seconds=0)
        QueueMember.create(queue=queue, agent=agent, position=i)
        ids.append(agent.id)
    phones = [{"extension": "1000-1009", "answer_delay": {"dist": "uniform", "low": 0.1, "high": 1.0}, "reject": 0.1, "talk_time": 2.0}]
    routes = 'routes:\n  - did: "100"\n    to: {queue: support}\n'
    total = 200
    with running(tmp_path, scenario_file(tmp_path, phones), routes, speed=10.0) as (engine, sim):
        observer = InboundConnection("127.0.0.1", sim.port, "ClueCon", name="observer")
        live: Counter[str] = Counter()
        violations: list[str] = []

        def watch(event: object) -> None:
            name = event.get("Channel-Name") or ""  # type: ignore[attr-defined]
            if not name.startswith("sofia/internal/"):
                return
            extension = name.split("/")[2].split("@")[0]
            if event.name == "CHANNEL_CREATE":  # type: ignore[attr-defined]
                live[extension] += 1
                if live[extension] > 1:
                    violations.append(extension)
            else:
                live[extension] -= 1

        observer.on("CHANNEL_CREATE", watch)
        observer.on("CHANNEL_HANGUP", watch)
        observer.connect()
        observer.subscribe(["CHANNEL_CREATE", "CHANNEL_HANGUP"])
        for agent_id in ids:
            engine.agent_login(agent_id)
        for n in range(total):
            sim.switch.inbound.inject("100", f"+1415555{n:04d}")
            gevent.sleep(0.01)
        stats = engine.acd.queues["support"].stats
        wait_until(lambda: stats.answered >= total, timeout=60)
        wait_until(lambda: all(engine.agents.get(i).state == "available" for i in ids), timeout=20)
        observer.stop()
    assert violations == []
    assert stats.answered == total
    assert all(engine.agents.get(i).reservation is None for i in ids)
