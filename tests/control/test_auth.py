"""Sign-in, lockout after repeated failures, and the health page."""
import pytest

from control.app import create_app
from control.auth import hash_password
from engine.settings import Settings
from engine.store import AuditLog, User


@pytest.fixture
def client(sqlite_store):
    app = create_app(Settings(login_max_failures=3), WTF_CSRF_ENABLED=False, TESTING=True)
    User.create(username="admin", password_hash=hash_password("s3cret"), role="admin")
    return app.test_client()


def test_healthz_reports_schema(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["schema"] == 1


def test_home_shows_sign_in_then_signs_in(client):
    anonymous = client.get("/")
    assert anonymous.status_code == 200 and b"Sign in" in anonymous.data
    resp = client.post("/login", data={"username": "admin", "password": "s3cret"})
    assert resp.status_code == 302
    page = client.get("/")
    assert page.status_code == 200 and b"admin" in page.data
    assert AuditLog.select().where(AuditLog.action == "login").count() == 1


def test_lockout_after_failures(client):
    for _ in range(3):
        assert client.post("/login", data={"username": "admin", "password": "bad"}).status_code == 401
    locked = client.post("/login", data={"username": "admin", "password": "s3cret"})
    assert locked.status_code == 401 and b"Too many failed" in locked.data


def test_csrf_is_enforced(sqlite_store):
    app = create_app(Settings(), TESTING=True)
    User.create(username="u", password_hash=hash_password("p"), role="agent")
    resp = app.test_client().post("/login", data={"username": "u", "password": "p"})
    assert resp.status_code == 400
