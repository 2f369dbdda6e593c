"""VICIdial's adaptive predictive dialing, reimplemented as a peer baseline.

Source (AGPLv2, read for behaviour, no code copied): VICIdial ``docs/PREDICTIVE.txt``
(2006-08-29) and ``bin/AST_VDadapt.pl`` v2.14, sub ``calculate_dial_level`` and the
15-second differential block, plus ``bin/AST_VDauto_dial.pl`` for how the dial level
becomes lines (as mirrored in e.g. github.com/ccabrerar/vicidial).

What VICIdial does, and what this class does:

* once a second it samples total agents, ready ("waiting for calls") agents and calls
  waiting for an agent; every 15 s it averages them and forms
  ``differential = avg_ready - avg_waiting_calls + dl_diff_target``;
* ``pct = differential / avg_agents``; the intensity modifier ``i`` (-100..100) scales it:
  ``pct * (1 + i/100)`` when positive, ``pct * |i/100 - 1|`` when negative;
* ``level = level * (1 + scaled pct)``, capped at ``adaptive_maximum_level`` (3.0) and
  floored at 1.0;
* if more than 20 calls were placed in the last minute and over 50 % of them dropped,
  the level is halved;
* if more than 50 calls were placed today and today's drops / answers exceed the drop
  percentage limit: ADAPT_HARD_LIMIT sets the level to 1.0, ADAPT_AVERAGE halves it,
  ADAPT_TAPERED multiplies it by ``min(1, hours_left_hhmm / 1000)`` (1.0 once past the
  latest server time);
* the level is floored at 1.0 again;
* the auto-dialer then keeps ``round(level * (ready + in-call agents))`` calls up:
  ``lines = round(level * (ready + in_call)) - calls_in_progress``.

Simplifications: one server and one campaign (no per-server split, no blended in-groups,
no available-only tally or dial-level thresholds); the dialer loop runs every second rather
than every 2.5 s; today's call count is this pacer's own launch count; "hours left" for
TAPERED comes from ``shift_end`` seconds on the snapshot clock instead of a wall-clock
HHMM; agents in wrap-up count as paused (VICIdial's dispo screen), so neither ready nor
in call.
"""

from __future__ import annotations

import math
from collections import deque

from engine.pacing.base import CallOutcome, Pacer, PacingError, PacingSnapshot

DROP_METHODS = ("ADAPT_HARD_LIMIT", "ADAPT_TAPERED", "ADAPT_AVERAGE")


class VicidialAdaptPacer(Pacer):
    """VICIdial ADAPT_* dial-level controller (see the module docstring)."""

    mode = "vicidial_adapt"

    def __init__(
        self,
        method: str = "ADAPT_HARD_LIMIT",
        initial_level: float = 1.0,
        max_level: float = 3.0,
        intensity: float = 0.0,
        dl_diff_target: float = 0.0,
        drop_percentage: float | None = None,
        shift_end: float | None = None,
        update_seconds: float = 15.0,
    ) -> None:
        if method not in DROP_METHODS:
            raise PacingError("method", f"expected one of {DROP_METHODS}, got {method!r}")
        if not (math.isfinite(max_level) and max_level >= 1.0):
            raise PacingError("max_level", "must be >= 1.0")
        if not (1.0 <= initial_level <= max_level):
            raise PacingError("initial_level", "must be between 1.0 and max_level")
        if not -100 <= intensity <= 100:
            raise PacingError("intensity", "must be between -100 and 100")
        if drop_percentage is not None and not 0 < drop_percentage < 100:
            raise PacingError("drop_percentage", "must be a percentage in (0, 100)")
        if method == "ADAPT_TAPERED" and shift_end is None:
            raise PacingError("shift_end", "ADAPT_TAPERED needs the time dialing stops")
        self.method = method
        self.level = float(initial_level)
        self.max_level = float(max_level)
        self.intensity = float(intensity)
        self.dl_diff_target = float(dl_diff_target)
        self.drop_percentage = drop_percentage
        self.shift_end = shift_end
        self.update_seconds = float(update_seconds)
        self._samples: list[tuple[int, int, int]] = []  # (agents, ready, waiting) once a second
        self._last_update: float | None = None
        self._recent: deque[tuple[float, bool]] = deque()  # (at, dropped) per finished call
        self._calls_today = 0

    def observe(self, outcome: CallOutcome) -> None:
        self._recent.append((outcome.at, outcome.abandoned))

    def _update_level(self, snapshot: PacingSnapshot) -> None:
        samples = self._samples[-15:]
        count = len(samples)
        avg_agents = sum(s[0] for s in samples) / count
        avg_ready = sum(s[1] for s in samples) / count
        avg_waiting = sum(s[2] for s in samples) / count
        differential = avg_ready - avg_waiting + self.dl_diff_target
        pct = differential / avg_agents if differential != 0 and avg_agents != 0 else 0.0
        factor = self.intensity / 100.0
        scaled = pct * abs(factor - 1.0) if pct < 0 else pct * (factor + 1.0)
        level = min(self.level * (1.0 + scaled), self.max_level)
        level = max(level, 1.0)

        while self._recent and self._recent[0][0] < snapshot.now - 60.0:
            self._recent.popleft()
        calls_one = len(self._recent)
        drops_one = sum(1 for _, dropped in self._recent if dropped)
        if calls_one > 20 and drops_one / calls_one > 0.5:
            level /= 2.0

        limit = self.drop_percentage if self.drop_percentage is not None else 100 * snapshot.abandon_target
        drop_pct_today = 100.0 * snapshot.abandoned_today / max(1, snapshot.answered_today)
        if self._calls_today > 50 and drop_pct_today > limit:
            if self.method == "ADAPT_HARD_LIMIT":
                level = 1.0
            elif self.method == "ADAPT_AVERAGE":
                level /= 2.0
            else:
                assert self.shift_end is not None
                hours_left_hhmm = (self.shift_end - snapshot.now) / 36.0  # HHMM-like units
                level = 1.0 if hours_left_hhmm < 0 else level * min(1.0, hours_left_hhmm / 1000.0)
        self.level = max(level, 1.0)
        self._samples = self._samples[-15:]

    def decide(self, snapshot: PacingSnapshot) -> int:
        self._samples.append((snapshot.agents_logged_in, snapshot.agents_ready, snapshot.calls_waiting))
        if self._last_update is None:
            self._last_update = snapshot.now
        elif snapshot.now - self._last_update >= self.update_seconds:
            self._update_level(snapshot)
            self._last_update = snapshot.now
        agents = snapshot.agents_ready + int(snapshot.agents_in_call.size)
        goal = int(round(self.level * agents))
        lines = max(0, min(goal - snapshot.calls_in_progress, snapshot.line_headroom()))
        self._calls_today += lines
        return lines

    def describe(self) -> dict[str, float]:
        return {"dial_level": self.level}
