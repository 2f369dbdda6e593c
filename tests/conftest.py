"""Shared test set-up: gevent patching first, then fixtures every area uses."""
import os

if not os.environ.get("FSCC_TEST_NO_GEVENT_PATCH"):
    # The engine runs on one gevent hub; tests that start it must see patched sockets.
    from gevent import monkey

    monkey.patch_all()

import pathlib  # noqa: E402

import pytest  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
ESL_FIXTURES = FIXTURES / "esl"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests a real-switch run (`make test-freeswitch`, `-m freeswitch`) selects: the
    ones on `esl_target` (simswitch, or the real switch when FSCC_FREESWITCH_ESL is set) and
    the end-to-end SIP tests."""
    for item in items:
        path = str(item.fspath).replace("\\", "/")
        if "esl_target" in getattr(item, "fixturenames", ()) or "/tests/e2e/" in path:
            item.add_marker(pytest.mark.freeswitch)


@pytest.fixture
def esl_fixtures() -> pathlib.Path:
    """Directory of the real FreeSWITCH ESL transcripts (see tests/fixtures/esl/README.md)."""
    return ESL_FIXTURES


POSTGRES_ADMIN_URL = os.environ.get("FSCC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_scratch_database() -> tuple[str, object]:
    """Create an empty PostgreSQL database for one test session; return (url, dropper)."""
    import uuid
    from urllib.parse import urlparse, urlunparse

    import psycopg2

    name = f"fscc_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    except psycopg2.OperationalError as exc:
        if os.environ.get("FSCC_TEST_SKIP_POSTGRES"):
            pytest.skip(f"PostgreSQL unreachable and FSCC_TEST_SKIP_POSTGRES set: {exc}")
        raise RuntimeError(
            f"PostgreSQL tests need {POSTGRES_ADMIN_URL} (set FSCC_TEST_POSTGRES_URL): {exc}"
        ) from exc
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    parsed = urlparse(POSTGRES_ADMIN_URL)
    url = urlunparse(parsed._replace(path=f"/{name}"))

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    return url, drop


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path):
    """A database URL for an empty store, on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fscc.db'}"
        return
    url, drop = _postgres_scratch_database()
    try:
        yield url
    finally:
        from engine.store import database

        if database.obj is not None and not database.is_closed():
            database.close()
        drop()  # type: ignore[operator]


@pytest.fixture
def store(store_url: str):
    """The store opened and migrated to the latest schema, on both backends."""
    from engine.store import database
    from engine.store.db import open_database
    from engine.store.migrations import upgrade

    open_database(store_url)
    upgrade()
    yield store_url
    database.close()


@pytest.fixture
def sqlite_store(tmp_path: pathlib.Path):
    """A migrated SQLite store for tests that need only one backend."""
    from engine.store import database
    from engine.store.db import open_database
    from engine.store.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'fscc.db'}"
    open_database(url)
    upgrade()
    yield url
    database.close()
