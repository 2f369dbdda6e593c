"""Engine speed: originations/s, live channels held, answer→bridge latency, CPU per call.

simswitch runs in its own process (`python -m simswitch ... --scenario FILE --outbound ...`);
each side of the comparison runs in its own child process against that same simswitch, one
after the other, doing the same call loop:

1. originate a customer (`bgapi originate {origination_uuid=...}sofia/gateway/carrier/1... &park()`)
   at --rate per second; customers answer after a short ring and hang up after --concurrent
   / (2 x rate) seconds, so the live channel count settles at about --concurrent;
2. on the customer's CHANNEL_ANSWER, ring a free agent (`bgapi originate user/<ext> &park()`);
3. on the agent leg's CHANNEL_ANSWER, `api uuid_bridge <customer> <agent leg>`.

* fscc engine: `Engine(settings, store=False)` started against simswitch (its ESL connection,
  event subscription, call table, agent registry and call flow), driven through
  `engine.campaigns.engine_port.EnginePort`, the dialer's own ports into the engine:
  `EnginePort.originate` → `Engine.originate` → `SwitchOps.originate` for step 1, and on the
  customer's answer the dialer's `agents.reserve` + `EnginePort.connect` →
  `Engine.connect_to_agent` → `Engine.ring_agent` for step 2. Step 3 is the engine's own
  handler (`CallFlow.agent_leg_event` → `connect_agent` → `SwitchOps.bridge`). The
  `CampaignDialer` itself (pacing, claims, Attempt rows) is not in the loop: the benchmark
  paces instead, so no campaign rows are written (the store is an SQLite file, for the
  few reads the call flow makes).
* bare greenswitch: one `greenswitch.InboundESL` subscribed to the same events, handlers
  that do steps 1-3 with hand-written command strings and an agent free-list.

Latency is taken on both sides the same way, by wrapping methods from here (no engine code
changes): CHANNEL_ANSWER "received" = the reader greenlet has parsed the event (fscc
`InboundConnection._on_event`, greenswitch `handle_event`), "uuid_bridge sent" = the
command enters the client's send call (fscc `command`, greenswitch `send`). CPU per call is
`resource.getrusage(RUSAGE_SELF)` of the child process over the measured window divided by
the calls bridged in it (the pacing loop's own cost is in both). Events arriving while a
side is busy queue in its socket, so p99 includes queueing.

    .venv/bin/python bench/engine.py [--rate 200] [--concurrent 5000] [--seconds 20]
"""

from __future__ import annotations

import sys

if "--phase" in sys.argv:  # a child process: gevent before anything opens a socket
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pathlib  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid as uuid_module  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_EXTENSION = 20000
RING_SECONDS = 0.2  # customer ring before answer
AGENT_ANSWER_SECONDS = 0.1
SETTLE_SECONDS = 2.0  # after the ramp, before the measured window opens
DRAIN_SECONDS = 30.0  # bound on waiting for the switch to empty after a phase
SLOW_REPLY_SECONDS = 0.4  # simswitch's uuid_bridge waits up to 0.5 s for the legs to settle


# ----- shared by both phases ------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of another process (simswitch), from /proc."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Meter:
    """Timestamps of CHANNEL_ANSWER received and uuid_bridge sent; counts in the window."""

    def __init__(self) -> None:
        self.answered_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.window_start = float("inf")
        self.window_end = float("inf")
        self.originated = 0  # customer originates the switch accepted (+OK Job-UUID), in window
        self.originate_errors = 0
        self.bridges = 0  # uuid_bridge sent, in window
        self.no_agent = 0
        self.live_samples: list[int] = []
        self.slow_bridge_replies = 0  # uuid_bridge answered after SLOW_REPLY_SECONDS, in window
        self.last_answer = 0.0
        self.longest_silence = 0.0  # between two CHANNEL_ANSWERs received, in the window

    def in_window(self, now: float) -> bool:
        return self.window_start <= now < self.window_end

    def answer(self, uuid: str | None) -> None:
        if uuid:
            now = self.answered_at[uuid] = time.perf_counter()
            if self.in_window(now) and self.last_answer:
                self.longest_silence = max(self.longest_silence, now - self.last_answer)
            self.last_answer = now

    def bridge_replied(self, sent_at: float) -> None:
        now = time.perf_counter()
        if self.in_window(sent_at) and now - sent_at >= SLOW_REPLY_SECONDS:
            self.slow_bridge_replies += 1

    def bridge_sent(self, customer_uuid: str, leg_uuid: str) -> None:
        now = time.perf_counter()
        answered = self.answered_at.pop(leg_uuid, None)
        self.answered_at.pop(customer_uuid, None)
        if self.in_window(now):
            self.bridges += 1
            if answered is not None:
                self.latencies.append(now - answered)


