"""Predictive pacer: guard rails, forecasts with known answers, the feedback loop."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.pacing.base import CallOutcome, PacingError, PacingSnapshot
from engine.pacing.predictive import PredictivePacer


def trained(answer_rate: float = 0.2, talk: float = 120.0, wrap: float = 10.0, **settings) -> PredictivePacer:
    """A pacer that has seen 2000 calls: answers after 8 s, talk and wrap as given."""
    pacer = PredictivePacer(**settings)
    step = int(round(1 / answer_rate))
    for i in range(2000):
        at = float(i)
        if i % step == 0:
            pacer.observe(CallOutcome(at=at, answered=True, ring_seconds=8.0, phase="ring"))
            pacer.observe(CallOutcome(at=at, answered=True, ring_seconds=8.0, talk_seconds=talk, wrap_seconds=wrap))
        else:
            pacer.observe(CallOutcome(at=at, answered=False, ring_seconds=25.0))
    return pacer


def snap(**kw) -> PacingSnapshot:
    base: dict[str, Any] = dict(now=3000.0, agents_ready=0, agents_logged_in=10)
    base.update(kw)
    return PacingSnapshot(**base)


def test_dials_progressive_until_estimates_are_ready():
    pacer = PredictivePacer()
    state = snap(agents_ready=3, agents_in_call=np.full(7, 119.0))
    assert not pacer.ready()
    assert pacer.decide(state) == 3
    assert trained().ready()


def test_no_active_agents_no_calls():
    assert trained().decide(snap(agents_logged_in=4)) == 0  # all four paused


def test_dials_ahead_for_agents_about_to_finish():
    """Wrap-up is always 10 s: agents 3 s into it are free in ~7 s, answers come 8 s after
    launch at p = 0.5, so the pacer covers them now with about two calls each."""
    pacer = trained(answer_rate=0.5)
    n = pacer.decide(snap(agents_wrap_up=np.full(10, 3.0)))
    assert 10 <= n <= 25
    # agents 100 s into a 120 s talk are not free before answers to calls launched now
    assert pacer.decide(snap(agents_in_call=np.full(10, 100.0))) == 0
    # agents who just started talking will not be free within the ring timeout
    assert pacer.decide(snap(agents_in_call=np.full(10, 1.0))) == 0


def test_never_below_progressive_and_more_with_lower_answer_rate():
    low, high = trained(answer_rate=0.1), trained(answer_rate=0.5)
    state = snap(agents_ready=4, agents_in_call=np.full(6, 60.0))
    assert high.decide(state) >= 4
    assert low.decide(state) > high.decide(state)


def test_ringing_calls_count_against_free_agents():
    pacer = trained(answer_rate=0.5)
    free = snap(agents_ready=5, agents_in_call=np.full(5, 10.0))
    covered = snap(agents_ready=5, agents_in_call=np.full(5, 10.0), calls_ringing=np.full(10, 2.0),
                   calls_in_progress=15)
    assert pacer.decide(covered) < pacer.decide(free)


def test_caps_lines_per_agent_and_line_limit():
    pacer = trained(answer_rate=0.1, max_lines_per_agent=2.0)
    assert pacer.decide(snap(agents_ready=10, calls_in_progress=0)) == 20
    assert trained(answer_rate=0.1).decide(snap(agents_ready=10, max_lines=7)) == 7


def test_feedback_lowers_threshold_when_abandons_run_high_and_raises_it_when_low():
    hot, cold = trained(), trained()
    start_hot, start_cold = hot.threshold, cold.threshold
    for minute in range(60):
        now = 3000.0 + 30 * minute
        answered = 50 * minute
        hot.decide(snap(now=now, agents_ready=1, answered_today=answered, abandoned_today=answered // 10))
        cold.decide(snap(now=now, agents_ready=1, answered_today=answered, abandoned_today=0))
    assert hot.threshold < start_hot / 5
    assert cold.threshold > start_cold * 2
    assert 0 < hot.describe()["threshold"] < 1


def test_rejects_bad_settings():
    with pytest.raises(PacingError, match="abandon_target"):
        PredictivePacer(abandon_target=3.0)
    with pytest.raises(PacingError, match="max_lines_per_agent"):
        PredictivePacer(max_lines_per_agent=0.5)
