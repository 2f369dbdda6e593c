"""Import contacts from CSV or TXT, streaming, with every rejected row reported.

The control plane calls::

    result = import_contacts(campaign, open(path, newline=""), fmt="csv",
                             mapping={"Mobile": "phone", "Name": "first_name"},
                             progress=lambda p: publish(p.rows_read, p.stored, p.rejected),
                             error_report=open(report_path, "w", newline=""))

The file is read row by row (never whole); rows are cleaned by
:func:`engine.campaigns.rows.clean_row` (E.164 with the campaign's default region),
checked for duplicates in the file, already in the campaign, across campaigns (when the
campaign sets ``dedupe_across_campaigns``) and, when asked, against DNC lists; good rows
are stored in batches, each batch one transaction, so no contact is ever half-stored
(``all_or_nothing=True`` makes the whole file one transaction). The error report is a CSV
of ``row,reason,detail,raw`` where ``row`` is the file's line number.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from engine.campaigns.dnc import blocked_numbers
from engine.campaigns.errors import CampaignError
from engine.campaigns.numbers import PhoneNormaliser
from engine.campaigns.rows import CleanContact, ColumnPlan, RowRejected, clean_row, plan_columns
from engine.campaigns.sql import select_in
from engine.store import Campaign, Contact, database, utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
SAMPLE_LIMIT = 100
_to_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
_INSERT_COLUMNS = (
    Contact.campaign, Contact.phone, Contact.alt_phones, Contact.first_name, Contact.last_name,
    Contact.organisation, Contact.position, Contact.extra, Contact.custom, Contact.priority,
    Contact.status, Contact.attempts, Contact.last_outcome, Contact.disposition, Contact.lease_owner,
    Contact.import_row, Contact.created_at,
)


@dataclass(frozen=True)
class ImportProgress:
    """Counts so far, passed to the progress callback after each batch."""

    rows_read: int
    stored: int
    rejected: int


@dataclass(frozen=True)
class RejectedRow:
    row: int
    reason: str
    detail: str
    raw: str


@dataclass
class ImportResult:
    """What an import did: counts, rejections by reason and the first few rejected rows."""

    rows_read: int = 0
    stored: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[RejectedRow] = field(default_factory=list)
    fast_path_numbers: int = 0
    slow_path_numbers: int = 0


def _csv_rows(source: IO[str], has_header: bool, delimiter: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(source, delimiter=delimiter)
    if has_header:
        try:
            headers = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            raise CampaignError("file", "the file is empty") from None
        body: Iterator[list[str]] = reader
    else:
        try:
            first = next(reader)
        except StopIteration:
            raise CampaignError("file", "the file is empty") from None
        headers = [f"column{i + 1}" for i in range(len(first))]
        body = itertools.chain([first], reader)
    return headers, ((reader.line_num, row) for row in body)


def _txt_rows(source: IO[str]) -> Iterator[tuple[int, list[str]]]:
    for line_no, line in enumerate(source, start=1):
        yield line_no, [line.strip().lstrip("\ufeff")]


class _Batch:
    """Cleaned rows waiting to be checked against the store and written."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, CleanContact, list[str]]] = []

    def phones(self) -> list[str]:
        return [contact.phones[0] for _, contact, _ in self.rows]


