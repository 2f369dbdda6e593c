"""Base model and field types shared by every table."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import peewee

from engine.store.db import database


def utcnow() -> dt.datetime:
    """Naive UTC timestamp, the one time format stored everywhere."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class JSONField(peewee.TextField):
    """A JSON document stored as text (portable across SQLite and PostgreSQL)."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(peewee.Model):
    """Every table binds to the shared database proxy."""

    id: int  # peewee's implicit primary key, declared for type checkers

    class Meta:
        database = database
        legacy_table_names = False
