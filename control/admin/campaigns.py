# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""Campaign pages beyond the form: detail with live progress, lifecycle buttons, contacts,
assignment and export."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from control import crud
from control.access import MANAGERS, READERS
from control.admin.contacts import add_contact, contact_rows, delete_contact, export_csv
from control.assignment import assign_auto, assign_manual, campaign_agents, owned_count
from control.auth import audit
from control.engine_link import available_actions, campaign_progress, transition_campaign
from control.forms import FieldError, ValidationFailed
from control.live import stream
from control.metrics import campaign_pacing
from control.resources import get
from engine.api import DomainEvent
from engine.store import Agent, Campaign


def load(object_id: int) -> Campaign:
    from control.admin import require

    require(READERS)
    campaign: Campaign = crud.fetch(get("campaigns"), current_user.user, object_id)
    return campaign


def extend(bp: Blueprint) -> None:
    """Add the campaign-only views to the campaigns blueprint."""
    from control.admin import require

    @bp.route("/<int:object_id>/detail")
    def detail(object_id: int) -> Any:
        campaign = load(object_id)
        status = request.args.get("status", "")
        agents = campaign_agents(campaign)
        return render_template(
            "admin/campaign_detail.html", campaign=campaign, progress=campaign_progress(campaign),
            pacing=campaign_pacing(campaign),
            actions=available_actions(campaign.status), contacts=contact_rows(campaign, status, limit=100), status=status,
            agents=agents, owned={a.id: owned_count(campaign, a) for a in agents},
            can_write=current_user.role in MANAGERS)

    @bp.route("/<int:object_id>/lifecycle/<action>", methods=["POST"])
    def lifecycle(object_id: int, action: str) -> Any:
        require(MANAGERS)
        campaign = load(object_id)
        before = campaign.status
        transition_campaign(campaign, action)
        audit("campaign." + action, "campaigns", campaign.id, before=before, after=campaign.status)
        flash(f"Campaign {campaign.name}: {before} → {campaign.status}"
              + (" (starts when an agent is ready)" if action == "start" and campaign.status == "scheduled" else ""))
        return redirect(url_for(".detail", object_id=object_id))

    @bp.route("/<int:object_id>/progress")
    def progress(object_id: int) -> Any:
        campaign = load(object_id)

        def snapshot() -> dict[str, Any]:
            fresh = Campaign.get_by_id(campaign.id)
            return {"campaign_id": campaign.id, "status": fresh.status, "contacts": campaign_progress(fresh),
                    "pacing": campaign_pacing(fresh)}

        def want(event: DomainEvent) -> dict[str, Any] | None:
            if event.kind.startswith("campaign.") and event.data.get("campaign_id") == campaign.id:
                return event.data
            return None

        limit = float(request.args["limit"]) if "limit" in request.args else None
        return stream(snapshot, want, every=2.0, limit=limit)

    @bp.route("/<int:object_id>/assign", methods=["POST"])
    def assign(object_id: int) -> Any:
        require(MANAGERS)
        campaign = load(object_id)
        try:
            if request.form.get("mode") == "auto":
                shares = {a.id: _percent(request.form.get(f"share_{a.id}", "0"), a.id) for a in campaign_agents(campaign)}
                given = assign_auto(campaign, shares, only_unassigned=request.form.get("scope") != "all")
                flash("Assigned: " + ", ".join(f"agent {k}: {v}" for k, v in given.items()))
                audit("campaign.assign_auto", "campaigns", campaign.id, shares=shares)
            else:
                agent_id = request.form.get("agent", "")
                agent = Agent.get_or_none(Agent.id == int(agent_id)) if agent_id.isdigit() else None
                ids = [int(v) for v in request.form.getlist("contact") if v.isdigit()]
                result = assign_manual(campaign, agent, ids)
                refused = "; ".join(f"{k}: {v}" for k, v in list(result["refused"].items())[:5])
                flash(f"{result['assigned']} contact(s) assigned to {agent.name if agent else 'the pool'}."
                      + (f" Refused: {refused}" if refused else ""))
                audit("campaign.assign", "campaigns", campaign.id, agent=agent_id, contacts=len(ids))
        except FieldError as exc:
            flash(f"Assignment: {exc.field}: {exc.message}")
        return redirect(url_for(".detail", object_id=object_id))

    @bp.route("/<int:object_id>/contacts", methods=["POST"])
    def contact_add(object_id: int) -> Any:
        require(MANAGERS)
        campaign = load(object_id)
        try:
            contact = add_contact(campaign, request.form)
            flash(f"Contact {contact.phone} added.")
        except ValidationFailed as exc:
            flash("Contact not added: " + str(exc))
        return redirect(url_for(".detail", object_id=object_id))

    @bp.route("/<int:object_id>/contacts/<int:contact_id>/delete", methods=["POST"])
    def contact_delete(object_id: int, contact_id: int) -> Any:
        require(MANAGERS)
        campaign = load(object_id)
        try:
            delete_contact(campaign, contact_id)
            flash(f"Contact {contact_id} removed.")
        except ValidationFailed as exc:
            flash(str(exc))
        return redirect(url_for(".detail", object_id=object_id))

    @bp.route("/<int:object_id>/export.csv")
    def export(object_id: int) -> Any:
        campaign = load(object_id)
        audit("download", "campaign_contacts", campaign.id, format="csv")
        return Response(export_csv(campaign), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign.id}-contacts.csv"'})


def _percent(text: str, agent_id: int) -> int:
    try:
        return int(text.strip() or "0")
    except ValueError:
        raise FieldError(f"share_{agent_id}", f"{text!r} is not a whole percentage") from None
