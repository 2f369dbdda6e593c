"""Inbound routes: edit ``dialplans/routes.yaml`` in the browser, checked by the engine's parser.

A file with an error is never written (the error is shown with its line); a good file is
replaced atomically and the engine picks it up on its next reload.
"""
from __future__ import annotations

import os
import pathlib
import tempfile
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from control.access import ADMIN, READERS
from control.auth import audit

bp = Blueprint("routes", __name__, url_prefix="/admin/routes")


def routes_path() -> pathlib.Path:
    return pathlib.Path(current_app.config["FSCC_SETTINGS"].dialplans_dir) / "routes.yaml"


def check_routes(text: str) -> list[dict[str, Any]]:
    """The file's first error as {line, field, message}, or nothing when it parses."""
    from engine.routing import RouteError, parse_routes

    try:
        routes, _ = parse_routes(text, "routes.yaml")
    except RouteError as exc:
        return [{"line": exc.line, "field": exc.field, "message": exc.message, "severity": "error"}]
    if not routes:
        return [{"line": 1, "field": "routes", "message": "the file defines no route", "severity": "warning"}]
    return []


def write_atomically(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".routes-", suffix=".yaml")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(scratch, path)


@bp.route("/", methods=["GET", "POST"])
def edit() -> Any:
    from control.admin import require

    require(READERS if request.method == "GET" else ADMIN)
    path = routes_path()
    source = path.read_text(encoding="utf-8") if path.exists() else "routes: []\n"
    problems: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        source = upload.read().decode("utf-8", errors="replace") if upload and upload.filename else request.form.get("source", "")
        problems = check_routes(source)
        if not any(p["severity"] == "error" for p in problems):
            write_atomically(path, source)
            audit("update", "routes", str(path))
            flash("Routes saved; the engine loads them within a few seconds.")
            return redirect(url_for(".edit"))
        status = 422
    return render_template("admin/routes.html", source=source, problems=problems, path=str(path),
                           can_write=current_user.role in ADMIN), status
