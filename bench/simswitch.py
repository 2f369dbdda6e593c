"""simswitch throughput: sustained originations/s with ~5,000 live channels on one core.

Runs `python -m simswitch` as its own process (one gevent hub = one core) and drives it
over ESL like an engine would: `bgapi originate` at a fixed rate, subscribed to
BACKGROUND_JOB, CHANNEL_ANSWER and CHANNEL_HANGUP_COMPLETE. Customers answer at once and
talk for LIVE / RATE seconds, so the live channel count settles at ~LIVE.
Baseline measured in the same run: `api status` round trips per second.
On a shared machine the wall-clock rate also reflects other processes; the
"per simswitch CPU-second" row is the one-core capacity (completed originations divided by
the CPU time simswitch used in the window, read from /proc).

    .venv/bin/python bench/simswitch.py [--rate 300] [--live 5000] [--seconds 12]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_LENGTH = re.compile(rb"^Content-Length: (\d+)$", re.M)


class Link:
    """Pipelined ESL client: counts replies and events as they arrive."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.replies = 0
        self.sent = 0
        self.jobs_ok = 0
        self.jobs_failed = 0
        self.answers = 0
        self.hangups = 0
        self.last_body = ""
        self.caught_up = threading.Event()
        # A plain thread: the client must stay much cheaper than the switch it measures.
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait_replies(0)
        self.send("auth ClueCon")
        self.wait_replies(1)

    def _read(self) -> None:
        # Minimal framing (header block + Content-Length body) so the client stays far
        # cheaper than the switch it measures.
        buffer = b""
        while True:
            data = self.sock.recv(1 << 20)
            if not data:
                return
            buffer += data
            pos = 0
            while True:
                end = buffer.find(b"\n\n", pos)
                if end < 0:
                    break
                head = buffer[pos:end]
                match = _LENGTH.search(head)
                length = int(match.group(1)) if match else 0
                if end + 2 + length > len(buffer):
                    break
                body = buffer[end + 2:end + 2 + length]
                pos = end + 2 + length
                self._frame(head, body)
            buffer = buffer[pos:]

    def _frame(self, head: bytes, body: bytes) -> None:
        if head.endswith(b"Content-Type: text/event-plain"):
            if body.startswith(b"Event-Name: BACKGROUND_JOB\n"):
                if b"\n\n+OK" in body:
                    self.jobs_ok += 1
                else:
                    self.jobs_failed += 1
            elif body.startswith(b"Event-Name: CHANNEL_ANSWER\n"):
                self.answers += 1
            elif body.startswith(b"Event-Name: CHANNEL_HANGUP_COMPLETE\n"):
                self.hangups += 1
        elif not head.startswith(b"Content-Type: auth/request"):
            self.replies += 1
            self.last_body = body.decode()
            if self.replies >= self.sent:
                self.caught_up.set()

    def send(self, line: str) -> None:
        self.sent += 1
        self.sock.sendall(line.encode() + b"\n\n")

    def wait_replies(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.replies < count and time.monotonic() < deadline:
            self.caught_up.clear()
            if self.replies >= count:
                break
            self.caught_up.wait(timeout=0.05)

    def api(self, line: str) -> str:
        self.send(f"api {line}")
        self.wait_replies(self.sent)  # replies are FIFO: ours is the last one
        return self.last_body


def start_simswitch(scenario: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simswitch", "--port", "0", "--scenario", scenario],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("simswitch listening on"):
        raise SystemExit(f"simswitch did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def live_channels(link: Link) -> int:
    return int(link.api("show channels count").split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=350.0, help="originations per second offered")
    parser.add_argument("--live", type=int, default=5000, help="target live channels")
    parser.add_argument("--seconds", type=float, default=12.0, help="measured window")
    args = parser.parse_args()
    talk = args.live / args.rate
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(f"gateways: [carrier]\ncustomers:\n  - prefix: '1'\n    ring_time: 0\n"
                     f"    talk_time: {talk:.3f}\n")
        scenario = handle.name
    proc, port = start_simswitch(scenario)
    try:
        link = Link(port)
        # Baseline: api status round trips on an idle switch.
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 2.0:
            link.api("status")
            n += 1
        status_rps = n / (time.monotonic() - t0)

        link.send("event plain " + os.environ.get("BENCH_EVENTS", "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE"))
        sent = 0
        start = time.monotonic()
        ramp_end = start + talk                 # live count reaches ~LIVE here
        end = ramp_end + args.seconds
        window: dict[str, float] = {}
        peak_live = 0
        while True:
            now = time.monotonic()
            if now >= end:
                break
            due = int((now - start) * args.rate)
            while sent < due:
                link.send(f"bgapi originate sofia/gateway/carrier/1{sent:09d} &park()")
                sent += 1
            if "t" not in window and now >= ramp_end:
                window = {"t": now, "ok": link.jobs_ok, "cpu": cpu_seconds(proc.pid)}
                peak_live = live_channels(link)
            time.sleep(0.005)
        elapsed = time.monotonic() - window["t"]
        achieved = (link.jobs_ok - window["ok"]) / elapsed
        cpu_share = (cpu_seconds(proc.pid) - window["cpu"]) / elapsed
        end_live = live_channels(link)
        if os.environ.get("BENCH_DEBUG"):
            print("sent", sent, "ok", link.jobs_ok, "answers", link.answers, "hangups",
                  link.hangups, "replies", link.replies, "elapsed", elapsed, file=sys.stderr)
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 2.0:
            link.api("status")
            n += 1
        loaded_rps = n / (time.monotonic() - t0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.unlink(scenario)

    cpu_used = cpu_share * elapsed
    capacity = (link.jobs_ok - window["ok"]) / cpu_used if cpu_used > 0 else 0.0
    load = os.getloadavg()[0]
    rows = [
        ("originations/s sustained (wall clock)", ">= 300", f"{achieved:.1f}",
         f"offered {args.rate:.0f}"),
        ("originations per simswitch CPU-second", ">= 300", f"{capacity:.0f}",
         f"load avg {load:.1f} on {os.cpu_count()} cores"),
        ("live channels (start / end of window)", f"~{args.live}",
         f"{peak_live} / {end_live}", "-"),
        ("failed originations", "0", str(link.jobs_failed), "-"),
        ("simswitch CPU (cores) in window", "<= 1.0", f"{cpu_share:.2f}", "-"),
        ("api status round trips/s", "-", f"{loaded_rps:.0f} (loaded)",
         f"{status_rps:.0f} (idle)"),
    ]
    width = [max(len(r[i]) for r in rows + [("metric", "target", "measured", "baseline")])
             for i in range(4)]
    header = ("metric", "target", "measured", "baseline")
    for row in [header, tuple("-" * w for w in width), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, width, strict=True)))


if __name__ == "__main__":
    main()
