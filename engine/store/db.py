"""Database binding: one peewee proxy shared by the engine and the control plane.

SQLite (WAL) is the default so the demo needs nothing; ``postgresql://`` URLs select
PostgreSQL, made cooperative under gevent with psycogreen.
"""
from __future__ import annotations

import logging
import os
import pathlib
from urllib.parse import urlparse

import peewee
from playhouse.db_url import connect as url_connect

log = logging.getLogger(__name__)

database = peewee.DatabaseProxy()


class DatabaseURLError(ValueError):
    """The database URL cannot be used; the message names what is wrong."""


SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "cache_size": -64 * 1024,
}


def _patch_psycopg_for_gevent() -> None:
    # psycopg2 blocks the hub unless it waits through gevent's sockets.
    try:
        from gevent import monkey

        if not monkey.is_module_patched("socket"):
            return
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()
    except ImportError:  # pragma: no cover - psycogreen is a hard dependency
        log.warning("psycogreen missing: PostgreSQL calls will block the gevent hub")


def open_database(url: str) -> peewee.Database:
    """Open the database named by ``url`` and bind the shared proxy to it."""
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if not path:
            raise DatabaseURLError(f"database_url {url!r}: sqlite URL needs a file path, e.g. sqlite:///var/fscc.db")
        if path != ":memory:":
            pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        db: peewee.Database = peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
    elif scheme in ("postgres", "postgresql"):
        if not parsed.path.strip("/"):
            raise DatabaseURLError(f"database_url {url!r}: PostgreSQL URL needs a database name")
        _patch_psycopg_for_gevent()
        db = url_connect(url.replace("postgres://", "postgresql://", 1))
    else:
        raise DatabaseURLError(
            f"database_url {url!r}: unsupported scheme {parsed.scheme!r} (use sqlite:/// or postgresql://)"
        )
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DatabaseURLError(f"database_url {_redact(url)!r}: cannot connect: {first_line}") from exc
    database.initialize(db)
    return db


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def is_postgres() -> bool:
    """True when the shared proxy is bound to PostgreSQL."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def default_sqlite_url(base_dir: str | os.PathLike[str] = "var") -> str:
    return f"sqlite:///{pathlib.Path(base_dir) / 'fscc.db'}"
