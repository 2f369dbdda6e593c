# mypy: disable-error-code="attr-defined"
# (peewee adds field expressions at run time)
"""The recordings page (/recordings/): search, play in the browser, download; plays audited.

Scope, filters and serving live in control/api/recordings.py, shared with the JSON API.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from control.access import EVERYONE, roles
from control.api.recordings import (
    DIRECTIONS,
    Search,
    describe,
    matching,
    parse_search,
    send_recording,
    visible,
)
from control.forms import Field, ValidationFailed
from engine.store import Agent, Campaign, Queue, Recording, User

bp = Blueprint("recordings", __name__, url_prefix="/recordings")

PER_PAGE = 50
PAGING = (Field("page", "int", min=1),)


def _choices(user: User) -> dict[str, list[tuple[int, str]]]:
    """Agents, campaigns and queues that have at least one recording the user may find."""
    found = visible(user)
    choices = {}
    for name, model in (("agent", Agent), ("campaign", Campaign), ("queue", Queue)):
        ids = found.select(getattr(Recording, name)).distinct()
        rows = model.select(model.id, model.name).where(model.id.in_(ids)).order_by(model.name)
        choices[name] = [(row.id, row.name) for row in rows]
    return choices


@bp.route("/")
@roles(*EVERYONE)
def page() -> Any:
    user = current_user.user
    errors: dict[str, str] = {}
    try:
        search, values = parse_search(request.args, PAGING, html=True)
    except ValidationFailed as exc:
        search, values, errors = Search(), {}, exc.by_field
    number = values.get("page") or 1
    query = matching(user, search)
    total = 0 if errors else query.count()
    rows = [] if errors else list(query.paginate(number, PER_PAGE).objects())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "recordings.html", items=describe(rows, user), total=total, page=number,
        pages=max(1, -(-total // PER_PAGE)), args=args, form=request.args, errors=errors,
        choices=_choices(user), directions=DIRECTIONS,
    ), (422 if errors else 200)


@bp.route("/<int:recording_id>/audio")
@roles(*EVERYONE)
def audio(recording_id: int) -> Any:
    """The WAV for an ``<audio>`` element (range requests served); audited as a listen."""
    return send_recording(current_user.user, recording_id, attachment=False)


@bp.route("/<int:recording_id>/download")
@roles(*EVERYONE)
def download(recording_id: int) -> Any:
    """The WAV as an attachment; audited as a download."""
    return send_recording(current_user.user, recording_id, attachment=True)
