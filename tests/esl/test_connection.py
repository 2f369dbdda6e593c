"""InboundConnection against a scripted FreeSWITCH that answers with the real captured bytes."""

from __future__ import annotations

import socket

import gevent
import gevent.event
import gevent.server
import pytest

from engine.esl.connection import InboundConnection
from engine.esl.errors import ESLAuthError, ESLConnectError, ESLDisconnected, ESLRejectedError
from engine.esl.event import Event
from tests.esl.fakeswitch import FakeSwitch

B_A_LEG = "0d39a2c4-f199-4687-97a9-799746a79561"


def connection(port: int, password: str = "ClueCon", **kwargs: object) -> InboundConnection:
    conn = InboundConnection("127.0.0.1", port, password, reconnect=False, **kwargs)  # type: ignore[arg-type]
    conn.connect(timeout=5)
    return conn


def test_api_and_bgapi_against_a1() -> None:
    with FakeSwitch("a1_auth_api_status_channels_unknown") as fake:
        conn = connection(fake.port)
        try:
            assert conn.connected and conn.alive
            assert conn.api("status").startswith("UP 0 years, 0 days")
            assert conn.api("show channels as json") == '{"row_count": 0}\n'
            assert conn.api("show channels") == "\n0 total.\n"
            assert conn.api("nosuchapicommand foo") == "-ERR nosuchapicommand Command not found!\n"
            job = conn.bgapi("status")
            body = job.get(timeout=5)
            assert body.startswith("UP 0 years") and body.endswith("8192K\n")
            assert job.event is not None and job.event.job_uuid == job.job_uuid
        finally:
            conn.close()
        sent = fake.peers[0].received
        assert sent[0] == b"auth ClueCon\n\n"
        assert sent[1] == b"event plain BACKGROUND_JOB HEARTBEAT\n\n"
        assert sent[-1] == b"exit\n\n"
        assert not conn.connected


def test_wrong_password_raises_auth_error() -> None:
    with FakeSwitch("a2_wrong_password") as fake:
        conn = InboundConnection("127.0.0.1", fake.port, "WrongPassword")
        with pytest.raises(ESLAuthError, match="-ERR invalid"):
            conn.connect(timeout=5)
        assert not conn.connected
        gevent.sleep(0.05)
        assert len(fake.peers) == 1  # a failed first connect never reconnects


def test_refused_connection_raises_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ESLConnectError):
        InboundConnection("127.0.0.1", port, "ClueCon").connect(timeout=2)


def test_acl_rejection_raises_rejected_error() -> None:
    with FakeSwitch("a1_auth_api_status_channels_unknown", reject=True) as fake:
        with pytest.raises(ESLRejectedError, match="Access Denied"):
            InboundConnection("127.0.0.1", fake.port, "ClueCon").connect(timeout=5)


def test_originate_failures_and_client_job_uuid_d() -> None:
    with FakeSwitch("d_originate_failures") as fake:
        conn = connection(fake.port)
        try:
            conn.subscribe(
                ["BACKGROUND_JOB", "CHANNEL_CREATE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"]
            )
            assert conn.api("originate error/user_busy &park()") == "-ERR USER_BUSY\n"
            job = conn.bgapi(
                "originate {originate_timeout=3}sofia/internal/nobody@127.0.0.1:5999 &park()",
                job_uuid="11111111-2222-3333-4444-555555555555",
            )
            assert job.get(timeout=5) == "-ERR NORMAL_TEMPORARY_FAILURE\n"
        finally:
            conn.close()


