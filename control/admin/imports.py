"""Contact import pages: upload, column mapping, progress bar, error report download."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from control import import_jobs
from control.access import MANAGERS, READERS
from control.admin.campaigns import load
from control.auth import audit
from control.forms import FieldError


def mapping_targets() -> list[str]:
    from engine.campaigns.rows import TARGETS

    return list(TARGETS)


def guess(header: str) -> str:
    """The mapping target a header most likely means (custom field otherwise)."""
    from engine.campaigns.rows import ALIASES, TARGETS

    key = header.strip().lower().replace(" ", "_")
    key = ALIASES.get(key, key)
    return key if key in TARGETS else "custom"


def extend(bp: Blueprint) -> None:
    from control.admin import require

    @bp.route("/<int:object_id>/import", methods=["GET", "POST"])
    def import_upload(object_id: int) -> Any:
        require(MANAGERS)
        campaign = load(object_id)
        error = ""
        if request.method == "POST":
            upload = request.files.get("file")
            try:
                if upload is None or not upload.filename:
                    raise FieldError("file", "choose a CSV or TXT file")
                job = import_jobs.receive(campaign, upload.filename, upload.read())
                return redirect(url_for(".import_mapping", object_id=object_id, job_id=job.id))
            except FieldError as exc:
                error = exc.message
        return render_template("admin/import_upload.html", campaign=campaign, error=error), (422 if error else 200)

    @bp.route("/<int:object_id>/import/<job_id>/mapping", methods=["GET", "POST"])
    def import_mapping(object_id: int, job_id: str) -> Any:
        require(MANAGERS)
        campaign = load(object_id)
        job = import_jobs.get_job(job_id, campaign.id) or abort(404)
        error = ""
        if request.method == "POST":
            mapping = {}
            for i, header in enumerate(job.headers):
                target = request.form.get(f"col{i}", "ignore")
                mapping[header] = f"custom:{header}" if target == "custom" else target
            try:
                import_jobs.start(job, mapping)
                audit("import", "campaign_contacts", campaign.id, file=job.filename, job=job.id)
                return redirect(url_for(".import_progress", object_id=object_id, job_id=job.id))
            except FieldError as exc:
                error = exc.message
        return render_template("admin/import_mapping.html", campaign=campaign, job=job, error=error,
                               targets=mapping_targets(), guess=guess), (422 if error else 200)

    @bp.route("/<int:object_id>/import/<job_id>")
    def import_progress(object_id: int, job_id: str) -> Any:
        require(READERS)
        campaign = load(object_id)
        job = import_jobs.get_job(job_id, campaign.id) or abort(404)
        if request.accept_mimetypes.best == "application/json":
            return jsonify(job.as_dict())
        return render_template("admin/import_progress.html", campaign=campaign, job=job)

    @bp.route("/<int:object_id>/import/<job_id>/errors.csv")
    def import_errors(object_id: int, job_id: str) -> Any:
        require(READERS)
        campaign = load(object_id)
        job = import_jobs.get_job(job_id, campaign.id) or abort(404)
        audit("download", "import_errors", campaign.id, job=job.id)
        return Response(job.error_report(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'})

