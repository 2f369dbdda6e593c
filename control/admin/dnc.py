"""Bulk DNC import for the DNC area (page and API share ``import_upload``)."""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from control.access import MANAGERS, in_scope
from control.auth import audit
from control.forms import FieldError
from engine.store import Campaign, Team


def import_upload(upload: FileStorage | None, form: Mapping[str, Any]) -> dict[str, Any]:
    """Load a DNC file (one number per line, or ``phone,list_color,category,reason``) at a level."""
    from engine.campaigns.dnc import SCOPES, import_dnc

    if upload is None or not upload.filename:
        raise FieldError("file", "choose a CSV or TXT file")
    scope = str(form.get("scope", "global"))
    if scope not in SCOPES:
        raise FieldError("scope", f"must be one of {', '.join(SCOPES)}")
    if scope == "global" and current_user.role != "admin":
        raise FieldError("scope", "only admins change the global list")
    team = campaign = None
    if scope == "team":
        team = Team.get_or_none(Team.id == _int(form.get("team"), "team"))
        if team is None or not in_scope(team.id, current_user.user):
            raise FieldError("team", "choose one of your teams")
    if scope == "campaign":
        campaign = Campaign.get_or_none(Campaign.id == _int(form.get("campaign"), "campaign"))
        if campaign is None or not in_scope(campaign.team_id, current_user.user):  # type: ignore[attr-defined]
            raise FieldError("campaign", "choose one of your campaigns")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("file", "not UTF-8 text") from None
    result = import_dnc(io.StringIO(text), scope=scope, team=team, campaign=campaign,
                        region=str(form.get("region") or "US").upper())
    audit("import", "dnc", scope, stored=result.stored, rejected=len(result.rejected))
    return {"stored": result.stored, "rejected": [{"line": line, "reason": why} for line, why in result.rejected]}


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError(field, "is required") from None


def extend(bp: Blueprint) -> None:
    from control.admin import require

    @bp.route("/import", methods=["POST"])
    def bulk_import() -> Any:
        require(MANAGERS)
        try:
            result = import_upload(request.files.get("file"), request.form)
            shown = "; ".join(f"line {r['line']}: {r['reason']}" for r in result["rejected"][:10])
            flash(f"DNC import: {result['stored']} stored, {len(result['rejected'])} rejected" + (f" ({shown})" if shown else "."))
        except FieldError as exc:
            flash(f"DNC import: {exc.field}: {exc.message}")
        return redirect(url_for(".index"))
