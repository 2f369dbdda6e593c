# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Campaign work beyond CRUD: lifecycle, progress, contacts, imports, export, assignment.

Token calls that touch a campaign must come from its trusted IPs when it lists any
(inbound integrations pushing contacts, reading results).
"""
from __future__ import annotations

from typing import Any

from flask import Response, abort, request
from flask_login import current_user

from control import crud, import_jobs
from control.access import EVERYONE, MANAGERS, READERS, check_trusted_ip, team_ids
from control.admin.contacts import (
    add_contact,
    contact_dict,
    contact_rows,
    delete_contact,
    export_csv,
    history,
)
from control.api import body, bp, ok
from control.api.resources import _require, page_args
from control.assignment import assign_auto, assign_manual
from control.auth import audit
from control.engine_link import LIFECYCLE_ACTIONS, campaign_progress, transition_campaign
from control.forms import FieldError
from control.resources import get
from engine.store import Agent, Campaign, Contact


def campaign_for(object_id: int, allowed: tuple[str, ...]) -> Campaign:
    _require(allowed)
    campaign: Campaign = crud.fetch(get("campaigns"), current_user.user, object_id)
    check_trusted_ip(campaign)
    return campaign


@bp.route("/campaigns/<int:object_id>/lifecycle/<action>", methods=["POST"])
def campaign_lifecycle(object_id: int, action: str) -> Any:
    campaign = campaign_for(object_id, MANAGERS)
    if action not in LIFECYCLE_ACTIONS:
        raise FieldError("action", f"must be one of {', '.join(LIFECYCLE_ACTIONS)}")
    before = campaign.status
    transition_campaign(campaign, action)
    audit("campaign." + action, "campaigns", campaign.id, before=before, after=campaign.status)
    return ok({"id": campaign.id, "status": campaign.status, "previous": before})


@bp.route("/campaigns/<int:object_id>/progress")
def campaign_progress_view(object_id: int) -> Any:
    campaign = campaign_for(object_id, READERS)
    return ok({"id": campaign.id, "status": campaign.status, "contacts": campaign_progress(campaign)})


@bp.route("/campaigns/<int:object_id>/contacts", methods=["GET"])
def campaign_contacts(object_id: int) -> Any:
    campaign = campaign_for(object_id, READERS)
    limit, offset = page_args()
    rows = contact_rows(campaign, request.args.get("status", ""), limit=limit, offset=offset)
    return ok({"items": [contact_dict(c) for c in rows], "limit": limit, "offset": offset})


@bp.route("/campaigns/<int:object_id>/contacts", methods=["POST"])
def campaign_contact_add(object_id: int) -> Any:
    campaign = campaign_for(object_id, MANAGERS)
    contact = add_contact(campaign, body())
    audit("create", "contacts", contact.id, campaign=campaign.id)
    return ok(contact_dict(contact), 201)


@bp.route("/campaigns/<int:object_id>/contacts/<int:contact_id>", methods=["DELETE"])
def campaign_contact_delete(object_id: int, contact_id: int) -> Any:
    campaign = campaign_for(object_id, MANAGERS)
    delete_contact(campaign, contact_id)
    audit("delete", "contacts", contact_id, campaign=campaign.id)
    return "", 204


@bp.route("/contacts/<int:contact_id>")
def contact_get(contact_id: int) -> Any:
    """One contact with its history: agents see only their own team's contacts."""
    _require(EVERYONE)
    contact = visible_contact(contact_id)
    check_trusted_ip(contact.campaign)
    mask = current_user.role == "agent" and contact.campaign.mask_numbers
    return ok({**contact_dict(contact, mask=mask), "history": history(contact)})


def visible_contact(contact_id: int) -> Contact:
    contact = Contact.get_or_none(Contact.id == contact_id)
    teams = team_ids(current_user.user)
    if contact is None or (teams is not None and contact.campaign.team_id not in teams):
        abort(404, description=f"no contact with id {contact_id}")
    return contact


