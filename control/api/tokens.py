# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""API tokens: a user issues and revokes their own; admins may issue for any user."""
from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from control.access import EVERYONE
from control.api import body, bp, ok
from control.api.resources import _require
from control.auth import audit
from control.forms import FieldError
from engine.store import ApiToken, User


def _token_dict(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "user": token.user_id, "revoked": token.revoked,
            "created_at": token.created_at.isoformat(timespec="seconds"),
            "last_used_at": token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else None}


@bp.route("/tokens", methods=["GET"])
def tokens_list() -> Any:
    _require(EVERYONE)
    query = ApiToken.select().order_by(ApiToken.id)
    if current_user.role != "admin":
        query = query.where(ApiToken.user == current_user.user)
    return ok({"items": [_token_dict(t) for t in query]})


@bp.route("/tokens", methods=["POST"])
def tokens_issue() -> Any:
    """``{"name": "crm", "user": id}`` (user: admins only); the clear token is shown once."""
    _require(EVERYONE)
    data = body()
    name = str(data.get("name", "")).strip()
    if not name or len(name) > 80:
        raise FieldError("name", "is required (at most 80 characters)")
    user = current_user.user
    if data.get("user") not in (None, "", user.id):
        if current_user.role != "admin":
            raise FieldError("user", "only admins issue tokens for other users")
        user = User.get_or_none(User.id == data["user"])
        if user is None:
            raise FieldError("user", f"no user with id {data['user']!r}")
    token, clear = ApiToken.issue(user, name)
    audit("token.issue", "api_tokens", token.id, for_user=user.id)
    return ok({**_token_dict(token), "token": clear}, 201)


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
def tokens_revoke(token_id: int) -> Any:
    _require(EVERYONE)
    token = ApiToken.get_or_none(ApiToken.id == token_id)
    if token is None or (current_user.role != "admin" and token.user_id != current_user.user.id):
        abort(404, description=f"no token with id {token_id}")
    token.revoked = True
    token.save()
    audit("token.revoke", "api_tokens", token.id)
    return "", 204
