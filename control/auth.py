"""Sign-in for people (flask-login sessions) with throttling; role checks for views."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

from engine.store import AuditLog, User, utcnow

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
csrf = CSRFProtect()


class SessionUser(UserMixin):
    """The flask-login wrapper around a stored User."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = str(user.id)
        self.role = user.role

    @property
    def agent(self) -> Any:
        """The user's agent profile (desk), or None."""
        from engine.store import Agent

        return Agent.get_or_none(Agent.user == self.user)

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)


@login_manager.user_loader
def _load_user(user_id: str) -> SessionUser | None:
    user = User.get_or_none(User.id == int(user_id))
    return SessionUser(user) if user and user.active else None


@login_manager.request_loader
def _load_user_from_request(req: Any) -> SessionUser | None:
    from control.access import user_from_token

    user = user_from_token(req.headers.get("Authorization", ""))
    return SessionUser(user) if user else None


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if request.path.startswith("/api/"):
        return jsonify(error={"field": "", "message": "sign in or send Authorization: Bearer <token>"}), 401
    if request.path.startswith("/freeswitch/"):
        abort(403)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow the view only to signed-in users holding one of ``roles``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def audit(action: str, object_type: str = "", object_id: Any = "", **details: Any) -> None:
    """Write one audit-log row for the current request's user."""
    user = current_user.user if getattr(current_user, "is_authenticated", False) else None
    AuditLog.create(
        user=user, ip=request.remote_addr or "", action=action,
        object_type=object_type, object_id=str(object_id), details=details,
    )


def check_login(username: str, password: str) -> tuple[User | None, str]:
    """Verify credentials with lockout after repeated failures; return (user, error)."""
    settings = current_app.config["FSCC_SETTINGS"]
    user = User.get_or_none(User.username == username)
    now = utcnow()
    if user is None:
        return None, "Unknown user or wrong password."
    if user.locked_until and user.locked_until > now:
        return None, "Too many failed sign-ins; try again later."
    if not user.active:
        return None, "This account is disabled."
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + dt.timedelta(seconds=settings.login_lockout_seconds)
            user.failed_logins = 0
        user.save()
        return None, "Unknown user or wrong password."
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        user.save()
    return user, ""


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    if request.method == "POST":
        user, error = check_login(request.form.get("username", "").strip(), request.form.get("password", ""))
        if user:
            login_user(SessionUser(user))
            audit("login", "user", user.id)
            target = request.args.get("next") or url_for("health.index")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("health.index")
            return redirect(target)
        flash(error)
    return login_page(error)


def login_page(error: str = "") -> Any:
    """The sign-in form (also served at "/" to visitors who are not signed in)."""
    return render_template("login.html", error=error, demo_users=_demo_users()), (401 if error else 200)


def _demo_users() -> list[tuple[str, str, str]]:
    """(user, password, role) of the demo, shown on the sign-in page when ``demo_users`` is set."""
    if not current_app.config["FSCC_SETTINGS"].demo_users:
        return []
    from control.demo import DEMO_USERS

    return [(username, password, role) for username, password, role, _ in DEMO_USERS]


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    audit("logout", "user", current_user.id)
    logout_user()
    return redirect(url_for("auth.login"))
