"""LinePacer: calls per second (token bucket), max lines, press-1 free agents."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.agentless.pacing import LinePacer, PacingError


def test_calls_per_second_spreads_launches():
    pacer = LinePacer(calls_per_second=2.0)
    assert pacer.allowed(100.0, live_calls=0) == 2  # one second's burst
    pacer.launched(100.0, 2)
    assert pacer.allowed(100.0, live_calls=2) == 0
    assert pacer.allowed(100.5, live_calls=2) == 1  # half a second refills one token
    pacer.launched(100.5, 1)
    assert pacer.allowed(100.6, live_calls=3) == 0


def test_slow_rates_launch_one_call_every_few_seconds():
    pacer = LinePacer(calls_per_second=0.25)
    assert pacer.allowed(0.0, 0) == 1  # burst is at least one call
    pacer.launched(0.0)
    assert pacer.allowed(3.9, 1) == 0
    assert pacer.allowed(4.0, 1) == 1


def test_max_lines_caps_concurrent_calls():
    pacer = LinePacer(calls_per_second=50.0, max_lines=3)
    assert pacer.allowed(0.0, live_calls=0) == 3
    assert pacer.allowed(0.0, live_calls=2) == 1
    assert pacer.allowed(0.0, live_calls=5) == 0


def test_press1_free_agents_bound_the_calls_not_yet_with_an_agent():
    pacer = LinePacer(calls_per_second=50.0)
    assert pacer.allowed(0.0, live_calls=0, free_agents=2) == 2
    assert pacer.allowed(0.0, live_calls=3, free_agents=2, waiting_for_agent=1) == 1
    assert pacer.allowed(0.0, live_calls=3, free_agents=0) == 0


def test_time_going_backwards_never_adds_tokens():
    pacer = LinePacer(calls_per_second=1.0)
    pacer.launched(10.0, 1)
    assert pacer.allowed(5.0, 0) == 0
    assert pacer.allowed(11.0, 0) == 1


@pytest.mark.parametrize("kwargs, field", [({"calls_per_second": 0}, "calls_per_second"),
                                           ({"calls_per_second": float("nan")}, "calls_per_second"),
                                           ({"calls_per_second": 1, "max_lines": -1}, "max_lines"),
                                           ({"calls_per_second": 1, "burst": -2}, "burst")])
def test_bad_settings_name_the_field(kwargs, field):
    with pytest.raises(PacingError) as error:
        LinePacer(**kwargs)
    assert error.value.field == field


@given(rate=st.floats(0.1, 50), lines=st.integers(0, 20),
       gaps=st.lists(st.floats(0, 2), min_size=1, max_size=40))
def test_never_more_than_the_rate_allows_nor_over_max_lines(rate, lines, gaps):
    pacer = LinePacer(calls_per_second=rate, max_lines=lines)
    now, live, total = 0.0, 0, 0
    for gap in gaps:
        now += gap
        n = pacer.allowed(now, live)
        assert n >= 0
        if lines:
            assert live + n <= lines
        pacer.launched(now, n)
        total += n
        live = n  # the previous calls ended
    assert total <= pacer.burst + rate * now + 1e-6
