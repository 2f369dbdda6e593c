"""Flask app factory: one blueprint per area, settings from engine.settings."""
from __future__ import annotations

from typing import Any

from flask import Flask

from engine.settings import Settings


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the control-plane app; the store must already be open (engine.store.db)."""
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        FSCC_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(overrides)

    from control import auth, health

    auth.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    return app
