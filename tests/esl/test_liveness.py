"""A node that goes quiet or leaves a command unanswered is down at once, and is reconnected
with a bounded backoff."""

from __future__ import annotations

import socket

import gevent
import gevent.server
import pytest

from engine.clock import ManualClock, sleep_on
from engine.esl.connection import InboundConnection, next_delay
from engine.esl.errors import ESLNotSent


def test_reconnect_backoff_doubles_to_at_most_one_second() -> None:
    delays, delay = [], 0.0
    for _ in range(7):
        delay = next_delay(delay, (0.1, 1.0))
        delays.append(delay)
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]


def reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


class MuteSwitch:
    """Authenticates and subscribes, then answers nothing while ``mute`` (a hung switch);
    answers `api` with `+OK` otherwise. Counts the connections it accepted."""

    def __init__(self) -> None:
        self.mute = False
        self.accepted = 0
        self.clients: list[socket.socket] = []
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)

    def __enter__(self) -> MuteSwitch:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(timeout=1)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def _handle(self, sock: socket.socket, address: object) -> None:
        self.accepted += 1
        self.clients.append(sock)
        sock.sendall(b"Content-Type: auth/request\n\n")
        buffer = b""
        while True:
            try:
                data = sock.recv(4096)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b"\n\n" in buffer:
                command, buffer = buffer.split(b"\n\n", 1)
                if command.startswith(b"auth "):
                    sock.sendall(reply("+OK accepted"))
                elif command.startswith(b"event "):
                    sock.sendall(reply("+OK event listener enabled plain"))
                elif not self.mute:
                    sock.sendall(b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n")


def test_a_silent_switch_is_dropped_and_reconnected() -> None:
    with MuteSwitch() as switch:
        conn = InboundConnection("127.0.0.1", switch.port, "ClueCon", heartbeat_timeout=0.4, backoff=(0.05, 0.2))
        reconnected = gevent.event.Event()
        conn.up_listeners.append(reconnected.set)
        conn.connect(timeout=5)
        try:
            assert reconnected.wait(5) and conn.alive and conn.connects == 1
            reconnected.clear()
            gevent.sleep(0.5)  # quiet but answering the probe: still up
            assert conn.connects == 1 and conn.alive
            switch.mute = True
            while conn.alive:  # no frame for the heartbeat timeout: down, no matter the socket
                gevent.sleep(0.02)
            switch.mute = False
            assert reconnected.wait(5) and conn.connects == 2 and switch.accepted == 2
        finally:
            conn.close()


def test_a_command_timeout_marks_the_node_down_and_a_down_node_sends_nothing() -> None:
    with MuteSwitch() as switch:
        # first reconnect try 0.5 s after the loss: the down node is seen refusing commands
        conn = InboundConnection("127.0.0.1", switch.port, "ClueCon", backoff=(0.5, 1.0))
        conn.connect(timeout=5)
        try:
            switch.mute = True
            with pytest.raises(TimeoutError):
                conn.api("status", timeout=0.2)
            assert not conn.alive  # at once, not after the heartbeat timeout
            while conn.connected:  # its reader sees the socket we shut
                gevent.sleep(0.01)
            with pytest.raises(ESLNotSent):
                conn.api("status", timeout=1)
            switch.mute = False
            while conn.connects < 2:
                gevent.sleep(0.01)
            assert conn.alive and conn.api("status", timeout=5) == "+OK\n"
        finally:
            conn.close()


def test_reconnect_tries_wait_on_the_engines_clock() -> None:
    clock = ManualClock()
    with MuteSwitch() as switch:
        conn = InboundConnection("127.0.0.1", switch.port, "ClueCon", backoff=(0.1, 1.0),
                                 sleep=lambda seconds: sleep_on(clock, seconds))
        conn.connect(timeout=5)
        try:
            switch.clients[0].shutdown(socket.SHUT_RDWR)  # the switch goes away and comes back
            while conn.connected:
                gevent.sleep(0.01)
            gevent.sleep(0.2)
            assert switch.accepted == 1  # no try before the clock moves
            clock.advance(0.09)
            gevent.sleep(0.2)
            assert switch.accepted == 1
            clock.advance(0.01)  # the first try is due 0.1 s after the loss
            while conn.connects < 2:
                gevent.sleep(0.01)
            assert switch.accepted == 2 and conn.alive
        finally:
            conn.close()
