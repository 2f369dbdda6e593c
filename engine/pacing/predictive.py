"""Predictive pacing: forecast answers against free agents second by second.

Each decision looks ``H = ceil(ring_timeout)`` seconds ahead on a 1-second grid.

Answers. A ringing call of age ``u`` is still alive with probability
``S(u) = p (1 - F_D(u)) + (1 - p)(1 - F_N(u))`` (``p``: human answer probability,
``F_D``: ring-to-answer CDF of human answers, ``F_N``: duration CDF of calls that end
without a human). Conditional on survival it is answered within ``k`` more seconds with
``a_u(k) = p (F_D(u + k) - F_D(u)) / S(u)`` (hazard conditional on survival). A call
launched now has ``q(k) = p F_D(k)``. ``A(k)`` = answers within ``k`` s is a sum of
independent Bernoullis: mean ``sum a_u(k) + n q(k)``, variance ``sum a(1-a) + n q(1-q)``.

Free agents. Ready agents not claimed by a waiting customer are free now (``R``). An
agent ``e`` seconds into talk is free within ``k`` s with probability
``sum_w P(W = w) (F_T(e + k - w) - F_T(e))^+ / (1 - F_T(e))`` -- residual talk life
given elapsed talk, then the wrap-up distribution -- and an agent ``e`` s into wrap-up with
``(F_W(e + k) - F_W(e)) / (1 - F_W(e))``. ``V(k)`` = agents freed within ``k`` s is again a
Bernoulli sum.

Abandons. With customers that wait ``P`` (patience, 2 s) the answers lost over the
horizon obey the reflection (Skorokhod/Lindley) identity
``L = max_k (A(k) - R - V(k + P))^+``. The pacer launches the largest ``n`` whose marginal
expected abandons stay under ``threshold * q(H)``, i.e. the chance that the last call's
answer finds no agent is at most ``threshold``; :mod:`engine.pacing.risk` bounds that
marginal by ``max_k`` of the per-second increments of ``E[X_k^+]``, computed exactly from
the Poisson-binomial distributions for small teams and with the normal approximation
``E[X^+] = mu Phi(mu / sigma) + sigma phi(mu / sigma)`` for large ones. Erlang C is not
used: it assumes a stationary Poisson queue, while the dialer's problem is a
finite-horizon transient one whose state (elapsed talk, ring ages) is known.

Feedback. Every ``control_seconds`` the threshold moves multiplicatively (integral action,
gain ``control_gain``) towards holding the abandon rate (abandoned / answered), measured as
an exponentially weighted recent rate, at ``aim = target * min(margin, 1 - 1/sqrt(target *
answered_today))`` (floored at 0.6 target: a wider safety margin while the day's rate rests
on few answers), pulled lower still while today's or the 30-day rate is above target (the rate regulators look at, e.g. the US TSR 3 % per campaign per
30 days, Ofcom 3 % per day).

Guard rails: never fewer lines than progressive; progressive until the estimators rest on
``min_answers`` human answers and ``min_talks`` finished talks; at most
``max_lines_per_agent`` live calls per active agent; paused and logged-out agents simply
vanish from the snapshot, so logins, logouts and breaks take effect on the next decision.
"""

from __future__ import annotations

import math

import numpy as np

from engine.pacing.base import (
    CallOutcome,
    FloatArray,
    Pacer,
    PacingError,
    PacingSnapshot,
    progressive_lines,
)
from engine.pacing.estimators import AnswerRateEstimator, DurationEstimator
from engine.pacing.risk import calls_within_risk, conditional_end_table


