"""Flask app factory: one blueprint per area, settings from engine.settings."""
from __future__ import annotations

from typing import Any

from flask import Flask

from engine.settings import Settings


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the control-plane app; the store must already be open (engine.store.db).

    ``FSCC_ENGINE=<EngineAPI>`` in ``overrides`` connects the running engine; without it
    pages show the store's state and engine commands answer 503.
    """
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        FSCC_SETTINGS=settings,
        FSCC_ENGINE=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=210 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update(overrides)

    from control import (
        access,
        admin,
        api,
        auth,
        desk,
        directory,
        errors,
        health,
        metrics,
        recordings,
        supervisor,
        tokens_page,
    )

    _bind_store(app)
    auth.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    admin.init_app(app)
    api.init_app(app)
    app.register_blueprint(desk.bp)
    app.register_blueprint(recordings.bp)
    app.register_blueprint(supervisor.bp)
    app.register_blueprint(tokens_page.bp)
    auth.csrf.exempt(directory.bp)
    app.register_blueprint(directory.bp)
    return app


def _bind_store(app: Flask) -> None:
    """One store connection per request (greenlet), closed when the request ends."""
    from engine.store import database

    @app.before_request
    def _connect() -> None:
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if app.config.get("TESTING"):
            return  # tests share one connection with their fixtures
        if not database.is_closed() and not database.in_transaction():
            database.close()
