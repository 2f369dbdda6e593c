"""Contact import benchmark: 1,000,000 generated rows into SQLite, with validation and dedupe.

    .venv/bin/python bench/import.py [--rows 1000000] [--baseline-rows 20000] [--db-dir DIR]

Generates a CSV (mixed number shapes, ~1 % invalid numbers, ~0.5 % duplicates, a second
number on 10 % of rows, custom fields), imports it with the real importer (E.164
validation, in-file dedupe, dedupe across campaigns, DNC check), then measures a naive
baseline on a sample in the same run: phonenumbers.parse + is_valid_number and one
``Contact.create`` per row after a per-row duplicate SELECT. Prints a table (wall and CPU
seconds, rows/s; CPU time shows the cost when other work shares the machine) and the
share of numbers that took the compiled fast path. Target: <= 90 s for 1M on SQLite.
"""
from __future__ import annotations

import argparse
import csv
import io
import logging
import pathlib
import random
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import peewee  # noqa: E402
import phonenumbers  # noqa: E402

from engine.campaigns.dnc import add_dnc  # noqa: E402
from engine.campaigns.importer import ImportProgress, import_contacts  # noqa: E402
from engine.store import Campaign, Contact, database  # noqa: E402
from engine.store.db import open_database  # noqa: E402
from engine.store.migrations import upgrade  # noqa: E402

AREA_CODES = ["212", "213", "312", "415", "512", "617", "702", "713", "646", "305", "404", "206"]


