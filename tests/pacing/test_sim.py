"""Simulator: reproducibility, conservation, the progressive closed form, limits."""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine.pacing.base import PacingError, make_pacer
from engine.pacing.sim import SimConfig, answer_delay, simulate
from engine.pacing.simstate import STATES

SHORT = dict(hours=0.75, warmup=300.0)


def test_same_seed_same_result_other_seed_differs():
    config = SimConfig(agents=10, answer_rate=0.3, **SHORT)
    first = simulate(config, make_pacer("power", ratio=3), seed=7).metrics()
    again = simulate(config, make_pacer("power", ratio=3), seed=7).metrics()
    other = simulate(config, make_pacer("power", ratio=3), seed=8).metrics()
    assert first == again
    assert first != other


@pytest.mark.parametrize("breaks", [False, True])
@pytest.mark.parametrize("mode,settings", [("progressive", {}), ("power", {"ratio": 4}),
                                            ("predictive", {}), ("vicidial_adapt", {})])
def test_conservation(mode, settings, breaks):
    config = SimConfig(agents=12, answer_rate=0.3, busy_share=0.1, invalid_share=0.05,
                       machine_share=0.2, breaks=breaks, hours=2.0 if breaks else 0.75, warmup=300.0)
    result = simulate(config, make_pacer(mode, **settings), seed=3)
    # every call ends exactly once (or is still live when the shift ends)
    assert sum(result.ends_total.values()) + result.open_at_end == result.dials_total
    assert result.ends_total["abandoned"] == result.abandoned_total
    assert result.ends_total["connected"] + result.ends_total["abandoned"] <= result.answered_total
    assert result.dials_total > 0 and result.ends_total["machine"] > 0
    # every agent's time adds up to the shift; logged-in time is the non-"out" states
    shift = config.shift_seconds
    np.testing.assert_allclose(result.agent_state_seconds.sum(axis=1), shift, atol=1e-6)
    logged_in = result.agent_state_seconds[:, 1:].sum(axis=1)
    np.testing.assert_allclose(logged_in, result.agent_logged_in_seconds, atol=1e-6)
    if breaks:
        assert result.agent_state_seconds[:, STATES.index("break")].sum() > 0
    assert 0.0 < result.occupancy <= 1.0
    assert all(0.0 <= w <= config.patience + 1e-9 for w in result.waits)


def test_progressive_occupancy_matches_closed_form():
    """Each connect costs (1-a)/a failed ring timeouts plus the answer delay, plus on
    average half a second before the next pacer tick after wrap-up; with talk + wrap per
    connect that fixes occupancy = (talk + wrap) / (talk + wrap + idle)."""
    a, timeout = 0.3, 25.0
    config = SimConfig(agents=20, hours=4.0, answer_rate=a, ring_timeout=timeout, talk_mean=120.0,
                       wrap_mean=10.0, warmup=900.0)
    rng = random.Random(0)
    delay = np.mean([answer_delay(rng, config.answer_delay_mean, timeout) for _ in range(200_000)])
    idle = (1 - a) / a * timeout + delay + 0.5
    busy = config.talk_mean + config.wrap_mean
    expected = busy / (busy + idle)
    results = [simulate(config, make_pacer("progressive"), seed=s) for s in range(2)]
    occupancy = np.mean([r.occupancy for r in results])
    # ~2 x 1400 connects; the cycle's coefficient of variation ~0.6 gives a s.e. ~0.004
    assert occupancy == pytest.approx(expected, abs=0.015)
    assert all(r.abandoned == 0 for r in results)


def test_line_limit_is_never_exceeded():
    config = SimConfig(agents=10, answer_rate=0.2, max_lines=12, **SHORT)
    seen = []
    simulate(config, make_pacer("power", ratio=9), seed=1,
             on_tick=lambda snap, n: seen.append(snap.calls_in_progress + min(n, snap.line_headroom())))
    assert max(seen) <= 12


def test_overdialing_abandons_after_patience():
    config = SimConfig(agents=5, answer_rate=0.5, **SHORT)
    result = simulate(config, make_pacer("power", ratio=9), seed=2)
    assert result.abandon_rate > 0.2
    assert result.p95_wait <= config.patience


def test_drift_changes_answer_rate():
    config = SimConfig(agents=10, answer_rate=0.4, hours=1.5, warmup=1900.0,
                       answer_rate_changes=((1800.0, 0.1),))
    result = simulate(config, make_pacer("progressive"), seed=1)
    assert result.answered / result.dials == pytest.approx(0.1, abs=0.03)


@pytest.mark.parametrize("field,kw", [("agents", {"agents": 0}), ("answer_rate", {"answer_rate": 0}),
                                      ("warmup", {"hours": 0.1}), ("answer_rate_changes",
                                                                   {"answer_rate_changes": ((10.0, 2.0),)})])
def test_config_validation_names_the_field(field, kw):
    with pytest.raises(PacingError) as err:
        SimConfig(**kw)
    assert err.value.field == field
