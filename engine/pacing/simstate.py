"""Book-keeping for the simulator: agent state clocks and the result counters."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STATES = ("out", "ready", "talk", "wrap", "break")
_INDEX = {name: i for i, name in enumerate(STATES)}


@dataclass
class SimResult:
    """Counters and metrics of one simulated shift.

    Counted after ``warmup``: dials (by launch time), answers, connects and abandons (by
    answer time), agent seconds per state. Available time is ready + talk + wrap (logged
    in and not on break). Metrics:

    * ``occupancy`` = (talk + wrap) / available time;
    * ``talk_min_per_hour`` = talk minutes per available agent-hour;
    * ``abandon_rate`` = abandoned / human-answered (an abandon is an answer that found no
      agent within the patience);
    * ``dials_per_agent_hour``, ``connects_per_agent_hour`` per available agent-hour;
    * ``p95_wait`` = 95th percentile of the wait from answer to agent, connected calls.

    ``*_total`` counters cover the whole shift and back the conservation checks.
    """

    agents: int
    warmup: float
    dials: int = 0
    answered: int = 0
    connected: int = 0
    abandoned: int = 0
    dials_total: int = 0
    answered_total: int = 0
    abandoned_total: int = 0
    ends_total: dict[str, int] = field(default_factory=lambda: {
        "unanswered": 0, "machine": 0, "abandoned": 0, "connected": 0})
    open_at_end: int = 0
    waits: list[float] = field(default_factory=list)
    state_seconds: np.ndarray = field(default_factory=lambda: np.zeros(len(STATES)))
    agent_state_seconds: np.ndarray = field(default_factory=lambda: np.zeros((0, len(STATES))))
    agent_logged_in_seconds: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def count_dial(self, now: float) -> None:
        self.dials_total += 1
        if now >= self.warmup:
            self.dials += 1

    def count_answer(self, now: float) -> None:
        self.answered_total += 1
        if now >= self.warmup:
            self.answered += 1

    def count_connect(self, now: float, wait: float, at_answer: float) -> None:
        if at_answer >= self.warmup:
            self.connected += 1
            self.waits.append(wait)

    def count_end(self, kind: str, now: float, wait: float = 0.0, at_answer: float = -1.0) -> None:
        self.ends_total[kind] += 1
        if kind == "abandoned":
            self.abandoned_total += 1
            if at_answer >= self.warmup:
                self.abandoned += 1

    # -- metrics -------------------------------------------------------------------------
    @property
    def available_hours(self) -> float:
        ready, talk, wrap = (self.state_seconds[_INDEX[s]] for s in ("ready", "talk", "wrap"))
        return float(ready + talk + wrap) / 3600.0

    @property
    def occupancy(self) -> float:
        busy = self.state_seconds[_INDEX["talk"]] + self.state_seconds[_INDEX["wrap"]]
        return float(busy / 3600.0 / self.available_hours) if self.available_hours else 0.0

    @property
    def talk_min_per_hour(self) -> float:
        hours = self.available_hours
        return float(self.state_seconds[_INDEX["talk"]] / 60.0 / hours) if hours else 0.0

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def dials_per_agent_hour(self) -> float:
        return self.dials / self.available_hours if self.available_hours else 0.0

    @property
    def connects_per_agent_hour(self) -> float:
        return self.connected / self.available_hours if self.available_hours else 0.0

    @property
    def p95_wait(self) -> float:
        return float(np.percentile(self.waits, 95)) if self.waits else 0.0

    def metrics(self) -> dict[str, float]:
        return {
            "occupancy": self.occupancy,
            "talk_min_per_hour": self.talk_min_per_hour,
            "abandon_rate": self.abandon_rate,
            "dials_per_agent_hour": self.dials_per_agent_hour,
            "connects_per_agent_hour": self.connects_per_agent_hour,
            "p95_wait": self.p95_wait,
            "answered": float(self.answered),
            "abandoned": float(self.abandoned),
        }


class AgentClock:
    """Each agent's current state and the seconds spent in each state."""

    def __init__(self, agents: int, warmup: float, result: SimResult) -> None:
        self.state = ["out"] * agents
        self.since = [0.0] * agents
        self.logged_in = 0
        self._login_at = [0.0] * agents
        self.warmup = warmup
        self.result = result
        result.agent_state_seconds = np.zeros((agents, len(STATES)))
        result.agent_logged_in_seconds = np.zeros(agents)

    def set(self, agent: int, state: str, now: float) -> None:
        old = self.state[agent]
        start = self.since[agent]
        column = _INDEX[old]
        self.result.agent_state_seconds[agent, column] += now - start
        counted = now - max(start, self.warmup)
        if counted > 0:
            self.result.state_seconds[column] += counted
        if old == "out" and state != "out":
            self.logged_in += 1
            self._login_at[agent] = now
        elif old != "out" and state == "out":
            self.logged_in -= 1
            self.result.agent_logged_in_seconds[agent] += now - self._login_at[agent]
        self.state[agent] = state
        self.since[agent] = now

    def close(self, now: float) -> None:
        """End the shift: charge every agent's current state up to ``now``."""
        for agent in range(len(self.state)):
            self.set(agent, "out", now)
