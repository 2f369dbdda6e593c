"""Typed helpers around peewee queries used across the campaign package."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import peewee


def rows(query: Any) -> Iterable[tuple[Any, ...]]:
    """Stream a peewee query as plain tuples, without caching (the stubs type ``.tuples()`` as models)."""
    return cast(Iterable[tuple[Any, ...]], query.tuples().iterator())


def pk(model: Any) -> peewee.Field:
    """The primary-key field of a model (``BaseModel`` declares ``id: int`` for instances)."""
    return cast(peewee.Field, model._meta.primary_key)


def fk_id(instance: Any, name: str) -> int | None:
    """The raw id behind a foreign key, without loading the related row."""
    value = instance.__data__.get(name)
    return int(value) if value is not None else None
