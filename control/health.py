"""Health check and the landing page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, url_for
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
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("home.html")
