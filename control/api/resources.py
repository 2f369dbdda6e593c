"""Generic CRUD routes for every admin area: /api/v1/<area> and /api/v1/<area>/<id>."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, jsonify, request
from flask_login import current_user

from control import crud
from control.api import body, bp, ok
from control.resources import Resource, all_resources, to_dict

MAX_PAGE = 500


def _require(allowed: tuple[str, ...]) -> None:
    if current_user.role not in allowed:
        abort(403, description=f"role {current_user.role} may not do this")


def page_args() -> tuple[int, int]:
    try:
        limit = min(MAX_PAGE, max(1, int(request.args.get("limit", "100"))))
        offset = max(0, int(request.args.get("offset", "0")))
    except ValueError:
        from control.forms import FieldError

        raise FieldError("limit", "limit and offset must be whole numbers") from None
    return limit, offset


def _views(resource: Resource) -> dict[str, Callable[..., Any]]:
    def list_view() -> Any:
        _require(resource.read_roles)
        limit, offset = page_args()
        query = crud.visible(resource, current_user.user)
        rows = [to_dict(resource, row) for row in query.limit(limit).offset(offset)]
        return jsonify({"items": rows, "total": query.count(), "limit": limit, "offset": offset})

    def create_view() -> Any:
        _require(resource.write_roles)
        values = crud.validate(resource, body())
        return ok(to_dict(resource, crud.save(resource, current_user.user, values)), 201)

    def get_view(object_id: int) -> Any:
        _require(resource.read_roles)
        return ok(to_dict(resource, crud.fetch(resource, current_user.user, object_id)))

    def update_view(object_id: int) -> Any:
        _require(resource.write_roles)
        obj = crud.fetch(resource, current_user.user, object_id)
        values = crud.validate(resource, body(), obj, partial=True)
        return ok(to_dict(resource, crud.save(resource, current_user.user, values, obj)))

    def delete_view(object_id: int) -> Any:
        _require(resource.write_roles)
        crud.remove(resource, current_user.user, crud.fetch(resource, current_user.user, object_id))
        return "", 204

    return {"list": list_view, "create": create_view, "get": get_view, "update": update_view,
            "delete": delete_view}


def register_all() -> None:
    for resource in all_resources():
        views = _views(resource)
        ep = resource.name.replace("-", "_")
        bp.add_url_rule(f"/{resource.name}", f"{ep}_list", views["list"], methods=["GET"])
        bp.add_url_rule(f"/{resource.name}", f"{ep}_create", views["create"], methods=["POST"])
        bp.add_url_rule(f"/{resource.name}/<int:object_id>", f"{ep}_get", views["get"], methods=["GET"])
        bp.add_url_rule(f"/{resource.name}/<int:object_id>", f"{ep}_update", views["update"], methods=["PUT", "PATCH"])
        bp.add_url_rule(f"/{resource.name}/<int:object_id>", f"{ep}_delete", views["delete"], methods=["DELETE"])


register_all()
