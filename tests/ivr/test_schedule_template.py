"""Pure helpers: time conditions, templates, branch conditions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.ivr import template
from engine.ivr.schedule import pick_target
from engine.ivr.steps import condition_holds

SPEC = {
    "timezone": "America/New_York",
    "schedules": [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:30", "next": "open"},
        {"days": ["sat"], "from": "10:00", "to": "24:00", "next": "weekend"},
    ],
    "holidays": ["07-04", "2026-11-26"],
    "closed": "closed",
}


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2026, 11, 25, 14, 0, tzinfo=UTC), ("open", "open wed 09:00")),
    (datetime(2026, 11, 25, 13, 59, tzinfo=UTC), ("closed", "closed wed 08:59")),
    (datetime(2026, 11, 25, 22, 30, tzinfo=UTC), ("closed", "closed wed 17:30")),  # end excluded
    (datetime(2026, 11, 26, 15, 0, tzinfo=UTC), ("closed", "holiday 2026-11-26")),
    (datetime(2027, 7, 4, 15, 0, tzinfo=UTC), ("closed", "holiday 2027-07-04")),
    (datetime(2026, 11, 29, 4, 59, tzinfo=UTC), ("weekend", "open sat 23:59")),
])
def test_pick_target_uses_local_time(utc, expected):
    assert pick_target(SPEC, utc) == expected


def test_holiday_target_and_naive_datetimes():
    spec = {**SPEC, "holiday": "festive"}
    assert pick_target(spec, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))[0] == "festive"
    with pytest.raises(ValueError, match="aware"):
        pick_target(spec, datetime(2026, 11, 26, 15, 0))


def test_template_render_and_limits():
    values = {"first_name": "Ada", "n": 3}
    assert template.render("Hi {first_name}, {n} {{literal}} {missing}.", values.get) == "Hi Ada, 3 {literal} ."
    assert template.render("{first_name.__class__}", values.get) == "{first_name.__class__}"
    assert template.placeholders("{a} and {b_2} {{c}}") == ["a", "b_2"]
    assert template.static_length("x{first_name}y{{") == 3
    assert template.syntax_problem("fine {a} {{ }}") is None
    assert "stray '{'" in (template.syntax_problem("oops {a") or "")
    assert "stray '}'" in (template.syntax_problem("oops a}") or "")


@pytest.mark.parametrize(("op", "actual", "expected", "holds"), [
    ("eq", "10", 10, True), ("eq", "vip", "vip", True), ("ne", "a", "b", True),
    ("lt", "9", "10", True),  # numeric, not text, comparison
    ("gt", "b", "a", True), ("ge", "3", 3, True), ("le", "4", 3, False),
    ("in", "gold", ["gold", "silver"], True), ("in", "1", [1, 2], True),
    ("matches", "+33612", r"^\+336", True), ("empty", None, None, True),
    ("present", "", None, False), ("present", "x", None, True),
])
def test_branch_conditions(op, actual, expected, holds):
    assert condition_holds(op, actual, expected) is holds
