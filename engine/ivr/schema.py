"""The flow file's jsonschema (schema.json beside this module) and readable error messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

SCHEMA_PATH = Path(__file__).with_name("schema.json")

NODE_TYPES: tuple[str, ...] = (
    "play", "say", "menu", "collect", "survey", "record", "transfer", "queue", "voicemail",
    "webhook", "set", "branch", "time", "goto", "hangup",
)  # fmt: skip


@cache
def flow_schema() -> dict[str, Any]:
    """The parsed schema.json."""
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = flow_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation: where (path into the document) and what."""

    path: tuple[str | int, ...]
    message: str
    at_key: bool = False  # point at the key itself (unknown field) rather than its value
    field: tuple[str | int, ...] | None = None  # the field named, when not `path` (missing)


def schema_problems(document: Any) -> list[SchemaProblem]:
    """Every schema violation in `document`, most specific first, one per location."""
    problems: dict[tuple[tuple[str | int, ...], str], SchemaProblem] = {}
    for error in _validator().iter_errors(document):
        for problem in _explain(error):
            problems.setdefault((problem.path, problem.message), problem)
    return sorted(problems.values(), key=lambda p: [str(part) for part in p.path])


def _explain(error: ValidationError) -> Iterator[SchemaProblem]:
    path = tuple(error.absolute_path)
    if error.validator in ("if", "allOf") and error.context:
        # if/then errors arrive wrapped; report the inner ones.
        for inner in error.context:
            yield from _explain(inner)
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        for extra in sorted(set(error.instance) - known):
            yield SchemaProblem((*path, extra), f"unknown field '{extra}'", at_key=True)
        return
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield SchemaProblem(path, f"missing required field '{missing}'", field=(*path, missing))
        return
    alternatives = error.validator_value if error.validator == "oneOf" else None
    if alternatives and all(set(alt) == {"required"} for alt in alternatives):
        names = " or ".join(f"'{alt['required'][0]}'" for alt in alternatives)
        yield SchemaProblem(path, f"needs exactly one of {names}")
        return
    if error.validator in ("oneOf", "anyOf", "pattern") and error.schema.get("description"):
        yield SchemaProblem(path, f"{_short(error.instance)} is not valid: {error.schema['description']}")
        return
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        keys = sorted(error.instance)
        yield SchemaProblem(path, f"has {', '.join(keys)}: exactly one of the allowed forms is needed")
        return
    if error.validator == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value)
        yield SchemaProblem(path, f"{_short(error.instance)} is not one of: {choices}")
        return
    yield SchemaProblem(path, error.message)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@cache
def node_defaults(node_type: str) -> dict[str, Any]:
    """Default field values of one node type, as documented by the schema's `default`s."""
    definition = flow_schema()["$defs"].get(node_type, {})
    defaults: dict[str, Any] = {}
    for name, spec in definition.get("properties", {}).items():
        if isinstance(spec, dict) and "default" in spec:
            defaults[name] = spec["default"]
    return defaults


def flow_defaults() -> dict[str, Any]:
    """Default values of the flow-level fields."""
    return {
        name: spec["default"]
        for name, spec in flow_schema()["properties"].items()
        if isinstance(spec, dict) and "default" in spec
    }
