"""The REST JSON API under /api/v1: everything the pages do, same validation, one error shape.

Integrations send ``Authorization: Bearer <token>``; the browser pages call the same routes
with their session cookie and an ``X-CSRFToken`` header.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_login import current_user

from control.access import SAFE_METHODS
from control.auth import csrf, login_manager

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if (request.method not in SAFE_METHODS and getattr(g, "fscc_token", None) is None
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        csrf.protect()  # cookie-authenticated calls from our own pages carry X-CSRFToken
    return None


def body() -> dict[str, Any]:
    """The JSON object sent (form fields are accepted too, for simple clients)."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            from control.forms import FieldError

            raise FieldError("", "the body must be a JSON object")
        return data
    return request.form.to_dict()


def init_app(app: Flask) -> None:
    from control.api import campaigns, desk, openapi, recordings, resources, supervisor, tokens  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(openapi.bp)


def ok(data: Any = None, status: int = 200) -> Any:
    return jsonify(data if data is not None else {"ok": True}), status