def pace(meter: Meter, args: argparse.Namespace, originate: Callable[[int], bool],
         live: Callable[[], int], switch_channels: Callable[[], int], simswitch_pid: int) -> dict[str, Any]:
    """Offer customer originates at --rate until the window closes; returns the phase's numbers."""
    import gevent
    import gevent.pool

    pool = gevent.pool.Pool(200)  # originates in flight at most (each waits for its reply)

    def one(n: int) -> None:
        ok = originate(n)
        if not meter.in_window(time.perf_counter()):
            return
        if ok:
            meter.originated += 1
        else:
            meter.originate_errors += 1

    start = time.perf_counter()
    meter.window_start = start + args.talk + SETTLE_SECONDS
    meter.window_end = meter.window_start + args.seconds
    cpu_start = sim_start = 0.0
    sent = 0
    next_sample = meter.window_start
    peak_switch = 0
    while True:
        now = time.perf_counter()
        if now >= meter.window_end:
            break
        if not cpu_start and now >= meter.window_start:
            cpu_start, sim_start = own_cpu(), cpu_seconds(simswitch_pid)
        if now >= next_sample:
            meter.live_samples.append(live())
            next_sample += 1.0
            if now >= meter.window_start + args.seconds / 2 and not peak_switch:
                peak_switch = switch_channels()
        due = int((now - start) * args.rate)
        while sent < due:
            pool.spawn(one, sent)
            sent += 1
        gevent.sleep(0.002)
    cpu_used = own_cpu() - cpu_start
    sim_used = cpu_seconds(simswitch_pid) - sim_start
    window = meter.window_end - meter.window_start
    return {
        "originations_per_s": meter.originated / window,
        "offered_per_s": args.rate,
        "originate_errors": meter.originate_errors,
        "bridges_per_s": meter.bridges / window,
        "no_agent": meter.no_agent,
        "live_mean": sum(meter.live_samples) / max(1, len(meter.live_samples)),
        "live_min": min(meter.live_samples, default=0),
        "switch_channels": peak_switch,
        "p50_ms": percentile(meter.latencies, 0.50) * 1000,
        "p90_ms": percentile(meter.latencies, 0.90) * 1000,
        "slow_bridge_replies": meter.slow_bridge_replies,
        "p99_ms": percentile(meter.latencies, 0.99) * 1000,
        "latency_samples": len(meter.latencies),
        "longest_silence_ms": meter.longest_silence * 1000,
        "cpu_per_call_ms": cpu_used / max(1, meter.bridges) * 1000,
        "cpu_cores": cpu_used / window,
        "simswitch_cores": sim_used / window,
    }


def drain(count: Callable[[], int], hangup_all: Callable[[], Any]) -> None:
    """Hang everything up and wait (bounded) until the switch is empty for the next phase."""
    import gevent

    hangup_all()
    deadline = time.monotonic() + DRAIN_SECONDS
    while count() > 0 and time.monotonic() < deadline:
        gevent.sleep(0.2)


def customer_number(n: int) -> str:
    return f"1{n:09d}"


