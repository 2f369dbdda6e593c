"""Outbound socket modes: static (not async) runs sendmsg inline; without `full` only the
session commands are accepted (ESL_PROTOCOL.md §10.3)."""

from __future__ import annotations

import socket

from simswitch.scenario import parse_scenario
from simswitch.switch import SimSwitch
from tests.simswitch.client import Client
from tests.simswitch.replay import EVENT_TYPES, Connection


def test_static_single_channel_socket() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    port = listener.getsockname()[1]
    scenario = parse_scenario({"dialplan": {"7000": [f"socket 127.0.0.1:{port}"]}})
    sim = SimSwitch(port=0, scenario=scenario, speed=10.0).start()
    inbound = Client(sim.port)
    try:
        inbound.api("simswitch_inbound 7000 15550009")
        sock, _ = listener.accept()
        conn = Connection(sock)
        sock.sendall(b"connect\n\n")
        assert conn.wait_frames(1, 5)
        data = conn.frames[0]
        assert data.headers.get("Socket-Mode") == "static"
        assert data.headers.get("Control") == "single-channel"
        sock.sendall(b"api status\n\n")
        assert conn.wait_frames(2, 5)
        assert conn.frames[1].headers.get("Reply-Text") == "-ERR command not found"
        sock.sendall(b"myevents\n\n")
        assert conn.wait_frames(3, 5)
        sock.sendall(b"sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
                     b"execute-app-arg: silence_stream://2000\n\n")
        assert conn.wait_frames(4, 5)
        replied_at = sim.switch.clock.now_us()  # simulated time when +OK arrived
        assert conn.frames[3].headers.get("Reply-Text") == "+OK"
        conn.wait_frames(7, 5)
        events = {f.event.get("Event-Name"): f.event for f in conn.frames[4:]
                  if f.content_type in EVENT_TYPES and f.event is not None}
        finished = int(events["CHANNEL_EXECUTE_COMPLETE"].get("Event-Date-Timestamp") or 0)
        started = int(events["CHANNEL_EXECUTE"].get("Event-Date-Timestamp") or 0)
        assert finished - started >= 1_900_000      # the 2 s of silence were played...
        assert finished <= replied_at               # ...before the +OK was sent
        conn.close()
    finally:
        inbound.close()
        sim.stop()
        listener.close()


def _outbound_call(dialplan: list[str]) -> tuple[SimSwitch, Client, Connection, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    port = listener.getsockname()[1]
    steps = [step.replace("PORT", str(port)) for step in dialplan]
    sim = SimSwitch(port=0, scenario=parse_scenario({"dialplan": {"7001": steps}}),
                    speed=10.0).start()
    inbound = Client(sim.port)
    inbound.command("event plain CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE")
    inbound.api("simswitch_inbound 7001 15550010")
    sock, _ = listener.accept()
    listener.close()
    conn = Connection(sock)
    sock.sendall(b"connect\n\n")
    assert conn.wait_frames(1, 5)
    return sim, inbound, conn, sock


def test_hangup_without_linger_says_goodbye_and_closes() -> None:
    sim, inbound, conn, sock = _outbound_call(["socket 127.0.0.1:PORT async full"])
    try:
        uuid = conn.frames[0].headers.get("Unique-ID")
        sock.sendall(b"myevents\n\n")
        assert conn.wait_frames(2, 5)
        inbound.api(f"uuid_kill {uuid}")
        conn.wait_frames(99, 3)
        assert conn.closed
        notice = conn.frames[-1]
        assert notice.content_type == "text/disconnect-notice"
        assert notice.headers.get("Controlled-Session-UUID") == uuid
        assert notice.headers.get("Content-Disposition") == "disconnect"
        assert notice.body.startswith(b"Disconnected, goodbye.")
    finally:
        conn.close()
        inbound.close()
        sim.stop()


def test_resume_continues_the_dialplan_after_the_socket() -> None:
    sim, inbound, conn, sock = _outbound_call(
        ["socket 127.0.0.1:PORT async full", "playback silence_stream://300", "hangup"])
    try:
        uuid = conn.frames[0].headers.get("Unique-ID")
        sock.sendall(b"resume\n\nexit\n\n")
        conn.wait_frames(99, 3)
        assert conn.frames[1].headers.get("Reply-Text") == "+OK"
        assert conn.frames[2].headers.get("Reply-Text") == "+OK bye"
        inbound.wait_event(lambda e: e.get("Event-Name") == "CHANNEL_EXECUTE"
                           and e.get("Application") == "playback"
                           and e.get("Unique-ID") == uuid)
        done = inbound.wait_event(lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE")
        assert done.get("variable_last_app") == "hangup"
    finally:
        conn.close()
        inbound.close()
        sim.stop()
