"""Schema migrations with a version table; `fscc db upgrade` applies them.

Each migration is a function taking a playhouse ``SchemaMigrator``; versions only grow.
Starting the engine on a store older than ``LATEST`` refuses to run.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import peewee
from playhouse.migrate import SchemaMigrator

from engine.store.base import BaseModel, utcnow
from engine.store.db import database

log = logging.getLogger(__name__)


class SchemaVersion(BaseModel):
    """Every migration applied to this store, newest last."""

    version = peewee.IntegerField(primary_key=True)
    name = peewee.CharField(max_length=120)
    applied_at = peewee.DateTimeField(default=utcnow)


class SchemaOutdatedError(RuntimeError):
    """The store is older (or newer) than this code; the message says what to run."""


def _initial_schema(migrator: SchemaMigrator) -> None:
    from engine.store import ALL_MODELS

    migrator.database.create_tables(ALL_MODELS, safe=True)


MIGRATIONS: list[tuple[int, str, Callable[[SchemaMigrator], None]]] = [
    (1, "initial schema", _initial_schema),
]
LATEST = MIGRATIONS[-1][0]


def current_version() -> int:
    """The newest applied migration, 0 for an empty store."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(row or 0)


def upgrade() -> list[int]:
    """Apply every pending migration, each in its own transaction; return the versions applied."""
    database.create_tables([SchemaVersion], safe=True)
    migrator = SchemaMigrator.from_database(database.obj)
    applied = []
    start = current_version()
    for version, name, step in MIGRATIONS:
        if version <= start:
            continue
        with database.atomic():
            step(migrator)
            SchemaVersion.create(version=version, name=name)
        log.info("schema migration applied version=%s name=%r", version, name)
        applied.append(version)
    return applied


def check_schema() -> None:
    """Raise SchemaOutdatedError unless the store is exactly at LATEST."""
    version = current_version()
    if version < LATEST:
        raise SchemaOutdatedError(
            f"database schema is at version {version}, this fscc needs {LATEST}: run `fscc db upgrade`"
        )
    if version > LATEST:
        raise SchemaOutdatedError(
            f"database schema is at version {version}, newer than this fscc ({LATEST}): upgrade fscc"
        )
