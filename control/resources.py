"""Resources: one description per admin area, shared by its pages and its API routes.

A ``Resource`` names the model, its fields (``control.forms.Field``), who reads and who
writes it, and how rows are scoped to the user's teams. ``control.crud`` does the reads
and writes; ``control.admin`` and ``control.api`` only translate HTTP.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from control.access import ADMIN, READERS
from control.forms import Field
from engine.store import BaseModel, User

Scope = Callable[[Any, User], Any]


@dataclass(frozen=True)
class Resource:
    """One admin area: ``name`` is its URL segment (``/admin/<name>``, ``/api/v1/<name>``)."""

    name: str
    title: str
    model: type[BaseModel]
    fields: tuple[Field, ...]
    columns: tuple[str, ...]
    read_roles: tuple[str, ...] = READERS
    write_roles: tuple[str, ...] = ADMIN
    readonly: tuple[str, ...] = ()
    scope: Scope | None = None
    team_of: Callable[[Any], int | None] | None = None
    validate: Callable[[dict[str, Any], Any], None] | None = None
    cleaner: Callable[[Any, Any, bool], dict[str, Any]] | None = None  # replaces forms.clean
    after_save: Callable[[Any, dict[str, Any], User], None] | None = None
    extra_out: Callable[[Any], dict[str, Any]] | None = None
    order_by: str = "id"
    help: str = ""
    links: tuple[tuple[str, str], ...] = field(default=())  # (label, endpoint) on detail rows

    @property
    def singular(self) -> str:
        return self.title.rstrip("s") if self.title.endswith("s") else self.title

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def plain(value: Any) -> Any:
    """A stored value as JSON: model rows become ids, dates ISO strings."""
    if isinstance(value, BaseModel):
        return value.id
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def to_dict(resource: Resource, obj: Any) -> dict[str, Any]:
    """The API representation of one row (write-only fields never leave the server)."""
    body: dict[str, Any] = {"id": obj.id}
    for spec in resource.fields:
        if spec.write_only or spec.kind == "multi_fk":
            continue
        raw = getattr(obj, spec.name + "_id", None) if spec.kind == "fk" else getattr(obj, spec.name, None)
        body[spec.name] = plain(raw)
    for name in resource.readonly:
        body[name] = plain(getattr(obj, name, None))
    if resource.extra_out:
        body.update(resource.extra_out(obj))
    return body


def display(resource: Resource, obj: Any, column: str) -> str:
    """A cell of the list page."""
    value = getattr(obj, column, "")
    if isinstance(value, BaseModel):
        return str(getattr(value, "name", None) or getattr(value, "username", None) or value.id)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


REGISTRY: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    REGISTRY[resource.name] = resource
    return resource


def get(name: str) -> Resource:
    from control import catalog  # noqa: F401 - fills REGISTRY on first use

    return REGISTRY[name]


def all_resources() -> list[Resource]:
    from control import catalog  # noqa: F401

    return list(REGISTRY.values())
