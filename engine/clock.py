"""The engine's clock: time reads and timers in one object so tests can drive time.

``RealClock`` reads wall time and schedules gevent greenlets. ``ManualClock`` holds its
timers in a heap and fires them, in time order, only when a test calls ``advance``: the
same agent and queue logic then runs in virtual time (unit tests, ``bench/acd.py``).
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import gevent
import gevent.event

log = logging.getLogger(__name__)


class Timer(Protocol):
    """A pending callback; ``cancel`` is idempotent."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Time source and timer factory shared by agents, queues and calls."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` after ``delay`` seconds (never before)."""
        ...


def utc_datetime(seconds: float) -> dt.datetime:
    """Naive UTC datetime for a clock reading (the store's one time format)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def sleep_on(clock: Clock, seconds: float) -> None:
    """Block this greenlet until ``clock`` has moved ``seconds`` on (a ManualClock: until a
    test advances it that far)."""
    done = gevent.event.Event()
    clock.call_later(seconds, done.set)
    done.wait()


class _GreenletTimer:
    __slots__ = ("_greenlet",)

    def __init__(self, greenlet: gevent.Greenlet) -> None:
        self._greenlet = greenlet

    def cancel(self) -> None:
        self._greenlet.kill(block=False)


def _guarded(callback: Callable[..., Any], *args: Any) -> None:
    # A failing timer must not vanish silently inside its greenlet.
    try:
        callback(*args)
    except Exception:
        log.exception("timer callback failed callback=%s", getattr(callback, "__qualname__", callback))


class RealClock:
    """Wall-clock time; timers are gevent greenlets started with ``spawn_later``."""

    def now(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        return _GreenletTimer(gevent.spawn_later(max(0.0, delay), _guarded, callback, *args))


class _ManualTimer:
    __slots__ = ("due", "seq", "callback", "args", "cancelled")

    def __init__(self, due: float, seq: int, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.due = due
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: _ManualTimer) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class ManualClock:
    """Virtual time for tests and benchmarks: nothing fires until ``advance``/``run_until``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._heap: list[_ManualTimer] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        timer = _ManualTimer(self._now + max(0.0, delay), next(self._seq), callback, args)
        heapq.heappush(self._heap, timer)
        return timer

    def next_due(self) -> float | None:
        """When the earliest live timer fires, or None."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def run_until(self, moment: float) -> int:
        """Fire every timer due up to ``moment`` in order (timers they add included)."""
        fired = 0
        while True:
            due = self.next_due()
            if due is None or due > moment:
                break
            timer = heapq.heappop(self._heap)
            self._now = max(self._now, timer.due)
            timer.callback(*timer.args)
            fired += 1
        self._now = max(self._now, moment)
        return fired

    def advance(self, seconds: float) -> int:
        """Move time forward by ``seconds``, firing due timers; returns how many fired."""
        return self.run_until(self._now + seconds)

    @property
    def pending(self) -> int:
        return sum(1 for timer in self._heap if not timer.cancelled)


class ScaledClock(RealClock):
    """Wall time running ``speed`` times faster (against simswitch's ``--speed``)."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        return super().call_later(delay / self.speed, callback, *args)