def test_handlers_run_off_the_reader_in_order_b() -> None:
    with FakeSwitch("b_events_plain_originate_kill") as fake:
        conn = connection(fake.port)
        names: list[str] = []
        a_leg: list[Event] = []
        destroyed = gevent.event.Event()

        def slow_handler(event: Event) -> None:
            gevent.sleep(0.01)  # must not hold up replies
            names.append(event.name or "")

        def on_destroy(event: Event) -> None:
            if event.uuid == B_A_LEG:
                destroyed.set()

        removed: list[Event] = []
        conn.on("*", slow_handler)
        conn.on("CHANNEL_DESTROY", on_destroy)
        conn.on_uuid(B_A_LEG, a_leg.append)
        conn.on_uuid(B_A_LEG, removed.append)
        conn.off_uuid(B_A_LEG, removed.append)
        conn.on("CHANNEL_CREATE", removed.append)
        conn.off("CHANNEL_CREATE", removed.append)
        try:
            conn.subscribe("ALL")
            job = conn.bgapi("originate loopback/esl_echo &park()")
            assert job.get(timeout=5).startswith("+OK ")
            assert conn.api(f"uuid_kill {B_A_LEG}") == "+OK\n"
            assert destroyed.wait(timeout=10)
        finally:
            conn.close()
        assert names[0] in ("CODEC", "CHANNEL_OUTGOING", "CHANNEL_STATE", "CHANNEL_CREATE")
        assert "BACKGROUND_JOB" in names and names.count("CHANNEL_DESTROY") >= 1
        assert a_leg and all(event.uuid == B_A_LEG for event in a_leg)
        assert removed == []
        leg_names = [event.name for event in a_leg]
        assert leg_names.index("CHANNEL_CREATE") < leg_names.index("CHANNEL_ANSWER")
        assert leg_names.index("CHANNEL_HANGUP") < leg_names.index("CHANNEL_DESTROY")


def test_json_heartbeat_sets_liveness_c() -> None:
    with FakeSwitch("c_events_json_originate_kill") as fake:
        conn = connection(fake.port, fmt="json")
        beat = gevent.event.Event()
        conn.on("HEARTBEAT", lambda event: beat.set())
        try:
            assert conn.last_heartbeat is None
            conn.subscribe("ALL", fmt="json")
            conn.bgapi("originate loopback/esl_echo &park()").get(timeout=5)
            conn.api("uuid_kill 43ed1813-914e-4566-bf81-8f9bfa0cd708")
            assert beat.wait(timeout=10)
            assert conn.last_heartbeat is not None and conn.alive
            assert conn.heartbeat is not None and conn.heartbeat.get("Event-Info") == "System Ready"
        finally:
            conn.close()
        assert fake.peers[0].received[1] == b"event json BACKGROUND_JOB HEARTBEAT\n\n"


def test_reconnect_replays_subscriptions_and_filters() -> None:
    with FakeSwitch("a1_auth_api_status_channels_unknown") as fake:
        conn = InboundConnection(
            "127.0.0.1", fake.port, "ClueCon", reconnect=True, backoff=(0.05, 0.2)
        )
        conn.connect(timeout=5)
        try:
            conn.subscribe(["CHANNEL_ANSWER", "CUSTOM callcenter::info"])
            conn.add_filter("Event-Name", "CHANNEL_ANSWER")
            fake.kill_clients()
            gevent.sleep(0.1)
            assert conn.wait_connected(timeout=5)
            assert conn.api("status").startswith("UP ")
        finally:
            conn.close()
        assert len(fake.peers) == 2
        replayed = fake.peers[1].received
        assert replayed[0] == b"auth ClueCon\n\n"
        assert replayed[1] == (
            b"event plain BACKGROUND_JOB HEARTBEAT CHANNEL_ANSWER CUSTOM callcenter::info\n\n"
        )
        assert replayed[2] == b"filter Event-Name CHANNEL_ANSWER\n\n"


def test_pending_job_fails_when_the_socket_drops() -> None:
    """FreeSWITCH accepts the bgapi, then goes away before the BACKGROUND_JOB."""
    greeting = b"Content-Type: auth/request\n\n"

    def reply(text: str) -> bytes:
        return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()

    def handle(sock: socket.socket, address: object) -> None:
        sock.sendall(greeting)
        buffer = b""
        while True:
            data = sock.recv(4096)
            if not data:
                return
            buffer += data
            while b"\n\n" in buffer:
                command, buffer = buffer.split(b"\n\n", 1)
                if command.startswith(b"auth "):
                    sock.sendall(reply("+OK accepted"))
                elif command.startswith(b"event "):
                    sock.sendall(reply("+OK event listener enabled plain"))
                elif command.startswith(b"bgapi "):
                    job_uuid = command.split(b"Job-UUID: ")[1].decode()
                    sock.sendall(reply(f"+OK Job-UUID: {job_uuid}")[:-1] +
                                 f"Job-UUID: {job_uuid}\n\n".encode())
                    sock.close()
                    return

    server = gevent.server.StreamServer(("127.0.0.1", 0), handle)
    server.start()
    try:
        conn = connection(server.server_port)
        job = conn.bgapi("originate loopback/esl_echo &park()")
        with pytest.raises(ESLDisconnected):
            job.get(timeout=5)
        with pytest.raises(ESLDisconnected):
            conn.api("status")
        conn.close()
    finally:
        server.stop()
