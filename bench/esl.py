"""ESL ingest benchmark: engine.esl's parser vs greenswitch's own parse path, same bytes.

Input: the event frames of the real transcripts (b: plain, c: json, h: xml), replicated to
about --events events. Both parsers run in this process, without sockets:

* greenswitch: `ESLProtocol.receive_events()` reading the bytes from an in-memory file
  (its socket file), i.e. readline per header line, `unquote` of each block, `ESLEvent`.
* fscc dispatch: `ESLParser.feed()` in 64 KiB chunks, then what the reader greenlet needs
  to route an event (`name`, `uuid`, `job_uuid`); the rest of the event is parsed lazily.
* fscc full: the same plus every header decoded (`dict(event.headers)`), which is the
  work greenswitch always does.

Times are CPU seconds of this process (time.process_time), so other load on the machine
does not skew the comparison. Prints one table; ratio = events/s divided by greenswitch's events/s on the same format,
or on plain when greenswitch fails on that format (it has no JSON or XML event parser: its
line splitter raises on the first header line, which the table reports).
"""

from __future__ import annotations

import argparse
import io
import logging
import pathlib
import sys
import time
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from greenswitch.esl import ESLProtocol  # noqa: E402

from engine.esl.parser import ESLParser  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "esl"
SOURCES = {
    "plain": ("b_events_plain_originate_kill", "text/event-plain"),
    "json": ("c_events_json_originate_kill", "text/event-json"),
    "xml": ("h_events_xml_originate_kill", "text/event-xml"),
}
CHUNK = 65536


def event_stream(fmt: str, events: int) -> tuple[bytes, int]:
    """The transcript's event frames, byte-exact, repeated to about `events` events."""
    scenario, content_type = SOURCES[fmt]
    frames = [
        frame for frame in ESLParser().feed((FIXTURES / f"{scenario}.recv.bin").read_bytes())
        if frame.content_type == content_type
    ]
    one = b"".join(
        "".join(f"{name}: {value}\n" for name, value in frame.headers.pairs).encode()
        + b"\n" + frame.body
        for frame in frames
    )
    copies = max(1, events // len(frames))
    return one * copies, copies * len(frames)


def run_greenswitch(data: bytes) -> int:
    protocol = ESLProtocol()
    protocol.sock_file = io.BytesIO(data)
    protocol.connected = True
    protocol.receive_events()
    return int(protocol._esl_event_queue.qsize())


def run_fscc_dispatch(data: bytes) -> int:
    parser = ESLParser()
    count = 0
    for start in range(0, len(data), CHUNK):
        for frame in parser.feed(data[start : start + CHUNK]):
            event = frame.event
            if event is not None:
                event.name, event.uuid, event.job_uuid  # noqa: B018 - the routing lookups
                count += 1
    return count


def run_fscc_full(data: bytes) -> int:
    parser = ESLParser()
    count = 0
    for start in range(0, len(data), CHUNK):
        for frame in parser.feed(data[start : start + CHUNK]):
            event = frame.event
            if event is not None:
                len(event.headers)  # every header decoded, as greenswitch does
                event.body_bytes  # noqa: B018
                count += 1
    return count


def measure(
    run: Callable[[bytes], int], data: bytes, expected: int, repeat: int
) -> float | str:
    """Best wall time over `repeat` runs, or the error text if the parser cannot do it."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        try:
            count = run(data)
        except Exception as exc:  # greenswitch has no JSON/XML event parser
            return f"{type(exc).__name__}: {exc}"
        best = min(best, time.process_time() - started)
        if count != expected:
            raise SystemExit(f"{run.__name__}: parsed {count} events, expected {expected}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs")
    parser.add_argument("--formats", default="plain,json,xml")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # greenswitch warns on short reads of in-memory data
    runners = [
        ("greenswitch", run_greenswitch),
        ("fscc dispatch", run_fscc_dispatch),
        ("fscc full", run_fscc_full),
    ]
    header = f"{'parser':<14} {'format':<6} {'events':>8} {'cpu s':>8} {'events/s':>10} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    plain_baseline: float | None = None
    for fmt in args.formats.split(","):
        data, expected = event_stream(fmt, args.events)
        baseline = None
        for label, run in runners:
            result = measure(run, data, expected, args.repeat)
            if isinstance(result, str):
                print(f"{label:<14} {fmt:<6} {expected:>8}   fails: {result[:60]}")
                continue
            rate = expected / result
            if label == "greenswitch":
                baseline = rate
                plain_baseline = plain_baseline or (rate if fmt == "plain" else None)
            reference = baseline or plain_baseline or rate
            mark = "" if baseline else " (vs greenswitch plain)"
            print(
                f"{label:<14} {fmt:<6} {expected:>8} {result:>8.3f} {rate:>10,.0f}"
                f" {rate / reference:>5.1f}x{mark}"
            )
    print(f"\n({len(data) // max(expected, 1)} bytes per event on average in the last format)")


if __name__ == "__main__":
    main()
