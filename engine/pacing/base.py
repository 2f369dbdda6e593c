"""The pacer interface the campaign dialer uses.

A pacer is asked, about once a second, "how many calls should this campaign launch now?".
It gets a :class:`PacingSnapshot` (numbers only, time passed in as ``now``) and answers with
an ``int >= 0``. When a call's record is complete the dialer hands it to
:meth:`Pacer.observe` as a :class:`CallOutcome`, which is how estimating pacers learn.

Nothing in ``engine.pacing`` reads a clock, touches the database or yields to gevent: the
same pacer object runs in the live engine and in the virtual-time simulator
(:mod:`engine.pacing.sim`).

Typical use by the dialer::

    pacer = make_pacer("predictive", abandon_target=0.03)
    every second:
        n = pacer.decide(snapshot)        # launch n calls now
    on each finished call record:
        pacer.observe(outcome)
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

PACER_MODES = ("preview", "progressive", "power", "predictive", "vicidial_adapt")


class PacingError(ValueError):
    """A snapshot, outcome or pacer setting is invalid; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _as_seconds(name: str, values: Any) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size and (not np.all(np.isfinite(array)) or array.min() < 0):
        raise PacingError(name, "elapsed seconds must be finite and >= 0")
    return array


@dataclass(frozen=True)
class PacingSnapshot:
    """What the campaign looks like at ``now`` (seconds, any epoch; only differences matter).

    Agent counts are disjoint: ``agents_ready`` + in call + in wrap-up + paused (break)
    = ``agents_logged_in``. Arrays hold one entry per agent or call, in seconds.
    ``calls_in_progress`` counts every live call of the campaign: ringing, answered and
    waiting for an agent (``calls_waiting``), and talking to an agent.
    ``max_lines`` is the trunk limit for the campaign (``None``: no limit).
    """

    now: float
    agents_ready: int
    agents_logged_in: int
    agents_in_call: FloatArray = field(default_factory=lambda: np.zeros(0))
    agents_wrap_up: FloatArray = field(default_factory=lambda: np.zeros(0))
    calls_ringing: FloatArray = field(default_factory=lambda: np.zeros(0))
    calls_waiting: int = 0
    calls_in_progress: int = 0
    answered_today: int = 0
    abandoned_today: int = 0
    answered_30d: int = 0
    abandoned_30d: int = 0
    max_lines: int | None = None
    ring_timeout: float = 25.0
    abandon_target: float = 0.03

    def __post_init__(self) -> None:
        if not math.isfinite(self.now):
            raise PacingError("now", "must be a finite number of seconds")
        object.__setattr__(self, "agents_in_call", _as_seconds("agents_in_call", self.agents_in_call))
        object.__setattr__(self, "agents_wrap_up", _as_seconds("agents_wrap_up", self.agents_wrap_up))
        object.__setattr__(self, "calls_ringing", _as_seconds("calls_ringing", self.calls_ringing))
        for name in ("agents_ready", "agents_logged_in", "calls_waiting", "calls_in_progress",
                     "answered_today", "abandoned_today", "answered_30d", "abandoned_30d"):
            if int(getattr(self, name)) < 0:
                raise PacingError(name, "must be >= 0")
        busy = self.agents_ready + self.agents_in_call.size + self.agents_wrap_up.size
        if busy > self.agents_logged_in:
            raise PacingError("agents_logged_in", f"{self.agents_logged_in} < ready+in call+wrap-up {busy}")
        if self.abandoned_today > self.answered_today:
            raise PacingError("abandoned_today", "more abandons than answers")
        if self.abandoned_30d > self.answered_30d:
            raise PacingError("abandoned_30d", "more abandons than answers")
        if self.max_lines is not None and self.max_lines < 0:
            raise PacingError("max_lines", "must be >= 0 or None")
        if not self.ring_timeout > 0:
            raise PacingError("ring_timeout", "must be > 0 seconds")
        if not 0 < self.abandon_target < 1:
            raise PacingError("abandon_target", "must be a fraction in (0, 1)")

    @property
    def agents_active(self) -> int:
        """Agents not paused: ready, in call or in wrap-up."""
        return self.agents_ready + int(self.agents_in_call.size) + int(self.agents_wrap_up.size)

    def line_headroom(self) -> int:
        """Calls that may still be launched under ``max_lines`` (a large number if unlimited)."""
        if self.max_lines is None:
            return 1 << 30
        return max(0, self.max_lines - self.calls_in_progress)


