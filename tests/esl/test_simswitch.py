"""engine.esl against simswitch run as its own process (`python -m simswitch`), over TCP.

simswitch is an independent implementation of FreeSWITCH's side; these tests check that
the two agree on real flows: auth, api, bgapi jobs, events per channel, and an outbound
socket call started by the `socket` dialplan app.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.event
import pytest

from engine.esl import commands
from engine.esl.connection import InboundConnection
from engine.esl.errors import ESLAuthError
from engine.esl.event import Event
from engine.esl.outbound import OutboundCall, OutboundServer
from engine.esl.pool import parse_status

PASSWORD = "S3cret-pw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sim:
    port: int
    outbound: OutboundServer
    calls: list[dict[str, Any]]


class RecordingHandler:
    """Outbound handler: answer, set a variable, read it back, play a tone, hang up."""

    def __init__(self, call: OutboundCall, sink: list[dict[str, Any]]) -> None:
        self.call = call
        self.sink = sink

    def run(self) -> None:
        call = self.call
        record: dict[str, Any] = {"uuid": call.uuid}
        self.sink.append(record)
        record["answer"] = call.execute("answer", timeout=10)
        call.execute("set", "fscc_test_var=hello world", timeout=10)
        record["getvar"] = call.api(commands.uuid_getvar(call.uuid or "", "fscc_test_var"))
        record["playback"] = call.execute("playback", "tone_stream://%(100,0,440)", timeout=10)
        call.hangup("NORMAL_CLEARING")
        record["hangup_complete"] = call.wait_for(
            "CHANNEL_HANGUP_COMPLETE", timeout=10, include_past=True
        )


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    calls: list[dict[str, Any]] = []
    outbound = OutboundServer(
        "127.0.0.1", free_port(), lambda call: RecordingHandler(call, calls)
    )
    outbound.start()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "simswitch", "--port", str(port), "--password", PASSWORD,
         "--outbound", f"127.0.0.1:{outbound.port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        with gevent.Timeout(20):
            line = process.stdout.readline()
        if "listening" not in line:
            pytest.fail(f"simswitch did not start: {line!r} {process.stderr.read() if process.stderr else ''}")
        yield Sim(port, outbound, calls)
    finally:
        process.terminate()
        process.wait(timeout=10)
        outbound.stop()


@pytest.fixture
def conn(sim: Sim) -> Iterator[InboundConnection]:
    connection = InboundConnection("127.0.0.1", sim.port, PASSWORD, reconnect=False)
    connection.connect(timeout=10)
    yield connection
    connection.close()


def test_status_and_wrong_password(sim: Sim, conn: InboundConnection) -> None:
    status = parse_status(conn.api("status"))
    assert status.ready and status.max_sessions > 0
    with pytest.raises(ESLAuthError):
        InboundConnection("127.0.0.1", sim.port, "wrong").connect(timeout=10)


def test_originate_events_and_kill(conn: InboundConnection) -> None:
    conn.subscribe(["CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"])
    leg_uuid = "7a1c1d9e-2b3f-4c5d-8e9f-0a1b2c3d4e5f"
    seen: list[Event] = []
    hung_up = gevent.event.Event()

    def on_leg(event: Event) -> None:
        seen.append(event)
        if event.name == "CHANNEL_HANGUP_COMPLETE":
            hung_up.set()

    conn.on_uuid(leg_uuid, on_leg)
    job = conn.bgapi(
        commands.originate(
            "loopback/esl_echo", "&park()", origination_uuid=leg_uuid,
            global_vars={"origination_caller_id_name": "PatLee"},
        )
    )
    assert job.get(timeout=10) == f"+OK {leg_uuid}\n"
    assert conn.api(commands.uuid_kill(leg_uuid)) == "+OK\n"
    assert hung_up.wait(timeout=10)
    names = [event.name for event in seen]
    assert names.index("CHANNEL_CREATE") < names.index("CHANNEL_ANSWER")
    assert seen[-1].get("Hangup-Cause") == "NORMAL_CLEARING"
    assert seen[0].get("Caller-Caller-ID-Name") == "PatLee"


def test_escaped_dial_string_values(conn: InboundConnection) -> None:
    conn.subscribe(["CHANNEL_CREATE"])
    created = gevent.event.AsyncResult()
    leg_uuid = "8b2d2e0f-3c4a-4d6e-9fa0-1b2c3d4e5f60"
    conn.on_uuid(
        leg_uuid, lambda event: created.set(event) if event.name == "CHANNEL_CREATE" else None
    )
    name = "O'Brien, Pat = VIP"
    job = conn.bgapi(
        commands.originate(
            "loopback/esl_echo", "&park()", origination_uuid=leg_uuid,
            global_vars={"origination_caller_id_name": name},
        )
    )
    try:
        assert created.get(timeout=3).get("Caller-Caller-ID-Name") == name
    finally:
        job.get(timeout=3)
        conn.api(commands.uuid_kill(leg_uuid))


def test_originate_failure_cause(conn: InboundConnection) -> None:
    assert conn.api(commands.originate("error/user_busy", "&park()")) == "-ERR USER_BUSY\n"


def test_outbound_socket_call(sim: Sim, conn: InboundConnection) -> None:
    job = conn.bgapi(commands.originate("loopback/esl_outbound", "&park()"))
    assert job.get(timeout=10).startswith("+OK ")
    with gevent.Timeout(20):
        while not (sim.calls and "hangup_complete" in sim.calls[-1]):
            gevent.sleep(0.05)
    record = sim.calls[-1]
    assert record["answer"].get("Application") == "answer"
    assert record["getvar"] == "hello world"
    assert record["playback"].get("Application-Response") == "FILE PLAYED"
    assert record["hangup_complete"].get("Hangup-Cause") == "NORMAL_CLEARING"
