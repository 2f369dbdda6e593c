"""Estimators and the risk maths of the predictive pacer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.pacing.base import PacingError
from engine.pacing.estimators import AnswerRateEstimator, DurationEstimator, erf, lognormal_pmf
from engine.pacing.risk import conditional_end_table, expected_positive_part


def test_erf_matches_math_erf():
    xs = np.linspace(-4, 4, 81)
    assert np.max(np.abs(erf(xs) - np.array([math.erf(x) for x in xs]))) < 2e-7


def test_expected_positive_part_known_values():
    # standard normal: E[X+] = 1/sqrt(2 pi); far negative -> 0; far positive -> mean
    values = expected_positive_part(np.array([0.0, -10.0, 10.0]), np.array([1.0, 1.0, 1.0]))
    assert values[0] == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-6)
    assert values[1] == pytest.approx(0.0, abs=1e-12)
    assert values[2] == pytest.approx(10.0, rel=1e-9)
    rng = np.random.default_rng(1)
    sample = rng.normal(-0.7, 1.3, 400_000)
    assert expected_positive_part(np.array([-0.7]), np.array([1.69]))[0] == pytest.approx(
        np.maximum(sample, 0).mean(), rel=0.03)


def test_answer_rate_prior_then_data():
    est = AnswerRateEstimator(prior=0.25, prior_weight=10, min_window=10, window_seconds=5000)
    assert est.estimate(0.0) == pytest.approx(0.25)
    for i in range(1000):
        est.add(float(i), answered=i % 5 == 0)
    assert est.estimate(2000.0) == pytest.approx((200 + 2.5) / 1010)


def test_answer_rate_ignores_unsettled_launches():
    est = AnswerRateEstimator(prior=0.5, prior_weight=1, min_window=1, window_seconds=100)
    for i in range(100):
        est.add(float(i), answered=False)
    for i in range(100, 130):
        est.add(float(i), answered=True)  # answers of recent launches are known first
    assert est.estimate(130.0, settle=30.0) < 0.02
    assert est.estimate(130.0, settle=0.0) > 0.2


def test_answer_rate_window_follows_drift():
    est = AnswerRateEstimator(prior=0.5, window_seconds=600, min_window=50)
    for i in range(3000):
        est.add(float(i), answered=(i % 10 < 3) if i < 1500 else (i % 10 < 1))
    assert est.estimate(3000.0) == pytest.approx(0.1, abs=0.02)


def test_lognormal_pmf_mean_and_mass():
    pmf = lognormal_pmf(120.0, 0.6, 3600)
    assert pmf.sum() == pytest.approx(1.0)
    assert np.dot(pmf, np.arange(3600) + 0.5) == pytest.approx(120.0, rel=0.01)
    with pytest.raises(PacingError):
        lognormal_pmf(-1.0, 0.6, 10)


def test_duration_estimator_learns_and_rejects_bad_values():
    est = DurationEstimator(prior_mean=60.0, bins=600, prior_weight=5, min_window=10)
    assert est.mean(0.0) == pytest.approx(60.0, rel=0.05)
    for i in range(995):
        est.add(float(i), 30.2)
    pmf = est.pmf(1000.0)
    assert pmf.sum() == pytest.approx(1.0)
    assert pmf[30] > 0.99
    assert est.cdf(1000.0)[-1] == pytest.approx(1.0)
    with pytest.raises(PacingError):
        est.add(0.0, float("nan"))


def test_kaplan_meier_corrects_for_running_durations():
    """Early in a shift only short calls have ended; running calls carry the long tail."""
    rng = np.random.default_rng(3)
    true = rng.exponential(100.0, 400)
    elapsed = 150.0  # everything started 150 s ago
    est = DurationEstimator(prior_mean=50.0, bins=1200, prior_weight=1, min_window=1000)
    for value in true[true < elapsed]:
        est.add(0.0, float(value))
    running = np.full(int((true >= elapsed).sum()), elapsed)
    naive = est.cdf(0.0)
    corrected = est.cdf(0.0, censored=running)
    # P(X < 100) is 0.63 for the exponential; the naive histogram says much more
    assert naive[99] > 0.75
    assert corrected[99] == pytest.approx(1 - math.exp(-1), abs=0.06)
    assert est.pmf(0.0, censored=running).sum() == pytest.approx(1.0)


def test_conditional_end_table():
    # X uniform on 0..9 seconds
    cdf = np.minimum(np.arange(1, 11) / 10, 1.0)
    table = conditional_end_table(cdf, ages=10, horizon=5)
    assert table[0, 0] == 0.0
    assert table[0, 5] == pytest.approx(0.5)
    assert table[5, 1] == pytest.approx(1 / 5)  # 5 equally likely values left
    assert table[9, 1] == pytest.approx(1.0)
    assert np.all(np.diff(table, axis=1) >= -1e-12)
