"""Routes: matching, schedules, validation with line numbers, reload keeping old routes."""
from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from engine.routing import RouteError, Router, parse_routes

ROUTES = """\
schedules:
  office:
    timezone: Europe/London
    open:
      mon-fri: ["09:00-17:00"]
    holidays: ["2026-12-25"]
routes:
  - name: vip
    did: "100"
    caller: "\\\\+4420.*"
    to: {queue: vip, priority: 5}
  - name: sales
    did: "100|\\\\+448005550100"
    to: {queue: sales}
    hours: office
    after_hours: {voicemail: "sales"}
    holiday: {number: "+447700900123"}
  - name: agent
    did: "2(\\\\d{3})"
    to: {agent: "1001"}
default: {hangup: }
"""


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def test_matching_in_and_out_of_hours_and_on_holidays() -> None:
    router = Router()
    router.load_text(ROUTES)
    monday_noon = at("2026-11-23T12:00:00")
    match = router.match("100", "+441632960001", monday_noon)
    assert match is not None and (match.route, match.target.kind, match.target.value) == ("sales", "queue", "sales")
    vip = router.match("100", "+442079460000", monday_noon)
    assert vip is not None and vip.target.options == {"priority": 5}
    night = router.match("100", "+441632960001", at("2026-11-23T22:00:00"))
    assert night is not None and (night.target.kind, night.reason) == ("voicemail", "after_hours")
    christmas = router.match("100", "", at("2026-12-25T12:00:00"))
    assert christmas is not None and (christmas.target.kind, christmas.reason) == ("number", "holiday")
    assert router.match("2999", "", monday_noon).target.kind == "agent"  # type: ignore[union-attr]
    fallback = router.match("999", "", monday_noon)
    assert fallback is not None and fallback.target.kind == "hangup" and fallback.reason == "default"


@pytest.mark.parametrize(("text", "line", "field"), [
    ("routes:\n  - did: '('\n    to: {queue: a}\n", 2, "routes[0] (route1).did"),
    ("routes:\n  - did: '1'\n    to: {queue: a, ivr: b}\n", 3, "routes[0] (route1).to"),
    ("routes:\n  - did: '1'\n\n    to: {number: 'abc'}\n", 4, "routes[0] (route1).to.number"),
    ("routes:\n  - did: '1'\n    to: {queue: a}\n    hours: nope\n    after_hours: {hangup: }\n", 4, "routes[0] (route1).hours"),
    ("routes:\n  - did: '1'\n    to: {queue: a}\n    colour: red\n", 4, "routes[0] (route1).colour"),
    ("schedules:\n  s:\n    open:\n      mon-fry: ['09:00-17:00']\nroutes: []\n", 4, "schedules.s.open.mon-fry"),
    ("schedules:\n  s:\n    open:\n      mon: ['17:00-09:00']\nroutes: []\n", 4, "schedules.s.open.mon"),
    ("routes: [\n", 2, "yaml"),
])
def test_errors_name_the_line_and_field(text: str, line: int, field: str) -> None:
    with pytest.raises(RouteError) as info:
        parse_routes(text, "routes.yaml")
    assert (info.value.line, info.value.field) == (line, field)
    assert str(info.value).startswith(f"routes.yaml:{line}: {field}:")


def test_reload_without_restart_keeps_old_routes_on_error(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - did: '1'\n    to: {queue: a}\n")
    router = Router(path)
    assert router.reload()
    path.write_text("routes:\n  - did: '1'\n    to: {queue: b}\n")
    assert router.reload()
    assert router.match("1", "", 0).target.value == "b"  # type: ignore[union-attr]
    path.write_text("routes:\n  - did: '1'\n    to: {queue: }\n")
    assert not router.reload()
    assert "line" not in router.last_error and ":3:" in router.last_error
    assert router.match("1", "", 0).target.value == "b"  # type: ignore[union-attr]


def test_shipped_routes_file_is_valid() -> None:
    router = Router(pathlib.Path(__file__).parents[2] / "dialplans" / "routes.yaml")
    assert router.reload(), router.last_error
    assert {r.name for r in router.routes} >= {"sales", "support"}
