"""One error shape for the API (``{"error": {"field", "message"}}``) and friendly pages."""
from __future__ import annotations

from typing import Any

from flask import Flask, flash, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from control.forms import FieldError, ValidationFailed
from engine.api import EngineError


def error_body(field: str, message: str, **more: Any) -> dict[str, Any]:
    return {"error": {"field": field, "message": message, **more}}


def wants_json() -> bool:
    return (request.path.startswith("/api/") or request.is_json
            or request.accept_mimetypes.best == "application/json")


def _validation(exc: ValidationFailed) -> Any:
    first = exc.errors[0]
    return jsonify(error_body(first.field, first.message, all=[e.as_dict() for e in exc.errors])), 422


def _engine_error(exc: EngineError) -> Any:
    if wants_json():
        return jsonify(error_body(exc.field, str(exc))), exc.status
    flash(str(exc))
    return redirect(request.referrer or "/"), 303


def _lifecycle_error(exc: Exception) -> Any:
    if wants_json():
        return jsonify(error_body("status", str(exc))), 409
    flash(str(exc))
    return redirect(request.referrer or "/"), 303


def _http(exc: HTTPException) -> Any:
    if wants_json():
        return jsonify(error_body("", exc.description or exc.name)), exc.code or 500
    if exc.code in (403, 404, 405, 503):
        return render_template("error.html", error=exc), exc.code
    return exc


def init_app(app: Flask) -> None:
    from engine.campaigns.errors import LifecycleError

    app.register_error_handler(ValidationFailed, _validation)
    app.register_error_handler(FieldError, lambda exc: _validation(ValidationFailed([exc])))
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(LifecycleError, _lifecycle_error)
    app.register_error_handler(HTTPException, _http)
