"""Online estimators for predictive pacing: answer probability and duration distributions.

Both keep the last ``capacity`` observations in a numpy ring buffer with the time they were
made, and estimate from those inside the last ``window_seconds`` -- but never from fewer
than the ``min_window`` most recent ones, so a small team still has enough data while a
large team follows drift within minutes. A prior, worth ``prior_weight`` observations,
keeps early estimates sane and every probability strictly positive:

* answer probability: Beta-Binomial posterior mean
  ``p = (successes + w * p0) / (n + w)``;
* durations: an empirical pmf on a 1-second grid mixed with a discretised lognormal prior,
  ``pmf = (counts + w * prior_pmf) / (n + w)``; the last bin of the grid holds all the
  mass at or beyond it.
"""

from __future__ import annotations

import math

import numpy as np

from engine.pacing.base import FloatArray, PacingError


class _RingBuffer:
    """Fixed-capacity buffer of (time, value) pairs, oldest overwritten first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise PacingError("capacity", "must be >= 1")
        self.times = np.zeros(capacity)
        self.values = np.zeros(capacity)
        self.count = 0  # total ever added

    def add(self, at: float, value: float) -> None:
        slot = self.count % self.times.size
        self.times[slot] = at
        self.values[slot] = value
        self.count += 1

    def recent(self, now: float, window_seconds: float, min_window: int) -> FloatArray:
        """Values seen within ``window_seconds`` of ``now``, at least the last ``min_window``."""
        size = min(self.count, self.times.size)
        if size == 0:
            return np.zeros(0)
        end = self.count % self.times.size
        order = np.r_[end:size, 0:end] if size == self.times.size else np.arange(size)
        times = self.times[order]
        values = self.values[order]
        inside = int(np.count_nonzero(times >= now - window_seconds))
        keep = min(size, max(inside, min_window))
        return values[size - keep:]


class AnswerRateEstimator:
    """Probability that a launched call is answered by a human (Beta prior ``p0``, weight ``w``).

    Outcomes are keyed by launch time, and only calls launched at least ``settle`` seconds
    ago (the longest a call can ring) are counted: answers are known within seconds,
    no-answers only at the ring timeout, so counting recent launches would overstate ``p``.
    """

    def __init__(self, prior: float = 0.25, prior_weight: float = 10.0, capacity: int = 20000,
                 window_seconds: float = 900.0, min_window: int = 400) -> None:
        if not 0 < prior < 1:
            raise PacingError("prior", "answer-rate prior must be in (0, 1)")
        self.prior = prior
        self.prior_weight = prior_weight
        self.window_seconds = window_seconds
        self.min_window = min_window
        self._buffer = _RingBuffer(capacity)

    @property
    def observations(self) -> int:
        return self._buffer.count

    def add(self, launched_at: float, answered: bool) -> None:
        self._buffer.add(launched_at, 1.0 if answered else 0.0)

    def estimate(self, now: float, settle: float = 0.0) -> float:
        size = min(self._buffer.count, self._buffer.times.size)
        times, values = self._buffer.times[:size], self._buffer.values[:size]
        settled = times <= now - settle
        times, values = times[settled], values[settled]
        inside = times >= now - settle - self.window_seconds
        if np.count_nonzero(inside) < self.min_window and times.size > self.min_window:
            chosen = values[np.argsort(times)[-self.min_window:]]
        else:
            chosen = values[inside]
        return float((chosen.sum() + self.prior_weight * self.prior) / (chosen.size + self.prior_weight))


def lognormal_pmf(mean: float, sigma: float, bins: int) -> FloatArray:
    """Discretised lognormal with the given mean: ``pmf[i] = P(i <= X < i+1)``, tail in the last bin."""
    if not (mean > 0 and sigma > 0 and bins >= 2):
        raise PacingError("prior", "lognormal prior needs mean > 0, sigma > 0, bins >= 2")
    mu = math.log(mean) - sigma * sigma / 2.0
    edges = np.arange(1, bins, dtype=np.float64)
    z = (np.log(edges) - mu) / (sigma * math.sqrt(2.0))
    cdf = 0.5 * (1.0 + erf(z))
    cdf = np.concatenate(([0.0], cdf, [1.0]))
    return np.diff(cdf)


def erf(x: FloatArray) -> FloatArray:
    """Vectorised error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)."""
    sign = np.sign(x)
    ax = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * ax)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.asarray(sign * (1.0 - poly * np.exp(-ax * ax)), dtype=np.float64)


class DurationEstimator:
    """Distribution of a duration (ring-to-answer, talk, wrap-up) on a 1-second grid.

    ``pmf()[i]`` estimates ``P(i <= X < i+1)`` for ``i < bins-1``; the last bin holds
    ``P(X >= bins-1)``. ``cdf()[i] = P(X < i+1)``, i.e. "ended within i+1 seconds".
    """

    def __init__(self, prior_mean: float, prior_sigma: float = 1.0, bins: int = 3600,
                 prior_weight: float = 5.0, capacity: int = 4000,
                 window_seconds: float = 1800.0, min_window: int = 200) -> None:
        self.bins = bins
        self.prior_pmf = lognormal_pmf(prior_mean, prior_sigma, bins)
        self.prior_weight = prior_weight
        self.window_seconds = window_seconds
        self.min_window = min_window
        self._buffer = _RingBuffer(capacity)

    @property
    def observations(self) -> int:
        return self._buffer.count

    def add(self, at: float, seconds: float) -> None:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise PacingError("seconds", f"duration must be finite and >= 0, got {seconds}")
        self._buffer.add(at, seconds)

    def pmf(self, now: float, censored: FloatArray | None = None) -> FloatArray:
        """Estimated pmf; ``censored`` are elapsed times of durations still running.

        Without censored values this is the prior-mixed histogram. With them it is the
        Kaplan-Meier product-limit estimate (Kaplan & Meier 1958), hazard
        ``h[j] = d[j] / n[j]`` with ``d`` the (prior-weighted) endings in bin ``j`` and
        ``n`` those at risk there; this removes the bias towards short durations while
        most of them are still running (start of a shift, a sudden rise in talk time).
        """
        values = self._buffer.recent(now, self.window_seconds, self.min_window)
        index = np.minimum(values.astype(np.int64), self.bins - 1)
        ended = np.bincount(index, minlength=self.bins) + self.prior_weight * self.prior_pmf
        if censored is None or censored.size == 0:
            return np.asarray(ended / ended.sum(), dtype=np.float64)
        running = np.bincount(np.minimum(censored.astype(np.int64), self.bins - 1), minlength=self.bins)
        # at risk in bin j: endings in bins >= j, running durations past bin j
        at_risk = np.cumsum(ended[::-1])[::-1] + np.concatenate((np.cumsum(running[::-1])[::-1][1:], [0]))
        hazard = np.divide(ended, at_risk, out=np.ones(self.bins), where=at_risk > 0)
        survival = np.cumprod(1.0 - np.clip(hazard[:-1], 0.0, 1.0))
        pmf = -np.diff(np.concatenate(([1.0], survival)))
        return np.asarray(np.concatenate((pmf, [max(0.0, 1.0 - pmf.sum())])), dtype=np.float64)

    def cdf(self, now: float, censored: FloatArray | None = None) -> FloatArray:
        return np.minimum(np.cumsum(self.pmf(now, censored)), 1.0)

    def mean(self, now: float, censored: FloatArray | None = None) -> float:
        return float(np.dot(self.pmf(now, censored), np.arange(self.bins) + 0.5))
