"""Typed helpers around peewee queries used across the campaign package."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def select_in(sql: str, params: Sequence[Any], values: Sequence[Any], chunk: int = 900) -> list[tuple[Any, ...]]:
    """Run ``sql`` (ending in ``IN ({})``) over ``values`` in chunks; return every row.

    Plain SQL on purpose: building a 2,000-value IN list through peewee's query builder
    cost more than the rest of a million-row import (profiled). ``sql`` uses ``{p}`` for
    the driver's placeholder; the IN list is filled in here.
    """
    from engine.store import database

    param = database.obj.param
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(values), chunk):
        part = list(values[start:start + chunk])
        text = sql.replace("{p}", param).replace("{}", ", ".join([param] * len(part)))
        out.extend(database.execute_sql(text, [*params, *part]).fetchall())
    return out
