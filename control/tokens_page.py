"""API tokens page (/account/tokens): issue a token (shown once) and revoke it."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from control.access import EVERYONE, roles
from control.auth import audit
from engine.store import ApiToken

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.route("/", methods=["GET", "POST"])
@roles(*EVERYONE)
def page() -> Any:
    clear = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name or len(name) > 80:
            flash("Token name: required, at most 80 characters.")
        else:
            token, clear = ApiToken.issue(current_user.user, name)
            audit("token.issue", "api_tokens", token.id, for_user=current_user.user.id)
    tokens = ApiToken.select().where(ApiToken.user == current_user.user).order_by(ApiToken.id.desc())  # type: ignore[attr-defined]
    return render_template("tokens.html", tokens=tokens, clear=clear)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@roles(*EVERYONE)
def revoke(token_id: int) -> Any:
    token = ApiToken.get_or_none((ApiToken.id == token_id) & (ApiToken.user == current_user.user)) or abort(404)
    token.revoked = True
    token.save()
    audit("token.revoke", "api_tokens", token.id)
    flash(f"Token {token.name} revoked.")
    return redirect(url_for(".page"))
