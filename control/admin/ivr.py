"""IVR flows: list, upload or edit YAML in the browser, errors shown with their line numbers.

A flow is checked by the engine's own loader (``engine.ivr.loader``) before it is stored;
a flow with errors is never saved, so the engine keeps the last good one.
"""
from __future__ import annotations

import pathlib
import re
import tempfile
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from control.access import ADMIN, READERS
from control.auth import audit
from engine.store import IvrFlow, utcnow

bp = Blueprint("ivr", __name__, url_prefix="/admin/ivr")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,120}$")


def check_flow(name: str, source: str) -> list[dict[str, Any]]:
    """Every error and warning of ``source`` as {line, column, field, message, severity}."""
    from engine.ivr.loader import validate_files

    settings = current_app.config["FSCC_SETTINGS"]
    with tempfile.TemporaryDirectory() as scratch:
        path = pathlib.Path(scratch) / f"{name}.yaml"
        path.write_text(source, encoding="utf-8")
        sounds = pathlib.Path(settings.sounds_dir)
        found = validate_files([path], sounds_dir=sounds if sounds.is_dir() else None)
    return [{"line": e.line, "column": e.column, "field": e.field, "message": e.message,
             "severity": e.severity} for e in found]


def save_flow(name: str, source: str, flow: IvrFlow | None) -> tuple[IvrFlow | None, list[dict[str, Any]]]:
    """Store the flow when it has no error; return it with every problem found."""
    if not NAME.match(name):
        return None, [{"line": 0, "column": 0, "field": "name", "severity": "error",
                       "message": "use 1-120 letters, digits, dot, dash or underscore"}]
    problems = check_flow(name, source)
    if any(p["severity"] == "error" for p in problems):
        return None, problems
    if flow is None:
        if IvrFlow.select().where(IvrFlow.name == name).exists():
            return None, [{"line": 0, "column": 0, "field": "name", "severity": "error",
                           "message": f"a flow named {name!r} already exists"}]
        flow = IvrFlow(name=name)
    flow.name, flow.source, flow.updated_at = name, source, utcnow()
    flow.save()
    return flow, problems


def _require(roles: tuple[str, ...]) -> None:
    from control.admin import require

    require(roles)


@bp.route("/")
def index() -> Any:
    _require(READERS)
    flows = list(IvrFlow.select().order_by(IvrFlow.name))
    stored = {f.name for f in flows}
    files = [p.name for p in flow_files() if p.stem not in stored]
    return render_template("admin/ivr_list.html", flows=flows, files=files, can_write=current_user.role in ADMIN)


def flow_files() -> list[pathlib.Path]:
    """YAML flow files shipped in the dialplans directory (those with ``nodes``)."""
    folder = pathlib.Path(current_app.config["FSCC_SETTINGS"].dialplans_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file() and "\nnodes:" in "\n" + p.read_text(errors="replace"))


@bp.route("/import/<filename>", methods=["POST"])
def import_file(filename: str) -> Any:
    """Store a shipped flow file (checked like any edit) so campaigns and routes can use it."""
    _require(ADMIN)
    path = next((p for p in flow_files() if p.name == filename), None) or abort(404)
    saved, problems = save_flow(path.stem, path.read_text(encoding="utf-8"), None)
    if saved is None:
        flash(f"{filename}: " + "; ".join(f"line {p['line']}: {p['message']}" for p in problems))
        return redirect(url_for(".index"))
    audit("create", "ivr_flows", saved.id, name=saved.name, file=filename)
    flash(f"Flow {saved.name} stored from {filename}.")
    return redirect(url_for(".edit", flow_id=saved.id))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:flow_id>", methods=["GET", "POST"])
def edit(flow_id: int | None = None) -> Any:
    _require(READERS if request.method == "GET" else ADMIN)
    flow = IvrFlow.get_or_none(IvrFlow.id == flow_id) if flow_id else None
    if flow_id and flow is None:
        abort(404)
    name, source, problems = (flow.name, flow.source, []) if flow else ("", "", [])
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        name = request.form.get("name", "").strip()
        source = request.form.get("source", "")
        if upload is not None and upload.filename:
            try:
                source = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                source = ""
                problems = [{"line": 1, "column": 1, "field": "file", "severity": "error", "message": "not UTF-8 text"}]
            name = name or pathlib.Path(upload.filename).stem
        if not problems:
            saved, problems = save_flow(name, source, flow)
            if saved is not None:
                audit("update" if flow else "create", "ivr_flows", saved.id, name=saved.name)
                flash(f"Flow {saved.name} saved" + (f" with {len(problems)} warning(s)." if problems else "."))
                return redirect(url_for(".edit", flow_id=saved.id))
        status = 422
    return render_template("admin/ivr_edit.html", flow=flow, name=name, source=source, problems=problems,
                           can_write=current_user.role in ADMIN), status


@bp.route("/<int:flow_id>/delete", methods=["POST"])
def delete(flow_id: int) -> Any:
    _require(ADMIN)
    flow = IvrFlow.get_or_none(IvrFlow.id == flow_id) or abort(404)
    flow.delete_instance()
    audit("delete", "ivr_flows", flow_id)
    flash("Flow deleted.")
    return redirect(url_for(".index"))
