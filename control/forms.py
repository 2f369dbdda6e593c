"""Server-side validation shared by the HTML forms and the JSON API.

A form is a tuple of ``Field`` specs; ``clean`` turns raw input (an HTML form or a JSON
body) into typed values or raises ``ValidationFailed`` listing every ``FieldError``. The
pages show the errors next to their fields; the API answers the first one as
``{"error": {"field": ..., "message": ...}}``.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.values import parse_bool

KINDS = ("str", "text", "int", "float", "bool", "choice", "date", "time", "fk", "multi_fk",
         "json", "ips", "password", "phone_list")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


class FieldError(ValueError):
    """One input value at fault; ``field`` names it (empty for the whole request)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ValidationFailed(ValueError):
    """Every problem found in one submission."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    @property
    def by_field(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


@dataclass(frozen=True)
class Field:
    """One input: its name, kind and limits.

    ``fk`` is the peewee model a ``fk``/``multi_fk`` id must exist in; ``choices`` limits a
    ``choice``; ``min``/``max`` bound numbers; ``max_length`` bounds strings.
    """

    name: str
    kind: str = "str"
    label: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    fk: Any = None
    fk_label: str = "name"
    help: str = ""
    default: Any = None
    write_only: bool = False
    check: Callable[[Any], str] | None = None  # returns an error message or ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _convert(spec: Field, value: Any) -> Any:  # noqa: C901 - one branch per kind, read as a table
    kind = spec.kind
    if kind in ("str", "text", "password"):
        if not isinstance(value, (str, int, float)):
            raise FieldError(spec.name, "must be text")
        text = str(value) if kind != "str" else str(value).strip()
        if spec.max_length and len(text) > spec.max_length:
            raise FieldError(spec.name, f"must be at most {spec.max_length} characters")
        return text
    if kind in ("int", "float"):
        if isinstance(value, bool):
            raise FieldError(spec.name, f"must be a number, got {value!r}")
        try:
            number: float = int(str(value).strip()) if kind == "int" else float(str(value).strip())
        except ValueError:
            raise FieldError(spec.name, f"must be {'a whole number' if kind == 'int' else 'a number'}, got {value!r}") from None
        if spec.min is not None and number < spec.min:
            raise FieldError(spec.name, f"must be at least {spec.min:g}")
        if spec.max is not None and number > spec.max:
            raise FieldError(spec.name, f"must be at most {spec.max:g}")
        return number
    if kind == "bool":
        try:
            return parse_bool(value)
        except ValueError:
            raise FieldError(spec.name, f"must be true or false, got {value!r}") from None
    if kind == "choice":
        if str(value) not in spec.choices:
            raise FieldError(spec.name, f"must be one of {', '.join(spec.choices)}, got {value!r}")
        return str(value)
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise FieldError(spec.name, f"must be a date YYYY-MM-DD, got {value!r}") from None
    if kind == "time":
        if not _TIME.match(str(value).strip()):
            raise FieldError(spec.name, f"must be a time HH:MM, got {value!r}")
        return str(value).strip()
    if kind == "fk":
        return _fk(spec, value)
    if kind == "multi_fk":
        items = value if isinstance(value, list) else [v for v in re.split(r"[,\s]+", str(value)) if v]
        return [_fk(spec, item) for item in items]
    if kind == "json":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise FieldError(spec.name, f"is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
        expected = _blank(spec)
        if expected is not None and not isinstance(value, type(expected)):
            raise FieldError(spec.name, f"must be a JSON {'object' if isinstance(expected, dict) else 'list'}")
        return value
    if kind == "ips":
        return _ips(spec, value)
    if kind == "phone_list":
        items = value if isinstance(value, list) else [v for v in re.split(r"[,\s]+", str(value)) if v]
        return [str(v) for v in items]
    raise AssertionError(f"unknown field kind {kind!r}")


def _fk(spec: Field, value: Any) -> Any:
    try:
        key = int(str(value).strip())
    except ValueError:
        raise FieldError(spec.name, f"must be an id, got {value!r}") from None
    row = spec.fk.get_or_none(spec.fk.id == key)
    if row is None:
        raise FieldError(spec.name, f"no {spec.fk.__name__.lower()} with id {key}")
    return row


def _ips(spec: Field, value: Any) -> list[str]:
    items = value if isinstance(value, list) else [v for v in re.split(r"[,\s]+", str(value)) if v]
    cleaned = []
    for item in items:
        try:
            cleaned.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
        except ValueError:
            raise FieldError(spec.name, f"{item!r} is not an IP address or network") from None
    return cleaned


def clean(fields: tuple[Field, ...], raw: Mapping[str, Any], *, partial: bool = False,
          html: bool = False) -> dict[str, Any]:
    """Validate ``raw`` against ``fields``; return typed values for the fields given.

    ``partial`` (PATCH/PUT on the API) skips absent fields; ``html`` reads unchecked
    checkboxes as false and multi-selects as lists.
    """
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    known = {f.name for f in fields}
    if not html:
        errors += [FieldError(name, "unknown field") for name in raw if name not in known]
    for spec in fields:
        if html and spec.kind == "multi_fk" and isinstance(raw, MultiDict):
            present = spec.name in raw
            value: Any = raw.getlist(spec.name)
        elif html and spec.kind == "bool":
            present, value = True, raw.get(spec.name, "")
        else:
            present, value = spec.name in raw, raw.get(spec.name)
        if not present and partial:
            continue
        if _empty(value) or value == []:
            if spec.required:
                errors.append(FieldError(spec.name, "is required"))
                continue
            blank = _blank(spec)
            if spec.kind == "password" or (not present and spec.default is None and not html):
                continue
            if blank is None and spec.kind != "fk" and spec.kind != "date":
                continue  # an empty number keeps the stored (or the model's default) value
            values[spec.name] = blank
            continue
        try:
            converted = _convert(spec, value)
            message = spec.check(converted) if spec.check else ""
            if message:
                raise FieldError(spec.name, message)
            values[spec.name] = converted
        except FieldError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return values


def _blank(spec: Field) -> Any:
    if spec.default is not None:
        return spec.default() if callable(spec.default) else spec.default
    return {"str": "", "text": "", "bool": False, "multi_fk": [], "ips": [], "phone_list": [],
            "time": ""}.get(spec.kind)


def form_value(spec: Field, obj: Any) -> str:
    """How a stored value is written back into an HTML input."""
    if obj is not None and spec.kind == "fk":
        key = getattr(obj, spec.name + "_id", None)  # never loads (or misses) the related row
        return "" if key is None else str(key)
    value = getattr(obj, spec.name, None) if obj is not None else None
    if value is None:
        return ""
    if spec.kind == "json":
        return json.dumps(value, indent=1)
    if spec.kind in ("ips", "phone_list"):
        return ", ".join(value)
    return str(value)