# ----- fscc engine ----------------------------------------------------------------------
def run_fscc(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    from engine.agents.state import AgentProfile
    from engine.calls import Call
    from engine.campaigns.engine_port import EnginePort
    from engine.core import Engine
    from engine.settings import EslNode, Settings
    from engine.store import database
    from engine.store.db import open_database
    from engine.store.migrations import upgrade

    warnings: collections.Counter[str] = collections.Counter()

    class Count(logging.Handler):  # the engine's warnings are counted for the table, not printed
        def emit(self, record: logging.LogRecord) -> None:
            warnings["all"] += 1
            warnings["node down"] += "node down" in record.getMessage()

    logging.basicConfig(level=logging.WARNING, handlers=[Count()])
    work = pathlib.Path(tempfile.mkdtemp(prefix="fscc-bench-"))
    (work / "dialplans").mkdir()
    (work / "dialplans" / "routes.yaml").write_text("routes: []\n")
    open_database(f"sqlite:///{work / 'fscc.db'}")
    upgrade()
    settings = Settings(
        esl_nodes=(EslNode("fs1", "127.0.0.1", args.esl_port, "ClueCon"),), outbound_port=args.outbound_port,
        dialer_enabled=False, recordings_dir=str(work / "recordings"), dialplans_dir=str(work / "dialplans"),
        sounds_dir=str(ROOT / "sounds"), tts_cache_dir=str(work / "tts"), log_level="WARNING",
    )
    engine = Engine(settings, store=False)
    free: collections.deque[int] = collections.deque()
    for i in range(args.agents):
        engine.agents.add(AgentProfile(agent_id=i + 1, extension=str(FIRST_EXTENSION + i), wrap_up_seconds=0))
        engine.agents.login(i + 1)
        free.append(i + 1)
    engine.agents.on_change(lambda agent: free.append(agent.agent_id) if agent.state == "available" else None)
    engine.start()
    port = EnginePort(engine)
    meter = Meter()

    connection = engine.nodes["fs1"]
    reader_hook, send = connection._on_event, connection.command

    def on_event(event: Any) -> None:  # reader greenlet, right after the frame is parsed
        if event.name == "CHANNEL_ANSWER":
            meter.answer(event.uuid)
        reader_hook(event)

    def command(data: bytes, timeout: float | None = 30.0) -> Any:
        if not data.startswith(b"api uuid_bridge "):
            return send(data, timeout)
        customer_uuid, leg_uuid = data.split(b"\n", 1)[0].decode().split()[2:4]
        meter.bridge_sent(customer_uuid, leg_uuid)
        sent_at = time.perf_counter()
        try:
            return send(data, timeout)
        finally:
            meter.bridge_replied(sent_at)

    connection._on_event = on_event  # type: ignore[method-assign]
    connection.command = command  # type: ignore[method-assign]

    def on_call(call: Call, name: str) -> None:
        # What the campaign dialer does on a human answer (customer_first): reserve, connect.
        if name != "CHANNEL_ANSWER" or call.role != "outbound":
            return
        while free:
            agent_id = free.popleft()
            if engine.agents.reserve(agent_id, call.uuid, timeout=30) is not None:
                port.connect(call.uuid, agent_id)
                return
        meter.no_agent += 1

    engine.call_listeners.append(on_call)

    def originate(n: int) -> bool:
        job = port.originate(f"sofia/gateway/carrier/{customer_number(n)}", origination_uuid=str(uuid_module.uuid4()),
                             variables={"fscc_campaign_id": 1, "originate_timeout": 30,
                                        "origination_caller_id_number": "15550000000"}, app="&park()")
        return job is not None

    def live() -> int:
        return sum(1 for call in list(engine.calls) if not call.gone)

    def switch_channels() -> int:
        return int(connection.api("show channels count").split()[0])

    result = pace(meter, args, originate, live, switch_channels, args.simswitch_pid)
    drain(switch_channels, lambda: connection.api("hupall NORMAL_CLEARING"))
    engine.stop()
    database.close()
    return {**result, "warnings": warnings["all"], "node_down": warnings["node down"]}


# ----- bare greenswitch -----------------------------------------------------------------
def run_greenswitch(args: argparse.Namespace) -> dict[str, Any]:
    import gevent
    from greenswitch.esl import InboundESL

    from engine.calls import CHANNEL_EVENTS

    meter = Meter()
    client = InboundESL("127.0.0.1", args.esl_port, "ClueCon")
    client.connect()
    free = collections.deque(str(FIRST_EXTENSION + i) for i in range(args.agents))
    customers: set[str] = set()
    legs: dict[str, tuple[str, str]] = {}  # agent leg uuid -> (customer uuid, extension)
    reader_hook, send = client.handle_event, client.send

    def handle_event(event: Any) -> None:  # reader greenlet; the body is parsed inside
        reader_hook(event)
        if event.headers.get("Event-Name") == "CHANNEL_ANSWER":
            meter.answer(event.headers.get("Unique-ID"))

    def send_command(data: str) -> Any:
        if not data.startswith("api uuid_bridge "):
            return send(data)
        customer_uuid, leg_uuid = data.split()[2:4]
        meter.bridge_sent(customer_uuid, leg_uuid)
        sent_at = time.perf_counter()
        try:
            return send(data)
        finally:
            meter.bridge_replied(sent_at)

    client.handle_event = handle_event
    client.send = send_command

    def on_answer(event: Any) -> None:
        uuid = event.headers.get("Unique-ID", "")
        if uuid in customers:
            if not free:
                meter.no_agent += 1
                return
            extension, leg_uuid = free.popleft(), str(uuid_module.uuid4())
            legs[leg_uuid] = (uuid, extension)
            gevent.spawn(client.send, f"bgapi originate {{origination_uuid={leg_uuid},hangup_after_bridge=true,"
                                      f"originate_timeout=30}}user/{extension} &park()")
        elif uuid in legs:
            gevent.spawn(client.send, f"api uuid_bridge {legs[uuid][0]} {uuid}")

    def on_hangup_complete(event: Any) -> None:
        uuid = event.headers.get("Unique-ID", "")
        customers.discard(uuid)
        leg = legs.pop(uuid, None)
        if leg is not None:
            free.append(leg[1])

    client.register_handle("CHANNEL_ANSWER", on_answer)
    client.register_handle("CHANNEL_HANGUP_COMPLETE", on_hangup_complete)
    client.send("event plain " + " ".join(CHANNEL_EVENTS))  # what the engine subscribes to

    def originate(n: int) -> bool:
        uuid = str(uuid_module.uuid4())
        customers.add(uuid)
        reply = client.send(f"bgapi originate {{origination_uuid={uuid},originate_timeout=30,"
                            f"origination_caller_id_number=15550000000}}sofia/gateway/carrier/{customer_number(n)} &park()")
        return str(reply.data).startswith("+OK")

    def switch_channels() -> int:
        return int(str(client.send("api show channels count").data).split()[0])

    result = pace(meter, args, originate, lambda: len(customers) + len(legs), switch_channels, args.simswitch_pid)
    drain(switch_channels, lambda: client.send("api hupall NORMAL_CLEARING"))
    client.stop()
    return {**result, "warnings": 0, "node_down": 0}


# ----- orchestration (not gevent-patched) -----------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scenario(talk: float, agents: int) -> str:
    last = FIRST_EXTENSION + agents - 1
    text = (f"gateways: [carrier]\ncustomers:\n  - prefix: '1'\n    answer: 1.0\n    ring_time: {RING_SECONDS}\n"
            f"    talk_time: {talk:.3f}\nagents:\n  - extension: '{FIRST_EXTENSION}-{last}'\n"
            f"    registered: true\n    answer_delay: {AGENT_ANSWER_SECONDS}\n    reject: 0\n    talk_time: null\n")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(text)
    return handle.name


def start_simswitch(scenario_file: str, outbound_port: int, log: Any) -> tuple[subprocess.Popen[str], int]:
    esl_port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simswitch", "--host", "127.0.0.1", "--port", str(esl_port), "--password", "ClueCon",
         "--scenario", scenario_file, "--outbound", f"127.0.0.1:{outbound_port}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("simswitch listening on"):
        raise SystemExit(f"simswitch did not start: {line!r}")
    return proc, esl_port


def run_phase(phase: str, args: argparse.Namespace, esl_port: int, outbound_port: int, pid: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", phase, "--esl-port", str(esl_port),
               "--outbound-port", str(outbound_port), "--simswitch-pid", str(pid), "--rate", str(args.rate),
               "--concurrent", str(args.concurrent), "--seconds", str(args.seconds), "--agents", str(args.agents)]
    timeout = args.talk + SETTLE_SECONDS + args.seconds + DRAIN_SECONDS + 60
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def table(fscc: dict[str, Any], bare: dict[str, Any], args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    def both(fmt: Callable[[dict[str, Any]], str]) -> tuple[str, str]:
        return fmt(fscc), fmt(bare)

    rows = [
        (f"originations/s sustained (customer legs; offered {args.rate:.0f})",
         *both(lambda r: f"{r['originations_per_s']:.0f}"), ">= 200"),
        ("  + agent legs: bridged calls/s", *both(lambda r: f"{r['bridges_per_s']:.0f}"), "-"),
        ("concurrent channels held (mean / min, own count)",
         *both(lambda r: f"{r['live_mean']:.0f} / {r['live_min']}"), "5,000"),
        ("  channels on the switch at mid-window", *both(lambda r: str(r["switch_channels"])), "-"),
        ("CHANNEL_ANSWER -> uuid_bridge p50 (ms)", *both(lambda r: f"{r['p50_ms']:.1f}"), "-"),
        ("CHANNEL_ANSWER -> uuid_bridge p90 (ms)", *both(lambda r: f"{r['p90_ms']:.1f}"), "-"),
        ("CHANNEL_ANSWER -> uuid_bridge p99 (ms)", *both(lambda r: f"{r['p99_ms']:.1f}"), "<= 20"),
        ("  uuid_bridge replies >= 0.4 s after sending", *both(lambda r: str(r["slow_bridge_replies"])), "-"),
        ("  longest gap between CHANNEL_ANSWERs received (ms)",
         *both(lambda r: f"{r['longest_silence_ms']:.0f}"), "-"),
        ("CPU per bridged call (ms)", *both(lambda r: f"{r['cpu_per_call_ms']:.2f}"), "-"),
        ("  = bridged calls per client CPU-second", *both(lambda r: f"{1000 / r['cpu_per_call_ms']:.0f}"), "-"),
        ("client process CPU (cores) in window", *both(lambda r: f"{r['cpu_cores']:.2f}"), "-"),
        ("simswitch CPU (cores) in window", *both(lambda r: f"{r['simswitch_cores']:.2f}"), "-"),
        ("client warnings logged (command timeouts: node down)",
         *both(lambda r: f"{r['warnings']} ({r['node_down']})"), "0"),
        ("failed originates / answers with no free agent",
         *both(lambda r: f"{r['originate_errors']} / {r['no_agent']}"), "0 / 0"),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="customer originations per second offered")
    parser.add_argument("--concurrent", type=int, default=5000, help="target live channels (customer + agent legs)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per side, after the ramp")
    parser.add_argument("--agents", type=int, default=0, help="agents (default: enough for --concurrent, +25%%)")
    parser.add_argument("--phase", choices=("fscc", "greenswitch"), help=argparse.SUPPRESS)
    parser.add_argument("--esl-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--outbound-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--simswitch-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.talk = max(1.0, args.concurrent / (2 * args.rate) - AGENT_ANSWER_SECONDS)
    args.agents = args.agents or int(args.concurrent / 2 * 1.25) + 50
    if args.phase:
        runner = run_fscc if args.phase == "fscc" else run_greenswitch
        print(json.dumps(runner(args)), flush=True)
        return

    scenario_file = scenario(args.talk, args.agents)
    outbound_port = free_port()
    # simswitch's stderr goes to a file: gevent prints every channel greenlet it ends with an
    # exception there (uuid_bridge / hupall interrupting a park), which is noise for this table.
    with tempfile.TemporaryFile("w+") as simswitch_log:
        proc, esl_port = start_simswitch(scenario_file, outbound_port, simswitch_log)
        try:
            fscc = run_phase("fscc", args, esl_port, outbound_port, proc.pid)
            bare = run_phase("greenswitch", args, esl_port, outbound_port, proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            os.unlink(scenario_file)
        simswitch_log.seek(0)
        greenlet_failures = sum(" failed with " in line for line in simswitch_log)
    rows = table(fscc, bare, args)
    header = ("metric", "fscc engine", "bare greenswitch baseline", "target")
    width = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in width), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, width, strict=True)))
    print(f"\n{os.cpu_count()} cores shared by simswitch and the measured side; load avg "
          f"{os.getloadavg()[0]:.1f}; customer talk {args.talk:.1f} s, {args.agents} agents, "
          f"{args.seconds:.0f} s window per side; simswitch's stderr had {greenlet_failures} greenlet failure reports")


if __name__ == "__main__":
    main()
