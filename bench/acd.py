"""ACD benchmark: 200 agents, 50 calls/s arriving, through the engine's ACD core in virtual time.

    .venv/bin/python bench/acd.py [--agents 200] [--rate 50] [--minutes 5] [--seed 1]

What runs: the real ``AgentRegistry`` (state machine, reservations, offer timeouts, rests,
wrap-up) and ``AcdDispatcher`` (queues, strategies, max wait, overflow) on a ``ManualClock``;
only the phones are simulated (answer after 0.5-1.5 s 95 %, reject 3 %, ring out 2 %; talk
time exponential, mean chosen for ~80 % occupancy at the given rate and agent count).
No FreeSWITCH, no simswitch: it measures the ACD decisions, not the wire.

Reported per row: calls, answered, overflowed after max wait (60 s), service level
(answered within 20 s / (answered + overflowed)), p50/p99 time from arrival to first
offer (simulated seconds: queueing), and CPU time per call of the ACD core
(time.process_time). Baselines in the same run: ring-all on the same load (every free
agent rings for every call), and the same arrival rate with only 20 agents.
"""
from __future__ import annotations

import argparse
import pathlib
import random
import statistics
import sys
import time
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.acd.dispatcher import AcdDispatcher  # noqa: E402
from engine.acd.queue import AcdQueue, Member, QueueConfig  # noqa: E402
from engine.acd.strategies import WaitingCall  # noqa: E402
from engine.agents import AgentProfile, AgentRegistry, Reservation  # noqa: E402
from engine.clock import ManualClock  # noqa: E402


@dataclass
class Row:
    label: str
    calls: int
    answered: int
    overflowed: int
    service_level: float
    p50: float
    p99: float
    cpu_us_per_call: float


class Phones:
    """The dispatcher's OfferPort with simulated agent phones."""

    def __init__(self, clock: ManualClock, agents: AgentRegistry, rng: random.Random, talk_mean: float) -> None:
        self.clock, self.agents, self.rng, self.talk_mean = clock, agents, rng, talk_mean
        self.acd: AcdDispatcher | None = None

    def offer(self, queue: AcdQueue, call: WaitingCall, reservations: list[Reservation]) -> None:
        for reservation in reservations:
            roll = self.rng.random()
            if roll < 0.95:
                self.clock.call_later(self.rng.uniform(0.5, 1.5), self._answer, reservation)
            elif roll < 0.98:
                self.clock.call_later(self.rng.uniform(0.5, 2), self._reject, reservation)
            # else: rings out; the reservation's offer timeout releases the agent

    def _answer(self, reservation: Reservation) -> None:
        assert self.acd is not None
        if not reservation.ended and self.acd.agent_answered(reservation.call_uuid, reservation.agent_id):
            self.clock.call_later(self.rng.expovariate(1 / self.talk_mean), self.agents.call_ended, reservation.agent_id)

    def _reject(self, reservation: Reservation) -> None:
        assert self.acd is not None
        if not reservation.ended:
            self.acd.offer_failed(reservation.call_uuid, reservation.agent_id, "rejected")

    def cancel_offer(self, queue: AcdQueue, call: WaitingCall, reservation: Reservation) -> None:
        leg = f"{reservation.call_uuid}/{reservation.agent_id}"
        self.agents.hold_leg(reservation.agent_id, leg)
        self.clock.call_later(0.2, self.agents.leg_gone, reservation.agent_id, leg)

    def overflow(self, queue: AcdQueue, call: WaitingCall, reason: str, kind: str, target: str) -> None:
        pass

    def announce(self, queue: AcdQueue, call: WaitingCall, position: int, estimated_wait: float) -> None:
        pass


def run(label: str, strategy: str, n_agents: int, rate: float, minutes: float, seed: int, talk_mean: float) -> Row:
    rng = random.Random(seed)
    clock = ManualClock()
    agents = AgentRegistry(clock)
    phones = Phones(clock, agents, rng, talk_mean)
    acd = AcdDispatcher(clock, agents, phones)
    phones.acd = acd
    acd.configure(QueueConfig("bench", strategy=strategy, members=tuple(Member(i, position=i) for i in range(n_agents)),
                              offer_timeout_seconds=8, max_wait_seconds=60, wrap_up_seconds=0,
                              max_wait_no_agents_seconds=0, announce_position_seconds=0, service_level_seconds=20))
    for i in range(n_agents):
        agents.add(AgentProfile(i, str(10000 + i), max_no_answer=10**6, no_answer_delay_seconds=5,
                                reject_delay_seconds=5, wrap_up_seconds=0))
        agents.login(i)
    calls = int(rate * minutes * 60)
    started = time.process_time()
    for n in range(calls):
        acd.enqueue("bench", WaitingCall(f"c{n}", caller_number=f"+1415{n % 10_000_000:07d}"))
        clock.advance(rng.expovariate(rate))
    clock.advance(600)
    cpu = time.process_time() - started
    stats = acd.queues["bench"].stats
    delays = sorted(stats.offer_delays) or [0.0]
    return Row(label, calls, stats.answered, stats.overflowed,
               stats.answered_in_sl / max(1, stats.answered + stats.overflowed),
               statistics.median(delays), delays[min(len(delays) - 1, int(0.99 * len(delays)))],
               cpu / calls * 1e6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="calls per second arriving")
    parser.add_argument("--minutes", type=float, default=5.0, help="simulated minutes of arrivals")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.agents < 1 or args.rate <= 0 or args.minutes <= 0:
        parser.error("--agents, --rate and --minutes must be positive")
    # Mean talk time for ~80 % occupancy (answer delay, rejects and ring-outs add ~1.4 s a call).
    talk_mean = 0.85 * args.agents / args.rate - 1.6
    if talk_mean <= 0.5:
        parser.error("too few agents for this rate: the talk time would be under a second")
    rows = [
        run(f"longest_idle, {args.agents} agents", "longest_idle", args.agents, args.rate, args.minutes, args.seed, talk_mean),
        run(f"random, {args.agents} agents", "random", args.agents, args.rate, args.minutes, args.seed, talk_mean),
        run(f"baseline ring_all, {args.agents} agents", "ring_all", args.agents, args.rate, args.minutes, args.seed, talk_mean),
        run("baseline longest_idle, 20 agents", "longest_idle", 20, args.rate, args.minutes, args.seed, talk_mean),
    ]
    print(f"ACD core, virtual time: {args.rate:g} calls/s for {args.minutes:g} min, mean talk {talk_mean:.1f} s, "
          f"offer timeout 8 s, max wait 60 s, SL threshold 20 s")
    header = f"{'run':<34} {'calls':>7} {'answered':>9} {'overflow':>9} {'SL20':>6} {'p50 s':>7} {'p99 s':>7} {'CPU us/call':>12}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row.label:<34} {row.calls:>7} {row.answered:>9} {row.overflowed:>9} {row.service_level:>6.1%} "
              f"{row.p50:>7.2f} {row.p99:>7.2f} {row.cpu_us_per_call:>12.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
