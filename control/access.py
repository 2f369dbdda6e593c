"""Who may do what: roles, team scope, API tokens and campaign trusted IPs.

Roles: ``admin`` (everything, every team), ``supervisor`` (runs campaigns and agents of
its teams), ``agent`` (the desk and its own team's contacts), ``auditor`` (reads and
listens within its teams, changes nothing). Every team-scoped query goes through
``scoped`` so one place decides visibility.
"""
from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, g, jsonify, request
from flask_login import current_user

from engine.store import ApiToken, Campaign, User, UserTeam, utcnow

ADMIN = ("admin",)
MANAGERS = ("admin", "supervisor")
READERS = ("admin", "supervisor", "auditor")
EVERYONE = ("admin", "supervisor", "agent", "auditor")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def team_ids(user: User) -> set[int] | None:
    """Teams the user may see; None means every team (admins)."""
    if user.role == "admin":
        return None
    rows: Any = UserTeam.select(UserTeam.team).where(UserTeam.user == user).tuples()
    return {team_id for (team_id,) in rows}


def scoped(query: Any, team_field: Any, user: User) -> Any:
    """Restrict ``query`` to rows whose ``team_field`` is one of the user's teams."""
    teams = team_ids(user)
    if team_field is None or teams is None:
        return query
    return query.where(team_field.in_(list(teams) or [-1]))


def in_scope(team_id: int | None, user: User) -> bool:
    teams = team_ids(user)
    return teams is None or (team_id is not None and team_id in teams)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def roles(*allowed: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow a page or API view to signed-in users (session or token) holding a role."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from control.auth import login_manager

                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorator


def user_from_token(header: str) -> User | None:
    """The user behind an ``Authorization: Bearer fscc_...`` header, if the token is live."""
    if not header.startswith("Bearer "):
        return None
    token = ApiToken.lookup(header[len("Bearer "):].strip())
    if token is None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    g.fscc_token = token
    return token.user


def ip_allowed(remote: str, networks: list[str]) -> bool:
    """True when ``networks`` is empty or ``remote`` falls inside one of them."""
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_trusted_ip(campaign: Campaign) -> None:
    """Token calls touching a campaign must come from its trusted IPs (when it lists any)."""
    if getattr(g, "fscc_token", None) is None:
        return
    if not ip_allowed(request.remote_addr or "", list(campaign.trusted_ips or [])):
        abort(403, description=f"address {request.remote_addr} is not in campaign {campaign.id}'s trusted IPs")


def _auditors_read_only() -> Any:
    # One gate for every blueprint: an auditor never changes anything.
    if request.method in SAFE_METHODS or request.endpoint in ("auth.logout", "auth.login", "directory.directory"):
        return None
    if current_user.is_authenticated and current_user.role == "auditor":
        if is_api_request():
            return jsonify(error={"field": "", "message": "auditors may read but not change anything"}), 403
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(_auditors_read_only)