@dataclass(frozen=True)
class CallOutcome:
    """A call record, reported at the end of ringing and again when complete.

    Report each answered call twice: ``phase="ring"`` when it is answered (answer-rate and
    ring-time estimates must not wait for the talk to end), then ``phase="done"`` once talk
    and wrap-up (or the abandon) are known. Unanswered calls (no answer, busy, invalid,
    machine) are reported once, ``phase="done"``. ``answered`` means a human answered (machines are ``machine=True, answered=False``);
    ``ring_seconds`` runs from launch to answer or to the end of a failed attempt;
    ``talk_seconds``/``wrap_seconds`` are set for calls connected to an agent;
    ``abandoned`` marks answered calls that found no agent in time. ``at`` is the time
    (same clock as :attr:`PacingSnapshot.now`) the record was completed.
    """

    at: float
    answered: bool
    ring_seconds: float
    talk_seconds: float | None = None
    wrap_seconds: float | None = None
    abandoned: bool = False
    machine: bool = False
    phase: str = "done"

    def __post_init__(self) -> None:
        if self.phase not in ("ring", "done"):
            raise PacingError("phase", f"must be 'ring' or 'done', got {self.phase!r}")
        if self.phase == "ring" and not self.answered:
            raise PacingError("phase", "only answered calls have a separate ring report")
        for name in ("ring_seconds", "talk_seconds", "wrap_seconds"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise PacingError(name, "must be a finite number of seconds >= 0")
        if self.abandoned and not self.answered:
            raise PacingError("abandoned", "only answered calls can be abandoned")
        if self.machine and self.answered:
            raise PacingError("machine", "a machine answer is not a human answer")


class Pacer(ABC):
    """Decides how many calls a campaign launches now; learns from finished calls."""

    mode: str = ""

    @abstractmethod
    def decide(self, snapshot: PacingSnapshot) -> int:
        """Return the number of calls to launch now (``>= 0``, within ``max_lines``)."""

    def observe(self, outcome: CallOutcome) -> None:  # noqa: B027 - optional hook
        """Learn from one finished call; pacers without estimators ignore it."""

    def describe(self) -> dict[str, float]:
        """Current internal numbers (dial level, estimates) for metrics and the campaign page."""
        return {}


def progressive_lines(snapshot: PacingSnapshot) -> int:
    """Calls needed so every free agent is covered by exactly one ringing call.

    Free agents are ready agents not already claimed by an answered, waiting customer.
    """
    free = snapshot.agents_ready - snapshot.calls_waiting - int(snapshot.calls_ringing.size)
    return max(0, min(free, snapshot.line_headroom()))


def make_pacer(mode: str, **settings: Any) -> Pacer:
    """Build a pacer by campaign dial mode.

    ``mode`` is one of :data:`PACER_MODES`; ``settings`` are that pacer's keyword
    arguments (e.g. ``ratio=2.5`` or ``percent=150`` for power, ``abandon_target=0.03``
    for predictive). Unknown modes or settings raise :class:`PacingError`.
    """
    from engine.pacing import pacers, predictive, vicidial

    factories: dict[str, Any] = {
        "preview": pacers.PreviewPacer,
        "progressive": pacers.ProgressivePacer,
        "power": pacers.PowerPacer,
        "predictive": predictive.PredictivePacer,
        "vicidial_adapt": vicidial.VicidialAdaptPacer,
    }
    if mode not in factories:
        raise PacingError("mode", f"unknown pacing mode {mode!r}; expected one of {PACER_MODES}")
    try:
        return factories[mode](**settings)
    except TypeError as exc:
        raise PacingError("settings", f"{mode}: {exc}") from exc