@bp.route("/campaigns/<int:object_id>/imports", methods=["POST"])
def campaign_import(object_id: int) -> Any:
    """Multipart upload ``file``; with a ``mapping`` (JSON header -> target) the import starts."""
    import json

    campaign = campaign_for(object_id, MANAGERS)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise FieldError("file", "send the CSV/TXT as multipart field 'file'")
    job = import_jobs.receive(campaign, upload.filename, upload.read())
    mapping_text = request.form.get("mapping", "")
    if mapping_text:
        try:
            mapping = json.loads(mapping_text)
        except json.JSONDecodeError as exc:
            raise FieldError("mapping", f"is not valid JSON: {exc.msg}") from None
        if not isinstance(mapping, dict):
            raise FieldError("mapping", "must be an object of column header -> field")
        import_jobs.start(job, {str(k): str(v) for k, v in mapping.items()})
        audit("import", "campaign_contacts", campaign.id, file=job.filename, job=job.id)
    return ok({**job.as_dict(), "headers": job.headers, "sample": job.sample}, 202 if mapping_text else 201)


@bp.route("/campaigns/<int:object_id>/imports/<job_id>", methods=["GET"])
def campaign_import_status(object_id: int, job_id: str) -> Any:
    campaign = campaign_for(object_id, READERS)
    job = import_jobs.get_job(job_id, campaign.id) or abort(404)
    return ok({**job.as_dict(), "rejected_rows": [{"row": r, "reason": why, "detail": d} for r, why, d in job.samples]})


@bp.route("/campaigns/<int:object_id>/imports/<job_id>", methods=["POST"])
def campaign_import_start(object_id: int, job_id: str) -> Any:
    """Start an uploaded import with ``{"mapping": {header: target}}``."""
    campaign = campaign_for(object_id, MANAGERS)
    job = import_jobs.get_job(job_id, campaign.id) or abort(404)
    mapping = body().get("mapping")
    if not isinstance(mapping, dict):
        raise FieldError("mapping", "must be an object of column header -> field")
    import_jobs.start(job, {str(k): str(v) for k, v in mapping.items()})
    audit("import", "campaign_contacts", campaign.id, file=job.filename, job=job.id)
    return ok(job.as_dict(), 202)


@bp.route("/campaigns/<int:object_id>/imports/<job_id>/errors")
def campaign_import_errors(object_id: int, job_id: str) -> Any:
    campaign = campaign_for(object_id, READERS)
    job = import_jobs.get_job(job_id, campaign.id) or abort(404)
    audit("download", "import_errors", campaign.id, job=job.id)
    return Response(job.error_report(), mimetype="text/csv")


@bp.route("/campaigns/<int:object_id>/export")
def campaign_export(object_id: int) -> Any:
    campaign = campaign_for(object_id, READERS)
    audit("download", "campaign_contacts", campaign.id, format="csv")
    return Response(export_csv(campaign), mimetype="text/csv")


@bp.route("/campaigns/<int:object_id>/assign", methods=["POST"])
def campaign_assign(object_id: int) -> Any:
    """``{"agent": id|null, "contacts": [ids]}`` or ``{"shares": {agent_id: percent}, "scope": "unassigned"|"all"}``."""
    campaign = campaign_for(object_id, MANAGERS)
    data = body()
    if "shares" in data:
        shares = data["shares"]
        if not isinstance(shares, dict):
            raise FieldError("shares", "must be an object of agent id -> percent")
        try:
            parsed = {int(k): int(v) for k, v in shares.items()}
        except (TypeError, ValueError):
            raise FieldError("shares", "agent ids and percentages must be whole numbers") from None
        given = assign_auto(campaign, parsed, only_unassigned=data.get("scope", "unassigned") != "all")
        audit("campaign.assign_auto", "campaigns", campaign.id, shares=parsed)
        return ok({"assigned": given})
    agent = None
    if data.get("agent") is not None:
        agent = Agent.get_or_none(Agent.id == data["agent"]) if str(data["agent"]).isdigit() else None
        if agent is None:
            raise FieldError("agent", f"no agent with id {data['agent']!r}")
    contacts = data.get("contacts")
    if not isinstance(contacts, list) or not all(isinstance(c, int) for c in contacts):
        raise FieldError("contacts", "must be a list of contact ids")
    result = assign_manual(campaign, agent, contacts)
    audit("campaign.assign", "campaigns", campaign.id, agent=data.get("agent"), contacts=len(contacts))
    return ok(result)




@bp.route("/dnc/import", methods=["POST"])
def dnc_import() -> Any:
    """Multipart ``file`` with ``scope`` (global|team|campaign), ``team``/``campaign`` ids, ``region``."""
    from control.admin.dnc import import_upload

    _require(MANAGERS)
    return ok(import_upload(request.files.get("file"), request.form), 201)
