"""Pacing for agentless campaigns: calls per second and max concurrent lines.

Pure: numbers in, numbers out; time is an argument (seconds), so the same object runs in
the live dialer and in tests with a fake clock.

Calls per second is a token bucket: ``calls_per_second`` tokens arrive each second, up to
``burst`` (one second's worth by default, at least 1), and each launch spends one. The
line cap is ``max_lines - live_calls``; for press-1 campaigns the queue's free agents also
bound the calls that may be in progress and not yet with an agent, so nobody who presses 1
waits for an agent that is not there.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


class PacingError(ValueError):
    """A pacing setting is out of range; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class LinePacer:
    """How many agentless calls to launch now (see the module docstring)."""

    calls_per_second: float
    max_lines: int = 0  # 0: no line limit
    burst: float = 0.0  # 0: one second's worth (at least one call)
    _tokens: float = field(default=0.0, init=False)
    _last: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not (self.calls_per_second > 0 and math.isfinite(self.calls_per_second)):
            raise PacingError("calls_per_second", f"must be a positive number, got {self.calls_per_second!r}")
        if self.max_lines < 0:
            raise PacingError("max_lines", f"must be >= 0 (0 means no limit), got {self.max_lines!r}")
        if self.burst < 0:
            raise PacingError("burst", f"must be >= 0, got {self.burst!r}")
        if self.burst == 0:
            self.burst = max(1.0, self.calls_per_second)
        self._tokens = self.burst

    def _refill(self, now: float) -> None:
        if self._last is not None and now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.calls_per_second)
        if self._last is None or now > self._last:
            self._last = now

    def allowed(self, now: float, live_calls: int, *, free_agents: int | None = None,
                waiting_for_agent: int = 0) -> int:
        """Calls that may be launched at ``now`` with ``live_calls`` in progress.

        ``free_agents`` (press-1): agents of the queue free now; ``waiting_for_agent`` are
        live calls not yet with an agent, which those agents are already kept for.
        """
        self._refill(now)
        wanted = int(self._tokens + 1e-9)
        if self.max_lines:
            wanted = min(wanted, self.max_lines - live_calls)
        if free_agents is not None:
            wanted = min(wanted, free_agents - waiting_for_agent)
        return max(0, wanted)

    def launched(self, now: float, count: int = 1) -> None:
        """Spend ``count`` tokens for calls just launched."""
        self._refill(now)
        self._tokens = max(0.0, self._tokens - count)
