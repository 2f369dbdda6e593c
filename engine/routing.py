"""Inbound routes from ``dialplans/routes.yaml``: DID/caller patterns to a destination.

A route matches the dialed number (``did``) and optionally the caller (``caller``), both
regular expressions matched in full, and sends the call to one target: ``queue``, ``ivr``,
``agent``, ``voicemail``, ``number`` or ``hangup``. With ``hours`` (a schedule defined in
the same file) the route sends calls outside those hours to ``after_hours`` and on listed
holidays to ``holiday`` (default: ``after_hours``). Errors name the file and line.
``Router.reload`` swaps routes atomically; a bad file keeps the old routes.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any

from engine.acd.hours import HoursError, OpeningHours
from engine.ivr.marks import MarkedDocument, YamlSyntaxError, load_marked

log = logging.getLogger(__name__)

TARGET_KINDS = ("queue", "ivr", "agent", "voicemail", "number", "hangup")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ROUTE_KEYS = {"name", "did", "caller", "to", "hours", "after_hours", "holiday", "set"}
_TARGET_OPTIONS = {"priority", "customer_type"}
_SPAN = re.compile(r"((?:[01]\d|2[0-4]):[0-5]\d)-((?:[01]\d|2[0-4]):[0-5]\d)")


class RouteError(ValueError):
    """A routes file problem at ``path:line``, naming the field."""

    def __init__(self, path: str, line: int, field_name: str, message: str) -> None:
        super().__init__(f"{path}:{line}: {field_name}: {message}")
        self.path, self.line, self.field, self.message = path, line, field_name, message


@dataclass(frozen=True)
class Target:
    """Where a call goes: ``kind`` is one of TARGET_KINDS; ``value`` its name or number."""

    kind: str
    value: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    name: str
    did: re.Pattern[str]
    caller: re.Pattern[str] | None
    to: Target
    hours: OpeningHours | None = None
    after_hours: Target | None = None
    holiday: Target | None = None
    variables: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class RouteMatch:
    route: str
    target: Target
    reason: str  # open | after_hours | holiday | always
    variables: dict[str, str] = field(default_factory=dict)


class _Parser:
    def __init__(self, doc: MarkedDocument, path: str) -> None:
        self.doc, self.path = doc, path

    def fail(self, where: tuple[str | int, ...], field_name: str, message: str) -> RouteError:
        return RouteError(self.path, self.doc.mark(where).line, field_name, message)

    def mapping(self, value: Any, where: tuple[str | int, ...], field_name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, field_name, "must be a mapping")
        return value

    def target(self, value: Any, where: tuple[str | int, ...], field_name: str) -> Target:
        spec = self.mapping(value, where, field_name)
        kinds = [k for k in spec if k in TARGET_KINDS]
        if len(kinds) != 1:
            raise self.fail(where, field_name, f"needs exactly one of {', '.join(TARGET_KINDS)}")
        unknown = set(spec) - set(TARGET_KINDS) - _TARGET_OPTIONS
        if unknown:
            raise self.fail(where + (sorted(unknown)[0],), f"{field_name}.{sorted(unknown)[0]}", "unknown option")
        kind = kinds[0]
        raw = spec[kind]
        if kind != "hangup" and (raw is None or str(raw).strip() == ""):
            raise self.fail(where + (kind,), f"{field_name}.{kind}", "needs a value")
        if kind == "number" and not re.fullmatch(r"\+?[0-9*#]{2,32}", str(raw)):
            raise self.fail(where + (kind,), f"{field_name}.{kind}", f"not a phone number: {raw!r}")
        if kind == "agent" and not re.fullmatch(r"[0-9A-Za-z_.-]{1,32}", str(raw)):
            raise self.fail(where + (kind,), f"{field_name}.{kind}", f"not an agent extension: {raw!r}")
        options = {k: spec[k] for k in _TARGET_OPTIONS if k in spec}
        if "priority" in options and not isinstance(options["priority"], int):
            raise self.fail(where + ("priority",), f"{field_name}.priority", "must be an integer")
        return Target(kind, "" if raw is None else str(raw), options)

    def pattern(self, value: Any, where: tuple[str | int, ...], field_name: str) -> re.Pattern[str]:
        try:
            return re.compile(str(value))
        except re.error as exc:
            raise self.fail(where, field_name, f"bad regular expression: {exc}") from None

    def schedules(self, value: Any) -> dict[str, OpeningHours]:
        result: dict[str, OpeningHours] = {}
        for name, spec in self.mapping(value or {}, ("schedules",), "schedules").items():
            where = ("schedules", name)
            spec = self.mapping(spec, where, f"schedules.{name}")
            unknown = set(spec) - {"timezone", "open", "holidays"}
            if unknown:
                raise self.fail(where + (sorted(unknown)[0],), f"schedules.{name}.{sorted(unknown)[0]}", "unknown key")
            hours: dict[str, list[list[str]]] = {}
            for days, spans in self.mapping(spec.get("open") or {}, where + ("open",), f"schedules.{name}.open").items():
                field_name = f"schedules.{name}.open.{days}"
                for weekday in self.days(str(days), where + ("open", days), field_name):
                    for span in spans if isinstance(spans, list) else [spans]:
                        found = _SPAN.fullmatch(str(span).replace(" ", ""))
                        if not found or found.group(2) <= found.group(1) or found.group(2) > "24:00":
                            raise self.fail(where + ("open", days), field_name, f"expected HH:MM-HH:MM, end after start; got {span!r}")
                        hours.setdefault(str(weekday), []).append([found.group(1), found.group(2)])
            holidays = []
            for i, day in enumerate(spec.get("holidays") or []):
                try:
                    holidays.append(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))
                except ValueError:
                    raise self.fail(where + ("holidays", i), f"schedules.{name}.holidays[{i}]", "expected YYYY-MM-DD") from None
            try:
                result[str(name)] = OpeningHours.build(str(spec.get("timezone", "UTC")), hours, holidays, f"schedules.{name}")
            except HoursError as exc:
                raise self.fail(where, exc.field, str(exc).split(": ", 1)[-1]) from None
        return result

    def days(self, text: str, where: tuple[str | int, ...], field_name: str) -> list[int]:
        result: list[int] = []
        for part in text.lower().replace(" ", "").split(","):
            first, _, last = part.partition("-")
            if first not in WEEKDAYS or (last and last not in WEEKDAYS):
                raise self.fail(where, field_name, f"days must be like mon-fri or sat,sun; got {text!r}")
            a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
            result.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        return result

    def routes(self) -> tuple[list[Route], Target | None]:
        data = self.mapping(self.doc.data if self.doc.data is not None else {}, (), "file")
        unknown = set(data) - {"routes", "schedules", "default"}
        if unknown:
            raise self.fail((sorted(unknown)[0],), sorted(unknown)[0], "unknown key")
        schedules = self.schedules(data.get("schedules"))
        routes: list[Route] = []
        items = data.get("routes") or []
        if not isinstance(items, list):
            raise self.fail(("routes",), "routes", "must be a list")
        for i, item in enumerate(items):
            where: tuple[str | int, ...] = ("routes", i)
            spec = self.mapping(item, where, f"routes[{i}]")
            name = str(spec.get("name") or f"route{i + 1}")
            label = f"routes[{i}] ({name})"
            unknown = set(spec) - _ROUTE_KEYS
            if unknown:
                raise self.fail(where + (sorted(unknown)[0],), f"{label}.{sorted(unknown)[0]}", "unknown key")
            if "did" not in spec or "to" not in spec:
                raise self.fail(where, label, "needs did and to")
            hours = None
            if "hours" in spec:
                if str(spec["hours"]) not in schedules:
                    raise self.fail(where + ("hours",), f"{label}.hours", f"no schedule named {spec['hours']!r}")
                hours = schedules[str(spec["hours"])]
                if "after_hours" not in spec:
                    raise self.fail(where + ("hours",), f"{label}.after_hours", "required with hours")
            routes.append(Route(
                name=name,
                did=self.pattern(spec["did"], where + ("did",), f"{label}.did"),
                caller=self.pattern(spec["caller"], where + ("caller",), f"{label}.caller") if "caller" in spec else None,
                to=self.target(spec["to"], where + ("to",), f"{label}.to"),
                hours=hours,
                after_hours=self.target(spec["after_hours"], where + ("after_hours",), f"{label}.after_hours") if "after_hours" in spec else None,
                holiday=self.target(spec["holiday"], where + ("holiday",), f"{label}.holiday") if "holiday" in spec else None,
                variables={str(k): str(v) for k, v in self.mapping(spec.get("set") or {}, where + ("set",), f"{label}.set").items()},
                line=self.doc.mark(where).line,
            ))
        default = self.target(data["default"], ("default",), "default") if "default" in data else None
        return routes, default


def parse_routes(text: str, path: str = "routes.yaml") -> tuple[list[Route], Target | None]:
    """Parse and validate a routes file; raises ``RouteError`` with the line."""
    try:
        doc = load_marked(text)
    except YamlSyntaxError as exc:
        raise RouteError(path, exc.mark.line, "yaml", exc.message) from None
    if doc.duplicates:
        where, mark = doc.duplicates[0]
        raise RouteError(path, mark.line, ".".join(map(str, where)), "duplicate key")
    return _Parser(doc, path).routes()


class Router:
    """The live routes; ``match`` is cheap, ``reload`` re-reads the file."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = str(path) if path else ""
        self.routes: list[Route] = []
        self.default: Target | None = None
        self._mtime = 0.0
        self.last_error = ""

    def load_text(self, text: str) -> None:
        self.routes, self.default = parse_routes(text, self.path or "routes.yaml")

    def reload(self) -> bool:
        """Re-read the file; on any error keep the old routes, log, and return False."""
        if not self.path:
            return True
        try:
            mtime = os.path.getmtime(self.path)
            with open(self.path, encoding="utf-8") as handle:
                routes, default = parse_routes(handle.read(), self.path)
        except (OSError, RouteError) as exc:
            self.last_error = str(exc)
            log.error("routes not reloaded, keeping %d old routes: %s", len(self.routes), exc)
            return False
        self.routes, self.default, self._mtime, self.last_error = routes, default, mtime, ""
        log.info("routes loaded path=%s count=%d", self.path, len(routes))
        return True

    def reload_if_changed(self) -> bool:
        try:
            changed = os.path.getmtime(self.path) != self._mtime
        except OSError:
            return False
        return self.reload() if changed else False

    def match(self, destination: str, caller: str, now: float) -> RouteMatch | None:
        """The first route matching this call, resolved for the time of day."""
        for route in self.routes:
            if not route.did.fullmatch(destination or ""):
                continue
            if route.caller is not None and not route.caller.fullmatch(caller or ""):
                continue
            if route.hours is None:
                return RouteMatch(route.name, route.to, "always", route.variables)
            if route.hours.is_open(now):
                return RouteMatch(route.name, route.to, "open", route.variables)
            day = dt.datetime.fromtimestamp(now, dt.UTC).astimezone(_zone(route.hours.timezone)).date()
            if day in route.hours.holidays and route.holiday is not None:
                return RouteMatch(route.name, route.holiday, "holiday", route.variables)
            assert route.after_hours is not None
            return RouteMatch(route.name, route.after_hours, "after_hours", route.variables)
        return RouteMatch("default", self.default, "default") if self.default is not None else None


def _zone(name: str) -> dt.tzinfo:
    import zoneinfo

    return zoneinfo.ZoneInfo(name)
