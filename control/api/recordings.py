# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Call recordings: who may find which, the search filters, and serving the audio (audited).

Scope: admins see every recording; supervisors and auditors those whose agent, campaign or
queue belongs to one of their teams; agents only their own calls, and only in campaigns whose
``settings.agents_may_listen`` is true. A recording out of scope is "not found" (404), as is
one whose file is missing or lies outside ``settings.recordings_dir``. Every byte served
writes an AuditLog row (``recording.listen`` or ``recording.download``) with user and IP.
The page (control/recordings.py) and the API below share these functions.
"""
from __future__ import annotations

import datetime as dt
import logging
import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import peewee
from flask import Response, current_app, jsonify, request, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import NotFound

from control.access import EVERYONE, check_trusted_ip
from control.api import bp, ok
from control.api.resources import _require
from control.auth import audit
from control.forms import Field, FieldError, ValidationFailed, clean
from engine.campaigns.contacts import mask_phone
from engine.store import Agent, Campaign, Cdr, Queue, Recording, User
from engine.values import parse_bool

log = logging.getLogger(__name__)

DIRECTIONS = ("inbound", "outbound", "internal")
FILTERS = (
    Field("agent", "int", min=1, help="agent id"),
    Field("campaign", "int", min=1, help="campaign id"),
    Field("queue", "int", min=1, help="queue id"),
    Field("number", "str", max_length=40, help="part of the customer's number"),
    Field("direction", "choice", choices=DIRECTIONS),
    Field("disposition", "str", max_length=60, help="the call's disposition code (from its CDR)"),
    Field("from", "str", max_length=32, help="start, UTC: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"),
    Field("to", "str", max_length=32, help="end, UTC: a date includes that whole day"),
)
API_PAGING = (Field("limit", "int", min=1, max=500), Field("offset", "int", min=0))
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Search:
    """Validated search filters; empty values mean "any"."""

    agent: int | None = None
    campaign: int | None = None
    queue: int | None = None
    number: str = ""
    direction: str = ""
    disposition: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None  # exclusive


def _moment(field: str, text: str, *, end: bool) -> dt.datetime | None:
    """A naive UTC datetime from a date or ISO datetime; a bare date as ``end`` means the next midnight."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time()) + (dt.timedelta(days=1) if end else dt.timedelta())
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"must be a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS] (UTC), got {text!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def parse_search(args: Mapping[str, Any], extra: tuple[Field, ...] = (), *,
                 html: bool = False) -> tuple[Search, dict[str, Any]]:
    """Filters from query arguments, or ValidationFailed naming every field at fault.

    Returns the search and the other values cleaned (``extra`` fields such as paging).
    ``html`` ignores unknown arguments (the page); the API refuses them.
    """
    values = clean(FILTERS + extra, args, html=html)
    errors: list[FieldError] = []
    moments: dict[str, dt.datetime | None] = {}
    for name in ("from", "to"):
        try:
            moments[name] = _moment(name, values.get(name) or "", end=name == "to")
        except FieldError as exc:
            errors.append(exc)
    start, end = moments.get("from"), moments.get("to")
    if start and end and end <= start:
        errors.append(FieldError("to", "must be after from"))
    if errors:
        raise ValidationFailed(errors)
    search = Search(agent=values.get("agent"), campaign=values.get("campaign"), queue=values.get("queue"),
                    number=values.get("number") or "", direction=values.get("direction") or "",
                    disposition=values.get("disposition") or "", start=start, end=end)
    return search, values


def may_listen(campaign: Campaign) -> bool:
    """Whether a campaign lets its agents play their own calls (``settings.agents_may_listen``)."""
    try:
        return parse_bool((campaign.settings or {}).get("agents_may_listen", False))
    except ValueError:
        return False


def visible(user: User) -> Any:
    """Every recording ``user`` may find, as a query (with the CDR's disposition)."""
    query = (Recording.select(Recording, Cdr.disposition.alias("disposition"))
             .join(Cdr, peewee.JOIN.LEFT_OUTER, on=(Cdr.call_uuid == Recording.call_uuid)))
    if user.role == "admin":
        return query
    if user.role == "agent":
        agent = Agent.get_or_none(Agent.user == user)
        listening = [c.id for c in Campaign.select(Campaign.id, Campaign.settings) if may_listen(c)]
        if agent is None or not listening:
            return query.where(Recording.id.is_null())
        return query.where((Recording.agent == agent.id) & Recording.campaign.in_(listening))
    from control.access import team_ids

    teams = list(team_ids(user) or ()) or [-1]
    return query.where(
        Recording.agent.in_(Agent.select(Agent.id).where(Agent.team.in_(teams)))
        | Recording.campaign.in_(Campaign.select(Campaign.id).where(Campaign.team.in_(teams)))
        | Recording.queue.in_(Queue.select(Queue.id).where(Queue.team.in_(teams))))