class PredictivePacer(Pacer):
    """Forecasting predictive pacer with an abandon-rate feedback loop (see module docstring)."""

    mode = "predictive"

    def __init__(
        self,
        abandon_target: float | None = None,
        threshold: float = 0.02,
        margin: float = 0.95,
        patience: float = 2.0,
        max_lines_per_agent: float = 8.0,
        min_answers: int = 20,
        min_talks: int = 20,
        control_seconds: float = 30.0,
        control_half_life: float = 1200.0,
        control_gain: float = 0.04,
        refresh_seconds: float = 60.0,
        answer_prior: float = 0.25,
        talk_prior_mean: float = 120.0,
        wrap_prior_mean: float = 10.0,
        ring_prior_mean: float = 8.0,
        exact_terms: int = 120,
    ) -> None:
        if abandon_target is not None and not 0 < abandon_target < 1:
            raise PacingError("abandon_target", "must be a fraction in (0, 1)")
        if not 0 < threshold < 1:
            raise PacingError("threshold", "must be in (0, 1)")
        if not max_lines_per_agent >= 1:
            raise PacingError("max_lines_per_agent", "must be >= 1")
        if not 0 < margin <= 1:
            raise PacingError("margin", "must be in (0, 1]")
        self.abandon_target = abandon_target
        self.threshold = threshold
        self.margin = margin
        self.patience = int(math.ceil(patience))
        self.max_lines_per_agent = max_lines_per_agent
        self.min_answers = min_answers
        self.min_talks = min_talks
        self.control_seconds = control_seconds
        self.control_half_life = control_half_life
        self.control_gain = control_gain
        self.refresh_seconds = refresh_seconds
        self.exact_terms = exact_terms
        self.answer_rate = AnswerRateEstimator(prior=answer_prior)
        self.ring_to_answer = DurationEstimator(ring_prior_mean, 0.6, bins=256)
        self.no_answer = DurationEstimator(25.0, 0.3, bins=256)
        self.talk = DurationEstimator(talk_prior_mean, 0.8, bins=2400, capacity=8000, min_window=300)
        self.wrap = DurationEstimator(wrap_prior_mean, 0.5, bins=600, min_window=300)
        self._tables_at: float | None = None
        self._horizon = 0
        self._p = answer_prior
        self._control_at: float | None = None
        self._seen = (0, 0)  # (answered_today, abandoned_today) at the last control step
        self._recent = (0.0, 0.0)  # exponentially weighted (answered, abandoned)
        self.last_decision: dict[str, float] = {}
        self._ring_reports = False

    # -- learning -----------------------------------------------------------------------
    def observe(self, outcome: CallOutcome) -> None:
        if outcome.phase == "ring":
            self._ring_reports = True
        # an answered call's ring phase counts once: from its ring report if the dialer sends them
        if outcome.phase == "ring" or not (outcome.answered and self._ring_reports):
            self.answer_rate.add(outcome.at - outcome.ring_seconds, outcome.answered)
            if outcome.answered:
                self.ring_to_answer.add(outcome.at, outcome.ring_seconds)
            else:
                self.no_answer.add(outcome.at, outcome.ring_seconds)
        if outcome.talk_seconds is not None:
            self.talk.add(outcome.at, outcome.talk_seconds)
        if outcome.wrap_seconds is not None:
            self.wrap.add(outcome.at, outcome.wrap_seconds)

    def ready(self) -> bool:
        """True once the estimates rest on enough outcomes to dial predictively."""
        return (self.ring_to_answer.observations >= self.min_answers
                and self.talk.observations >= self.min_talks)

    def _refresh_tables(self, snapshot: PacingSnapshot) -> None:
        now = snapshot.now
        horizon = int(math.ceil(snapshot.ring_timeout))
        span = horizon + self.patience
        self._p = self.answer_rate.estimate(now, settle=snapshot.ring_timeout + 10.0)
        answer_cdf = self.ring_to_answer.cdf(now)
        ring_ages = horizon + 16
        # ring[i, k]: P(human answer within k s | alive at age i)
        c_answer = np.concatenate(([0.0], answer_cdf, np.ones(ring_ages + span + 1)))
        c_other = np.concatenate(([0.0], self.no_answer.cdf(now), np.ones(ring_ages + span + 1)))
        alive = self._p * (1 - c_answer[:ring_ages]) + (1 - self._p) * (1 - c_other[:ring_ages])
        rows = np.arange(ring_ages)[:, None] + np.arange(horizon + 1)[None, :]
        gained = self._p * (c_answer[rows] - c_answer[:ring_ages, None])
        self._ring = np.clip(gained / np.maximum(alive, 1e-12)[:, None], 0.0, 1.0)
        self._new_call = self._ring[0]
        # talk[i, k]: P(free within k s | i s into talk) = residual talk, then wrap-up
        wrap_pmf = self.wrap.pmf(now)[: span + 1]
        residual = conditional_end_table(self.talk.cdf(now, snapshot.agents_in_call), self.talk.bins, span)
        talk = np.zeros_like(residual)
        for w in range(span + 1):
            talk[:, w:] += wrap_pmf[w] * residual[:, : span + 1 - w]
        self._talk = talk
        self._wrap = conditional_end_table(self.wrap.cdf(now, snapshot.agents_wrap_up), self.wrap.bins, span)
        self._horizon = horizon
        self._tables_at = now

    # -- feedback -----------------------------------------------------------------------
    def _control(self, snapshot: PacingSnapshot, target: float) -> None:
        answered, abandoned = snapshot.answered_today, snapshot.abandoned_today
        if self._control_at is None or answered < self._seen[0]:
            self._control_at, self._seen = snapshot.now, (answered, abandoned)
            return
        elapsed = snapshot.now - self._control_at
        if elapsed < self.control_seconds:
            return
        decay = 0.5 ** (elapsed / self.control_half_life)
        recent_ans = self._recent[0] * decay + (answered - self._seen[0])
        recent_ab = self._recent[1] * decay + (abandoned - self._seen[1])
        self._recent = (recent_ans, recent_ab)
        self._control_at, self._seen = snapshot.now, (answered, abandoned)
        # the fewer answers so far, the noisier the day's rate: keep a wider safety margin
        aim = target * min(self.margin, max(0.6, 1.0 - 1.0 / math.sqrt(max(1.0, target * answered))))
        for ans, ab in ((answered, abandoned), (snapshot.answered_30d, snapshot.abandoned_30d)):
            if ans >= 50 and ab > target * ans:
                aim *= (target * ans / ab) ** 2  # over budget: aim lower until it is paid back
        rate = (recent_ab + 2.0 * aim) / (recent_ans + 2.0)
        confidence = min(1.0, recent_ans / 100.0)
        step = self.control_gain * confidence * float(np.clip((aim - rate) / aim, -3.0, 1.0))
        self.threshold = float(np.clip(self.threshold * math.exp(step), 1e-4, 0.95))

    # -- deciding -----------------------------------------------------------------------
    def _forecast(self, snapshot: PacingSnapshot) -> tuple[FloatArray, FloatArray]:
        """Per ringing call and per busy agent, ``k = 1..H``: P(answered within k s) and
        P(free within k + patience s)."""
        h, span = self._horizon, self._horizon + self.patience
        ages = np.minimum(snapshot.calls_ringing.astype(np.int64), self._ring.shape[0] - 1)
        ring = self._ring[ages][:, 1: h + 1]
        talk = self._talk[np.minimum(snapshot.agents_in_call.astype(np.int64), self._talk.shape[0] - 1)]
        wrap = self._wrap[np.minimum(snapshot.agents_wrap_up.astype(np.int64), self._wrap.shape[0] - 1)]
        freed = np.vstack((talk, wrap))[:, 1 + self.patience: span + 1]
        return ring, freed

    def decide(self, snapshot: PacingSnapshot) -> int:
        target = self.abandon_target if self.abandon_target is not None else snapshot.abandon_target
        floor = progressive_lines(snapshot)
        active = snapshot.agents_active
        cap = int(self.max_lines_per_agent * active) - snapshot.calls_in_progress
        cap = max(0, min(cap, snapshot.line_headroom()))
        if active == 0 or not self.ready():
            self.last_decision = {"lines": float(floor), "predictive": 0.0}
            return floor
        self._control(snapshot, target)
        if (self._tables_at is None or snapshot.now - self._tables_at >= self.refresh_seconds
                or int(math.ceil(snapshot.ring_timeout)) != self._horizon):
            self._refresh_tables(snapshot)
        ring, freed = self._forecast(snapshot)
        q = self._new_call[1: self._horizon + 1]
        limit = self.threshold * float(q[-1])
        free_now = snapshot.agents_ready - snapshot.calls_waiting
        chosen = calls_within_risk(ring, freed, free_now, q, cap, limit, self.exact_terms)
        lines = max(floor, min(chosen, cap))
        self.last_decision = {"lines": float(lines), "predictive": 1.0, "floor": float(floor)}
        return lines

    def describe(self) -> dict[str, float]:
        return {
            "threshold": self.threshold,
            "answer_probability": self._p,
            "recent_abandon_rate": self._recent[1] / self._recent[0] if self._recent[0] else 0.0,
            **self.last_decision,
        }
