# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Reads and writes of resources, scoped to the user's teams and written to the audit log.

Pages and API views call these functions with the signed-in ``User``; a row outside the
user's scope is "not found" (never "forbidden"), so ids of other teams leak nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee
from werkzeug.exceptions import NotFound

from control.access import in_scope
from control.auth import audit, hash_password
from control.forms import FieldError, ValidationFailed, clean
from control.resources import Resource
from engine.store import User, database


def visible(resource: Resource, user: User) -> Any:
    """Every row of ``resource`` the user may see, in list order."""
    model = resource.model
    query: Any = model.select()
    if resource.scope is not None:
        query = resource.scope(query, user)
    return query.order_by(getattr(model, resource.order_by))


def fetch(resource: Resource, user: User, object_id: int) -> Any:
    """One visible row, or 404."""
    row = visible(resource, user).where(resource.model.id == object_id).first()
    if row is None:
        raise NotFound(f"no {resource.singular.lower()} with id {object_id}")
    return row


def validate(resource: Resource, raw: Mapping[str, Any], obj: Any = None, *, html: bool = False,
             partial: bool = False) -> dict[str, Any]:
    """Typed values from raw input, or ValidationFailed listing every field at fault."""
    if resource.cleaner is not None:
        return resource.cleaner(raw, obj, html)
    values = clean(resource.fields, raw, partial=partial, html=html)
    if resource.validate is not None:
        try:
            resource.validate(values, obj)
        except FieldError as exc:
            raise ValidationFailed([exc]) from None
    return values


def save(resource: Resource, user: User, values: dict[str, Any], obj: Any = None) -> Any:
    """Create (``obj`` None) or update a row from validated ``values``; audit the change."""
    model = resource.model
    columns = set(model._meta.fields)
    creating = obj is None
    with database.atomic():
        if creating:
            obj = model()
        for name, value in values.items():
            if name == "password" and "password_hash" in columns:
                if value:
                    obj.password_hash = hash_password(value)
            elif name in columns:
                setattr(obj, name, value)
        if resource.team_of is not None and not in_scope(_team_id(resource, obj), user):
            raise ValidationFailed([FieldError("team", "must be one of your teams")])
        try:
            obj.save()
        except peewee.IntegrityError as exc:
            raise ValidationFailed([_integrity_error(resource, exc)]) from None
        if resource.after_save is not None:
            resource.after_save(obj, values, user)
    changed = sorted(k for k in values if k not in ("password", "sip_password", "webhook_secret"))
    audit("create" if creating else "update", resource.name, obj.id, fields=changed)
    return obj


def _team_id(resource: Resource, obj: Any) -> int | None:
    assert resource.team_of is not None
    try:
        return resource.team_of(obj)
    except peewee.DoesNotExist:
        return None


def _integrity_error(resource: Resource, exc: peewee.IntegrityError) -> FieldError:
    text = str(exc).lower()
    for spec in resource.fields:
        if spec.name in text:
            if "null" in text:
                return FieldError(spec.name, "is required")
            return FieldError(spec.name, "is already taken (must be unique)")
    if "unique" in text or "duplicate" in text:
        return FieldError(resource.fields[0].name, "an identical entry already exists")
    return FieldError("", f"the store refused the change: {str(exc).splitlines()[0]}")


def remove(resource: Resource, user: User, obj: Any) -> None:
    """Delete a visible row; audit it."""
    object_id = obj.id
    try:
        with database.atomic():
            obj.delete_instance()
    except peewee.IntegrityError as exc:
        raise ValidationFailed([FieldError("", f"cannot delete: still in use ({str(exc).splitlines()[0]})")]) from None
    audit("delete", resource.name, object_id)