def matching(user: User, search: Search) -> Any:
    """Visible recordings matching ``search``, newest first."""
    query = visible(user)
    for name in ("agent", "campaign", "queue"):
        value = getattr(search, name)
        if value is not None:
            query = query.where(getattr(Recording, name) == value)
    if search.number:
        query = query.where(Recording.phone.contains(search.number))
        if user.role == "agent":  # agents may not probe the digits a masking campaign hides
            masking = Campaign.select(Campaign.id).where(Campaign.mask_numbers == True)  # noqa: E712
            query = query.where(Recording.campaign.not_in(masking))
    if search.direction:
        query = query.where(Recording.direction == search.direction)
    if search.disposition:
        query = query.where(Cdr.disposition == search.disposition)
    if search.start:
        query = query.where(Recording.started_at >= search.start)
    if search.end:
        query = query.where(Recording.started_at < search.end)
    return query.order_by(Recording.started_at.desc(), Recording.id.desc())


def fetch(user: User, recording_id: int) -> Any:
    """One visible recording, or 404."""
    row = visible(user).where(Recording.id == recording_id).objects().first()
    if row is None:
        raise NotFound(f"no recording with id {recording_id}")
    return row


def audio_path(recording: Any) -> pathlib.Path:
    """The recording's file, only if it is a regular file inside ``recordings_dir``; else 404."""
    root = pathlib.Path(current_app.config["FSCC_SETTINGS"].recordings_dir).resolve()
    try:
        path = pathlib.Path(recording.path).resolve()
        inside, present = path.is_relative_to(root), path.is_file()
    except (OSError, ValueError, RuntimeError):
        inside, present = False, False
    if not inside:
        log.warning("recording %s refused: path %r is outside %s", recording.id, recording.path, root)
        raise NotFound(f"the file of recording {recording.id} is not available")
    if not present:
        log.warning("recording %s: file %r is missing", recording.id, recording.path)
        raise NotFound(f"the file of recording {recording.id} is missing")
    return path


def send_recording(user: User, recording_id: int, *, attachment: bool) -> Response:
    """Stream (range requests served) or download a visible recording; audited."""
    recording = fetch(user, recording_id)
    if recording.campaign_id is not None:
        check_trusted_ip(recording.campaign)
    path = audio_path(recording)
    name = _SAFE_NAME.sub("_", recording.call_uuid) or f"recording-{recording.id}"
    response = send_file(path, mimetype="audio/wav", as_attachment=attachment, download_name=f"{name}.wav",
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    audit("recording.download" if attachment else "recording.listen", "recordings", recording.id,
          call_uuid=recording.call_uuid, range=request.headers.get("Range", "")[:60], status=response.status_code)
    return response


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.name for row in model.select(model.id, model.name).where(model.id.in_(list(ids)))}


def describe(rows: list[Any], user: User) -> list[dict[str, Any]]:
    """JSON-ready dicts for recordings, with agent/campaign/queue names (one query each)."""
    agents = _names(Agent, {r.agent_id for r in rows if r.agent_id})
    queues = _names(Queue, {r.queue_id for r in rows if r.queue_id})
    campaign_ids = {r.campaign_id for r in rows if r.campaign_id}
    campaigns = {c.id: c for c in Campaign.select(Campaign.id, Campaign.name, Campaign.mask_numbers)
                 .where(Campaign.id.in_(list(campaign_ids or {-1})))}
    items = []
    for r in rows:
        campaign = campaigns.get(r.campaign_id)
        masked = user.role == "agent" and campaign is not None and campaign.mask_numbers
        items.append({
            "id": r.id, "call_uuid": r.call_uuid, "started_at": r.started_at.isoformat(),
            "duration_seconds": r.duration_seconds, "size_bytes": r.size_bytes, "direction": r.direction,
            "phone": mask_phone(r.phone) if masked else r.phone, "disposition": getattr(r, "disposition", None) or "",
            "agent": r.agent_id, "agent_name": agents.get(r.agent_id, ""),
            "campaign": r.campaign_id, "campaign_name": campaign.name if campaign else "",
            "queue": r.queue_id, "queue_name": queues.get(r.queue_id, ""),
            "audio_url": url_for("recordings.audio", recording_id=r.id),
            "download_url": url_for("recordings.download", recording_id=r.id),
            "api_download_url": url_for("api.recording_download", recording_id=r.id),
        })
    return items


@bp.route("/recordings")
def recordings_list() -> Any:
    _require(EVERYONE)
    search, values = parse_search(request.args, API_PAGING)
    limit, offset = values.get("limit") or 100, values.get("offset") or 0
    query = matching(current_user.user, search)
    rows = list(query.limit(limit).offset(offset).objects())
    return jsonify({"items": describe(rows, current_user.user), "total": query.count(), "limit": limit,
                    "offset": offset})


@bp.route("/recordings/<int:recording_id>")
def recording_get(recording_id: int) -> Any:
    _require(EVERYONE)
    return ok(describe([fetch(current_user.user, recording_id)], current_user.user)[0])


@bp.route("/recordings/<int:recording_id>/download")
def recording_download(recording_id: int) -> Any:
    _require(EVERYONE)
    return send_recording(current_user.user, recording_id, attachment=True)