def _number(rng: random.Random, serial: int) -> str:
    area = AREA_CODES[serial % len(AREA_CODES)]
    exchange = 200 + (serial // 10_000) % 800
    line = serial % 10_000
    shape = rng.random()
    if shape < 0.30:
        return f"({area}) {exchange:03d}-{line:04d}"
    if shape < 0.55:
        return f"+1{area}{exchange:03d}{line:04d}"
    if shape < 0.75:
        return f"{area}.{exchange:03d}.{line:04d}"
    if shape < 0.95:
        return f"{area} {exchange:03d} {line:04d}"
    return f"1-{area}-{exchange:03d}-{line:04d}"  # country code without "+": the slow path


def generate(path: pathlib.Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` data rows (plus a header) to ``path``, streaming."""
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mobile", "Work", "First", "Last", "Company", "Priority", "Plan", "Region code"])
        for serial in range(rows):
            roll = rng.random()
            if roll < 0.01:
                mobile = f"555-{serial % 10_000:04d}"  # too short: invalid
            elif roll < 0.015 and serial > 10:
                mobile = _number(rng, serial - rng.randint(1, 10))  # duplicate of a recent row
            else:
                mobile = _number(rng, serial)
            work = _number(rng, serial + 7_000_000) if rng.random() < 0.10 else ""
            writer.writerow([mobile, work, f"First{serial}", f"Last{serial}", "Acme" if serial % 3 else "",
                             str(1 + serial % 9), rng.choice(["gold", "silver", "bronze"]), f"R{serial % 50}"])


def _fresh_store(db_path: pathlib.Path) -> None:
    if database.obj is not None and not database.is_closed():
        database.close()
    for suffix in ("", "-wal", "-shm"):
        pathlib.Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    open_database(f"sqlite:///{db_path}")
    upgrade()


def run_fscc(csv_path: pathlib.Path, db_path: pathlib.Path, rows: int) -> tuple[float, float, dict[str, int]]:
    _fresh_store(db_path)
    other = Campaign.create(name="earlier", caller_id_number="+14155550000")
    import_contacts(other, io.StringIO("+12122000005\n+14152000015\n"), fmt="txt")
    campaign = Campaign.create(name="bench", caller_id_number="+14155550000", dedupe_across_campaigns=True)
    add_dnc("+13122000002", scope="global", list_color="red")
    mapping = {"Mobile": "phone", "Work": "phone2", "First": "first_name", "Last": "last_name",
               "Company": "organisation", "Priority": "priority"}
    last: list[ImportProgress] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    with csv_path.open(newline="") as handle:
        result = import_contacts(campaign, handle, mapping=mapping, check_dnc=True, progress=last.append,
                                 error_report=open(db_path.with_suffix(".errors.csv"), "w", newline=""))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    assert result.rows_read == rows, result.rows_read
    stored = Contact.select().where(Contact.campaign == campaign).count()
    assert stored == result.stored, (stored, result.stored)
    stats = {"stored": result.stored, "rejected": result.rejected, **dict(result.reasons),
             "fast_path": result.fast_path_numbers, "slow_path": result.slow_path_numbers,
             "progress_calls": len(last)}
    return seconds, cpu_seconds, stats


def run_naive(csv_path: pathlib.Path, db_path: pathlib.Path, rows: int) -> tuple[float, float]:
    """Per row: phonenumbers parse+validate, SELECT for a duplicate, Contact.create (autocommit)."""
    _fresh_store(db_path)
    campaign = Campaign.create(name="naive", caller_id_number="+14155550000")
    started, cpu_started = time.perf_counter(), time.process_time()
    with csv_path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for index, row in enumerate(reader):
            if index >= rows:
                break
            try:
                number = phonenumbers.parse(row[0], "US")
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number):
                continue
            phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if Contact.select().where((Contact.campaign == campaign) & (Contact.phone == phone)).exists():
                continue
            try:
                Contact.create(campaign=campaign, phone=phone, first_name=row[2], last_name=row[3],
                               organisation=row[4], priority=int(row[5]), custom={"Plan": row[6], "Region code": row[7]})
            except peewee.IntegrityError:
                continue
    return time.perf_counter() - started, time.process_time() - cpu_started


def time_numbers(csv_path: pathlib.Path, sample: int) -> tuple[float, float]:
    """Microseconds per number: phonenumbers parse+validate+format vs PhoneNormaliser, same sample."""
    from engine.campaigns.numbers import InvalidNumber, PhoneNormaliser

    with csv_path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        numbers = [row[0] for _, row in zip(range(sample), reader, strict=False)]
    normaliser = PhoneNormaliser("US")
    started = time.perf_counter()
    for text in numbers:
        try:
            normaliser.slow(text)
        except InvalidNumber:
            pass
    slow = (time.perf_counter() - started) / len(numbers) * 1e6
    started = time.perf_counter()
    for text in numbers:
        try:
            normaliser.normalise(text)
        except InvalidNumber:
            pass
    fast = (time.perf_counter() - started) / len(numbers) * 1e6
    return slow, fast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--db-dir", default=None, help="where the SQLite files go (default: a temp dir)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(dir=args.db_dir) as tmp:
        work = pathlib.Path(tmp)
        csv_path = work / "contacts.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows)
        generated = time.perf_counter() - started
        size = csv_path.stat().st_size
        slow_us, fast_us = time_numbers(csv_path, args.baseline_rows)
        fscc_seconds, fscc_cpu, stats = run_fscc(csv_path, work / "fscc.db", args.rows)
        fscc_sample = args.baseline_rows
        naive_seconds, naive_cpu = run_naive(csv_path, work / "naive.db", args.baseline_rows)
        database.close()
    print(f"generated {args.rows:,} rows ({size / 1e6:.0f} MB) "
          f"in {generated:.1f} s")
    print(f"{'method':<44} {'rows':>10} {'seconds':>9} {'cpu s':>8} {'rows/s':>10}")
    print(f"{'fscc importer (validate, dedupe, DNC, batches)':<44} {args.rows:>10,} {fscc_seconds:>9.1f} "
          f"{fscc_cpu:>8.1f} {args.rows / fscc_seconds:>10,.0f}")
    print(f"{'naive per-row (phonenumbers, SELECT, create)':<44} {fscc_sample:>10,} {naive_seconds:>9.1f} "
          f"{naive_cpu:>8.1f} {fscc_sample / naive_seconds:>10,.0f}")
    print(f"speed-up: {(args.rows / fscc_seconds) / (fscc_sample / naive_seconds):.1f}x; "
          f"target <= 90 s for 1,000,000 rows: {'met' if fscc_seconds * 1_000_000 / args.rows <= 90 else 'NOT met'}")
    print(f"number normalisation per number: phonenumbers {slow_us:.1f} us, fscc fast path + fallback "
          f"{fast_us:.1f} us ({slow_us / fast_us:.1f}x)")
    print("import stats: " + ", ".join(f"{k}={v:,}" for k, v in stats.items()))


if __name__ == "__main__":
    main()
