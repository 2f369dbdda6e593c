# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Admin pages: one blueprint per area, built from the area's ``Resource``.

Each blueprint serves a list, a create form, an edit form (read-only for readers) and a
delete button at ``/admin/<area>/``; areas with more to do (campaigns, imports, IVR flows)
add their own views to their blueprint in their own module.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from control import crud
from control.access import team_ids
from control.forms import Field, ValidationFailed, form_value
from control.resources import Resource, all_resources, display
from engine.store import Team

BLUEPRINTS: dict[str, Blueprint] = {}


def endpoint_name(resource: Resource) -> str:
    return resource.name.replace("-", "_")


def options(spec: Field) -> list[tuple[str, str]]:
    """(value, label) pairs for a choice or a foreign-key select."""
    if spec.kind == "choice":
        return [(c, c.replace("_", " ")) for c in spec.choices]
    query = spec.fk.select()
    if spec.fk is Team:
        teams = team_ids(current_user.user)
        if teams is not None:
            query = query.where(Team.id.in_(list(teams) or [-1]))
    return [(str(row.id), str(getattr(row, spec.fk_label, row.id))) for row in query.order_by(spec.fk.id)]


def require(allowed: tuple[str, ...]) -> None:
    if not current_user.is_authenticated:
        from control.auth import login_manager

        abort(login_manager.unauthorized())
    if current_user.role not in allowed:
        abort(403)


def selected(spec: Field, obj: Any) -> list[str]:
    if obj is None or spec.kind != "multi_fk":
        return []
    out = crud_extra(obj).get(spec.name, [])
    return [str(v) for v in out]


def crud_extra(obj: Any) -> dict[str, Any]:
    from control.resources import REGISTRY

    for resource in REGISTRY.values():
        if isinstance(obj, resource.model) and resource.extra_out:
            return resource.extra_out(obj)
    return {}


def make_blueprint(resource: Resource) -> Blueprint:
    """List / new / edit / delete pages for one resource."""
    bp = Blueprint(endpoint_name(resource), __name__, url_prefix=f"/admin/{resource.name}")

    def render(obj: Any, errors: dict[str, str], raw: Any = None, status: int = 200) -> Any:
        shown = obj if obj is not None else resource.model()  # a new row shows the model's defaults
        values = {spec.name: (raw.get(spec.name, "") if raw is not None else form_value(spec, shown))
                  for spec in resource.fields}
        if raw is not None:
            for spec in resource.fields:
                if spec.kind == "multi_fk":
                    values[spec.name] = raw.getlist(spec.name)
        can_write = current_user.role in resource.write_roles
        return render_template("admin/form.html", resource=resource, obj=obj, values=values,
                               errors=errors, can_write=can_write, options=options,
                               selected=lambda spec: values[spec.name] if raw is not None else selected(spec, obj),
                               ), status

    @bp.route("/")
    def index() -> Any:
        require(resource.read_roles)
        rows = list(crud.visible(resource, current_user.user).limit(500))
        return render_template("admin/list.html", resource=resource, rows=rows, display=display,
                               can_write=current_user.role in resource.write_roles)

    @bp.route("/new", methods=["GET", "POST"])
    def new() -> Any:
        require(resource.write_roles)
        if request.method == "GET":
            return render(None, {})
        return _submit(None)

    @bp.route("/<int:object_id>", methods=["GET", "POST"])
    def edit(object_id: int) -> Any:
        require(resource.read_roles if request.method == "GET" else resource.write_roles)
        obj = crud.fetch(resource, current_user.user, object_id)
        if request.method == "GET":
            return render(obj, {})
        return _submit(obj)

    @bp.route("/<int:object_id>/delete", methods=["POST"])
    def delete(object_id: int) -> Any:
        require(resource.write_roles)
        obj = crud.fetch(resource, current_user.user, object_id)
        try:
            crud.remove(resource, current_user.user, obj)
        except ValidationFailed as exc:
            flash(str(exc))
            return redirect(url_for(".edit", object_id=object_id))
        flash(f"{resource.singular} {object_id} deleted.")
        return redirect(url_for(".index"))

    def _submit(obj: Any) -> Any:
        try:
            values = crud.validate(resource, request.form, obj, html=True)
            saved = crud.save(resource, current_user.user, values, obj)
        except ValidationFailed as exc:
            return render(obj, exc.by_field, raw=request.form, status=422)
        flash(f"{resource.singular} saved.")
        return redirect(url_for(".edit", object_id=saved.id))

    BLUEPRINTS[resource.name] = bp
    return bp


def init_app(app: Flask) -> None:
    from control.admin import campaigns, dnc, imports, ivr, routes

    for resource in all_resources():
        bp = make_blueprint(resource)
        if resource.name == "campaigns":
            campaigns.extend(bp)
            imports.extend(bp)
        if resource.name == "dnc":
            dnc.extend(bp)
        app.register_blueprint(bp)
    app.register_blueprint(ivr.bp)
    app.register_blueprint(routes.bp)