class ContactImporter:
    """One import run into one campaign; see the module docstring for the call."""

    def __init__(self, campaign: Campaign, *, check_dnc: bool = False, batch_size: int = BATCH_SIZE,
                 progress: Callable[[ImportProgress], None] | None = None,
                 error_report: IO[str] | None = None) -> None:
        self.campaign = campaign
        self.check_dnc = check_dnc
        self.batch_size = batch_size
        self.progress = progress
        self.normaliser = PhoneNormaliser(campaign.default_region or "US")
        self.result = ImportResult()
        self._seen: set[int] = set()
        self._report = csv.writer(error_report) if error_report is not None else None
        if self._report is not None:
            self._report.writerow(["row", "reason", "detail", "raw"])
        self._now = utcnow()

    def run(self, rows: Iterator[tuple[int, list[str]]], plan: ColumnPlan, all_or_nothing: bool = False) -> ImportResult:
        """Clean, check and store every row; returns the counts."""
        with database.atomic() if all_or_nothing else _nothing():
            batch = _Batch()
            for line_no, values in rows:
                if not values or (not values[0].strip() and not any(v.strip() for v in values)):
                    continue  # blank lines are not rows
                self.result.rows_read += 1
                try:
                    contact = clean_row(values, plan, self.normaliser)
                except RowRejected as exc:
                    self._reject(line_no, exc, values)
                    continue
                key = int(contact.phones[0][1:])
                if key in self._seen:
                    self._reject(line_no, RowRejected("duplicate_in_file", f"{contact.phones[0]} appears earlier in the file"), values)
                    continue
                self._seen.add(key)
                batch.rows.append((line_no, contact, values))
                if len(batch.rows) >= self.batch_size:
                    self._flush(batch)
                    batch = _Batch()
            self._flush(batch)
        self.result.fast_path_numbers = self.normaliser.fast_hits
        self.result.slow_path_numbers = self.normaliser.slow_calls
        log.info("contacts imported campaign_id=%s read=%s stored=%s rejected=%s", self.campaign.id,
                 self.result.rows_read, self.result.stored, self.result.rejected)
        return self.result

    def _flush(self, batch: _Batch) -> None:
        if batch.rows:
            refused = self._store_conflicts(batch.phones())
            keep = []
            for line_no, contact, values in batch.rows:
                why = refused.get(contact.phones[0])
                if why is None:
                    keep.append((line_no, contact))
                else:
                    self._reject(line_no, why, values)
            self._insert(keep)
        if self.progress is not None:
            self.progress(ImportProgress(self.result.rows_read, self.result.stored, self.result.rejected))

    def _store_conflicts(self, phones: list[str]) -> dict[str, RowRejected]:
        refused: dict[str, RowRejected] = {}
        for phone, _ in _existing(phones, self.campaign.id, same_campaign=True):
            refused[phone] = RowRejected("already_in_campaign", f"{phone} is already a contact of this campaign")
        if self.campaign.dedupe_across_campaigns:
            for phone, campaign_id in _existing(phones, self.campaign.id, same_campaign=False):
                refused.setdefault(phone, RowRejected("duplicate_across_campaigns",
                                                      f"{phone} is already in campaign #{campaign_id}"))
        if self.check_dnc:
            for phone, why in blocked_numbers(phones, self.campaign).items():
                refused.setdefault(phone, RowRejected("dnc", f"{phone} is on the {why}"))
        return refused

    def _insert(self, rows: Sequence[tuple[int, CleanContact]]) -> None:
        if not rows:
            return
        campaign_id, now = self.campaign.id, self._now
        values = [
            (campaign_id, c.phones[0], _to_json(c.phones[1:]) if len(c.phones) > 1 else "[]",
             c.fields.get("first_name", ""), c.fields.get("last_name", ""), c.fields.get("organisation", ""),
             c.fields.get("position", ""), c.fields.get("extra", ""), _to_json(c.custom) if c.custom else "{}",
             c.fields.get("priority", 5), "new", 0, "", "", "", line_no, now)
            for line_no, c in rows
        ]
        with database.atomic():
            _insert_rows(values)
        self.result.stored += len(values)

    def _reject(self, line_no: int, exc: RowRejected, values: list[str]) -> None:
        self.result.rejected += 1
        self.result.reasons[exc.reason] += 1
        if self._report is not None or len(self.result.samples) < SAMPLE_LIMIT:
            raw = _raw(values)
            if self._report is not None:
                self._report.writerow([line_no, exc.reason, exc.detail, raw])
            if len(self.result.samples) < SAMPLE_LIMIT:
                self.result.samples.append(RejectedRow(line_no, exc.reason, exc.detail, raw))


def _existing(phones: list[str], campaign_id: int, *, same_campaign: bool) -> list[tuple[Any, ...]]:
    """(phone, campaign id) of stored contacts with these primary numbers, in this campaign or others."""
    operator = "=" if same_campaign else "<>"
    return select_in(f'SELECT "phone", "campaign_id" FROM "{Contact._meta.table_name}" '
                     f'WHERE "campaign_id" {operator} {{p}} AND "phone" IN ({{}})', [campaign_id], phones)


def _insert_rows(values: Sequence[Sequence[object]]) -> None:
    """Multi-row INSERT in chunks under the driver's parameter limit (JSON already encoded)."""
    columns = ", ".join(f'"{f.column_name}"' for f in _INSERT_COLUMNS)
    table = Contact._meta.table_name
    per_row = len(_INSERT_COLUMNS)
    chunk = max(1, 30_000 // per_row) if database.obj.__class__.__name__ != "SqliteDatabase" else 500
    placeholder = database.obj.param
    row_sql = "(" + ", ".join([placeholder] * per_row) + ")"
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([row_sql] * len(part))
        database.execute_sql(sql, [v for row in part for v in row])


def _raw(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue().rstrip("\r\n")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def import_contacts(campaign: Campaign, source: IO[str], *, fmt: str = "csv",
                    mapping: Mapping[str, str] | None = None, has_header: bool = True, delimiter: str = ",",
                    check_dnc: bool = False, all_or_nothing: bool = False, batch_size: int = BATCH_SIZE,
                    progress: Callable[[ImportProgress], None] | None = None,
                    error_report: IO[str] | None = None) -> ImportResult:
    """Import a CSV (``fmt="csv"``, mapped columns) or TXT (``fmt="txt"``, one number per line).

    Raises CampaignError("mapping"|"file"|"fmt", ...) before storing anything when the
    file cannot be read as asked; row problems are counted and reported, never raised.
    """
    if fmt == "txt":
        plan = plan_columns(["phone"], {"phone": "phone"})
        rows = _txt_rows(source)
    elif fmt == "csv":
        headers, rows = _csv_rows(source, has_header, delimiter)
        plan = plan_columns(headers, mapping)
    else:
        raise CampaignError("fmt", f"{fmt!r} is not csv or txt")
    importer = ContactImporter(campaign, check_dnc=check_dnc, batch_size=batch_size, progress=progress,
                               error_report=error_report)
    return importer.run(rows, plan, all_or_nothing=all_or_nothing)
