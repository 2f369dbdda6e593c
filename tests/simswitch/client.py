"""Minimal test-side ESL client over `engine.esl.parser` (commands in order, events kept)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import gevent

from engine.esl.event import Event
from engine.esl.parser import Frame
from tests.simswitch.replay import EVENT_TYPES, Connection

EventCheck = Callable[[Event], bool]


class Client:
    """Authenticated inbound connection: `api`, `command`, `wait_event`."""

    def __init__(self, port: int, password: str = "ClueCon", host: str = "127.0.0.1") -> None:
        self.conn = Connection(socket.create_connection((host, port), timeout=10))
        self._replies = 0
        self._read = 0
        self.conn.wait_frames(1, 5)
        self._read = 1
        assert self.command(f"auth {password}") == "+OK accepted"

    def _next_reply(self, timeout: float = 10.0) -> Frame:
        with gevent.Timeout(timeout):
            while True:
                while self._read >= len(self.conn.frames):
                    gevent.sleep(0.002)
                frame = self.conn.frames[self._read]
                self._read += 1
                if frame.content_type not in EVENT_TYPES:
                    return frame

    def command(self, line: str, timeout: float = 10.0) -> str:
        """Send a command; return its Reply-Text."""
        self.conn.sock.sendall(line.encode() + b"\n\n")
        return self._next_reply(timeout).headers.get("Reply-Text", "")

    def api(self, line: str, timeout: float = 10.0) -> str:
        """`api <line>`; return the body."""
        self.conn.sock.sendall(b"api " + line.encode() + b"\n\n")
        return self._next_reply(timeout).text

    def events(self, name: str | None = None) -> list[Event]:
        """Events received so far (optionally only `name`)."""
        out = [f.event for f in self.conn.frames if f.content_type in EVENT_TYPES]
        return [e for e in out if e is not None and (name is None or e.get("Event-Name") == name)]

    def wait_event(self, check: EventCheck, timeout: float = 10.0) -> Event:
        """First event (already received or arriving) for which `check` is true."""
        with gevent.Timeout(timeout):
            while True:
                for event in self.events():
                    if check(event):
                        return event
                gevent.sleep(0.005)

    def close(self) -> None:
        self.conn.close()


def named(name: str, exact: dict[str, str] | None = None, **headers: str) -> EventCheck:
    """Check: Event-Name is `name` and every header matches (keyword underscores → dashes;
    `exact` names are used as given, e.g. variable_* headers)."""
    wanted = {k.replace("_", "-"): v for k, v in headers.items()}
    wanted.update(exact or {})

    def check(event: Event) -> bool:
        if event.get("Event-Name") != name:
            return False
        return all(event.get(k) == v for k, v in wanted.items())
    return check
