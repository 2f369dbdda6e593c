"""Deterministic snapshots with known answers for the simple pacers and VICIdial adapt."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.pacing.base import CallOutcome, PacingError, PacingSnapshot, make_pacer
from engine.pacing.pacers import PowerPacer
from engine.pacing.vicidial import VicidialAdaptPacer


def snap(**kw) -> PacingSnapshot:
    base: dict[str, Any] = dict(now=0.0, agents_ready=0, agents_logged_in=10)
    base.update(kw)
    return PacingSnapshot(**base)


def test_preview_never_dials():
    assert make_pacer("preview").decide(snap(agents_ready=5)) == 0


def test_progressive_covers_each_free_agent_once():
    pacer = make_pacer("progressive")
    assert pacer.decide(snap(agents_ready=5)) == 5
    assert pacer.decide(snap(agents_ready=5, calls_ringing=[3.0, 4.0])) == 3
    # a customer already waiting claims one of the ready agents
    assert pacer.decide(snap(agents_ready=5, calls_ringing=[3.0], calls_waiting=1, calls_in_progress=2)) == 3
    assert pacer.decide(snap(agents_ready=1, calls_ringing=[1.0, 2.0])) == 0


def test_progressive_respects_line_limit():
    pacer = make_pacer("progressive")
    assert pacer.decide(snap(agents_ready=8, max_lines=10, calls_in_progress=7, agents_in_call=[1, 2])) == 3


def test_power_ratio_and_percent():
    assert make_pacer("power", ratio=3).decide(snap(agents_ready=2, calls_ringing=[1.0])) == 5
    assert make_pacer("power", percent=150).decide(snap(agents_ready=4)) == 6
    assert PowerPacer(ratio=2).decide(snap(agents_ready=1, calls_ringing=[1, 1, 1])) == 0


@pytest.mark.parametrize("settings", [{}, {"ratio": 0.5}, {"ratio": 10}, {"percent": 99},
                                      {"percent": 301}, {"ratio": 2, "percent": 200}])
def test_power_rejects_bad_settings(settings):
    with pytest.raises(PacingError):
        make_pacer("power", **settings)


def test_factory_rejects_unknown_mode_and_settings():
    with pytest.raises(PacingError, match="mode"):
        make_pacer("turbo")
    with pytest.raises(PacingError, match="settings"):
        make_pacer("progressive", ratio=2)


def test_factory_builds_every_mode():
    for mode, settings in [("preview", {}), ("progressive", {}), ("power", {"ratio": 2}),
                           ("predictive", {}), ("vicidial_adapt", {})]:
        assert make_pacer(mode, **settings).mode == mode


@pytest.mark.parametrize("field,kw", [
    ("agents_ready", {"agents_ready": -1}),
    ("agents_logged_in", {"agents_ready": 11}),
    ("calls_ringing", {"calls_ringing": [-1.0]}),
    ("abandoned_today", {"abandoned_today": 3, "answered_today": 2}),
    ("ring_timeout", {"ring_timeout": 0}),
    ("abandon_target", {"abandon_target": 1.5}),
    ("max_lines", {"max_lines": -1}),
])
def test_snapshot_validation_names_the_field(field, kw):
    with pytest.raises(PacingError) as err:
        snap(**kw)
    assert err.value.field == field


def test_outcome_validation():
    with pytest.raises(PacingError, match="abandoned"):
        CallOutcome(at=1.0, answered=False, abandoned=True, ring_seconds=3.0)
    with pytest.raises(PacingError, match="phase"):
        CallOutcome(at=1.0, answered=False, ring_seconds=3.0, phase="ring")
    with pytest.raises(PacingError, match="talk_seconds"):
        CallOutcome(at=1.0, answered=True, ring_seconds=3.0, talk_seconds=-1.0)


def run_seconds(pacer: VicidialAdaptPacer, seconds: int, start: float = 0.0, **kw) -> int:
    lines = 0
    for t in range(seconds):
        lines = pacer.decide(snap(now=start + t, **kw))
    return lines


def test_vicidial_level_follows_differential_every_15_seconds():
    pacer = VicidialAdaptPacer()
    # 4 ready of 10 agents, no calls waiting: level *= 1 + 4/10
    lines = run_seconds(pacer, 16, agents_ready=4, agents_in_call=np.ones(6), calls_in_progress=6)
    assert pacer.level == pytest.approx(1.4)
    assert lines == round(1.4 * 10) - 6
    # calls waiting more than agents ready: the level falls, floored at 1.0
    run_seconds(pacer, 15, start=16, agents_ready=0, agents_in_call=np.ones(10), calls_waiting=5,
                calls_in_progress=15)
    assert pacer.level == pytest.approx(1.0)


def test_vicidial_intensity_and_cap():
    pacer = VicidialAdaptPacer(intensity=50)
    run_seconds(pacer, 16, agents_ready=4, agents_in_call=np.ones(6))
    assert pacer.level == pytest.approx(1.0 * (1 + 0.4 * 1.5))
    pacer = VicidialAdaptPacer(max_level=1.2)
    run_seconds(pacer, 16, agents_ready=10, agents_logged_in=10)
    assert pacer.level == pytest.approx(1.2)


def _over_limit(pacer: VicidialAdaptPacer) -> None:
    pacer.level = 2.0
    pacer._calls_today = 100
    run_seconds(pacer, 16, agents_ready=0, agents_in_call=np.ones(10), answered_today=100,
                abandoned_today=10, calls_in_progress=20)


def test_vicidial_drop_limit_reactions():
    hard = VicidialAdaptPacer(method="ADAPT_HARD_LIMIT")
    _over_limit(hard)
    assert hard.level == 1.0
    average = VicidialAdaptPacer(method="ADAPT_AVERAGE", initial_level=3.0)
    average._calls_today = 100
    run_seconds(average, 16, agents_ready=5, agents_in_call=np.ones(5), answered_today=100, abandoned_today=10)
    assert average.level == pytest.approx(min(3.0, 3.0 * 1.5) / 2)
    tapered = VicidialAdaptPacer(method="ADAPT_TAPERED", initial_level=3.0, shift_end=15 + 3600 * 5)
    tapered._calls_today = 100
    run_seconds(tapered, 16, agents_ready=5, agents_in_call=np.ones(5), answered_today=100, abandoned_today=10)
    assert tapered.level == pytest.approx(3.0 * 0.5)  # 5 hours left -> 500/1000


def test_vicidial_halves_when_last_minute_mostly_dropped():
    pacer = VicidialAdaptPacer(initial_level=2.0)
    for i in range(30):
        pacer.observe(CallOutcome(at=float(i), answered=True, abandoned=i % 3 != 0, ring_seconds=5.0))
    run_seconds(pacer, 16, agents_ready=0, agents_in_call=np.ones(10))
    assert pacer.level == pytest.approx(1.0)


def test_vicidial_rejects_bad_settings():
    with pytest.raises(PacingError, match="method"):
        VicidialAdaptPacer(method="RATIO")
    with pytest.raises(PacingError, match="shift_end"):
        VicidialAdaptPacer(method="ADAPT_TAPERED")
