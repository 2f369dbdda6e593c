"""Contact imports run as background jobs with progress and a downloadable error report.

An upload is kept as a file until it is mapped; ``start`` runs the import in a worker
(a greenlet under gevent) and ``ImportJob`` is what the progress bar and the error report
read. Jobs live in this process's memory: an import belongs to the server that took it.
"""
from __future__ import annotations

import csv
import io
import logging
import pathlib
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

from control.forms import FieldError
from engine.store import Campaign

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_DIR = pathlib.Path(tempfile.gettempdir()) / "fscc-imports"


@dataclass
class ImportJob:
    """One import: counts for the progress bar and the rejected rows for the report."""

    id: str
    campaign_id: int
    filename: str
    path: pathlib.Path
    headers: list[str] = field(default_factory=list)
    sample: list[list[str]] = field(default_factory=list)
    total: int = 0
    processed: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    samples: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, detail)
    reasons: dict[str, int] = field(default_factory=dict)
    fmt: str = "csv"
    delimiter: str = ","
    state: str = "uploaded"  # uploaded | running | done | failed
    error: str = ""

    @property
    def report_path(self) -> pathlib.Path:
        return self.path.with_suffix(".errors.csv")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "campaign": self.campaign_id, "filename": self.filename, "state": self.state,
                "total": self.total, "processed": self.processed, "imported": self.imported,
                "duplicates": self.duplicates, "rejected": self.rejected, "reasons": self.reasons,
                "error": self.error,
                "percent": int(100 * self.processed / self.total) if self.total else (100 if self.state == "done" else 0)}

    def error_report(self) -> str:
        """CSV of every rejected row: ``row,reason,detail,raw`` (row = the file's line number)."""
        if self.report_path.exists():
            return self.report_path.read_text(encoding="utf-8")
        return "row,reason,detail,raw\r\n"


JOBS: dict[str, ImportJob] = {}
_LOCK = threading.Lock()


def receive(campaign: Campaign, filename: str, data: bytes) -> ImportJob:
    """Keep an uploaded CSV/TXT and read its header and first rows for the mapping step."""
    if not data.strip():
        raise FieldError("file", "the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise FieldError("file", f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FieldError("file", f"not UTF-8 text (byte {exc.start}); save the sheet as CSV UTF-8") from None
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    job_id = secrets.token_hex(8)
    path = UPLOAD_DIR / f"{job_id}.csv"
    path.write_text(text, encoding="utf-8")
    fmt, delimiter, headers, sample = _peek(text)
    job = ImportJob(job_id, campaign.id, filename or "upload.csv", path, headers, sample, fmt=fmt, delimiter=delimiter,
                    total=max(0, text.count("\n") + (0 if text.endswith("\n") else 1) - (fmt == "csv")))
    with _LOCK:
        JOBS[job_id] = job
    return job


def _peek(text: str) -> tuple[str, str, list[str], list[list[str]]]:
    """(fmt, delimiter, headers, first rows): TXT when the first line is a bare number."""
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if not any(d in first for d in ",;\t") and any(ch.isdigit() for ch in first):
        return "txt", ",", ["phone"], [[line] for line in lines[:5]]  # one number per line
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO("\n".join(lines[:6])), delimiter=delimiter))
    return "csv", delimiter, [h.strip() for h in rows[0]], rows[1:6]


def get_job(job_id: str, campaign_id: int) -> ImportJob | None:
    job = JOBS.get(job_id)
    return job if job is not None and job.campaign_id == campaign_id else None


def start(job: ImportJob, mapping: dict[str, str]) -> None:
    """Check the mapping now (errors go back to the form), then import in the background."""
    from engine.campaigns.errors import CampaignError
    from engine.campaigns.rows import plan_columns

    try:
        if job.fmt == "csv":
            plan_columns(job.headers, mapping)
    except CampaignError as exc:
        raise FieldError("mapping", exc.message) from None
    job.state = "running"
    worker = threading.Thread(target=_run, args=(job, mapping), daemon=True, name=f"import-{job.id}")
    worker.start()


def _run(job: ImportJob, mapping: dict[str, str]) -> None:
    from engine.store import database

    try:
        campaign = Campaign.get_by_id(job.campaign_id)
        _import(job, campaign, mapping)
        job.state = "done"
    except Exception as exc:  # noqa: BLE001 - the job reports any failure on its page
        log.exception("contact import failed job=%s campaign_id=%s", job.id, job.campaign_id)
        job.state, job.error = "failed", str(exc)
    finally:
        if not database.is_closed():
            database.close()
        job.path.unlink(missing_ok=True)
        log.info("contact import finished job=%s campaign_id=%s state=%s stored=%s rejected=%s",
                 job.id, job.campaign_id, job.state, job.imported, job.rejected)


def _import(job: ImportJob, campaign: Campaign, mapping: dict[str, str]) -> None:
    from engine.campaigns.importer import ImportProgress, import_contacts

    def progress(p: ImportProgress) -> None:
        job.processed, job.imported, job.rejected = p.rows_read, p.stored, p.rejected
        job.total = max(job.total, p.rows_read)

    with job.path.open(encoding="utf-8", newline="") as source, \
            job.report_path.open("w", encoding="utf-8", newline="") as report:
        result = import_contacts(campaign, source, fmt=job.fmt, mapping=mapping if job.fmt == "csv" else None,
                                 delimiter=job.delimiter, progress=progress, error_report=report)
    job.processed = job.total = result.rows_read
    job.imported, job.rejected = result.stored, result.rejected
    job.reasons = dict(result.reasons)
    job.duplicates = sum(n for reason, n in result.reasons.items() if "duplicate" in reason)
    job.samples = [(r.row, r.reason, r.detail) for r in result.samples]
