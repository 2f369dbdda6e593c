# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Health check and the landing page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from flask_login import current_user

from engine import __version__
from engine.store import database
from engine.store.migrations import current_version

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Any:
    """Liveness for load balancers and `make demo`: store reachable and schema version."""
    try:
        version = current_version()
        ok = True
    except Exception as exc:  # noqa: BLE001 - the health page reports any store failure
        version, ok = -1, False
        error = str(exc)
    body = {"status": "ok" if ok else "error", "version": __version__, "schema": version,
            "database": type(database.obj).__name__}
    if not ok:
        body["error"] = error
    return jsonify(body), (200 if ok else 503)


@bp.route("/")
def index() -> Any:
    """Start page: agents go to their desk, everyone else sees the areas they may open."""
    if not current_user.is_authenticated:
        # The sign-in form itself (200), so a plain check of "/" sees the service answer.
        from control.auth import login_page

        return login_page()
    if current_user.role == "agent":
        return redirect(url_for("desk.page"))
    return render_template("home.html", areas=_areas())


@bp.route("/admin/")
def admin_index() -> Any:
    """Every admin area the user may read."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role not in ("admin", "supervisor", "auditor"):
        abort(403)
    return render_template("home.html", areas=_areas())


def _areas() -> list[tuple[str, str]]:
    from control.admin import endpoint_name
    from control.resources import all_resources

    areas = [(r.title, url_for(endpoint_name(r) + ".index")) for r in all_resources()
             if current_user.role in r.read_roles]
    if current_user.role in ("admin", "supervisor", "auditor"):
        areas.insert(0, ("Supervisor wallboard", url_for("supervisor.page")))
        areas.append(("IVR flows", url_for("ivr.index")))
        areas.append(("Inbound routes", url_for("routes.edit")))
        areas.append(("API tokens", url_for("tokens.page")))
        areas.append(("Audit log", url_for("health.audit_log")))
    return areas


@bp.route("/admin/audit")
def audit_log() -> Any:
    """The newest audit-log entries (admins and auditors)."""
    from engine.store import AuditLog

    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role not in ("admin", "auditor"):
        abort(403)
    rows = AuditLog.select().order_by(AuditLog.id.desc()).limit(300)
    return render_template("audit.html", rows=rows)
