"""One ESL connection (inbound client or outbound socket), as mod_event_socket runs it.

Commands are processed one at a time; replies and events share one socket, and a lock
keeps events queued while a command (e.g. a blocking `api`) is being answered — the
ordering the real transcripts show (ESL_PROTOCOL.md §2.3).
"""

from __future__ import annotations

import logging
import re
import socket
from collections import deque
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event as Flag
from gevent.lock import Semaphore

from simswitch import commands, wire
from simswitch.events import Event

if TYPE_CHECKING:
    from simswitch.channel import Channel
    from simswitch.switch import Switch

log = logging.getLogger(__name__)

MYEVENTS_TYPES = frozenset(
    "CHANNEL_ANSWER CHANNEL_APPLICATION CHANNEL_BRIDGE CHANNEL_CREATE CHANNEL_DATA "
    "CHANNEL_DESTROY CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP "
    "CHANNEL_HANGUP_COMPLETE CHANNEL_ORIGINATE CHANNEL_UUID CHANNEL_OUTGOING CHANNEL_PARK "
    "CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_STATE CHANNEL_UNBRIDGE CHANNEL_UNPARK "
    "DETECTED_SPEECH DTMF NOTALK TALK".split()
)
_MAX_BODY = 16 * 1024 * 1024


class Filter:
    """One `filter` line: header, value (string or /regex/), positive or negative."""

    __slots__ = ("header", "raw", "negative", "regex", "value")

    def __init__(self, header: str, raw: str) -> None:
        self.header = header
        self.raw = raw
        stripped = raw.lstrip(" ")
        self.negative = stripped.startswith("-")
        value = stripped.lstrip("+-").lstrip(" ")
        self.regex: re.Pattern[str] | None = None
        if value.startswith("/") and len(value) > 1:
            body = value[1:-1] if value.endswith("/") else value[1:]
            try:
                self.regex = re.compile(body)
            except re.error:
                self.regex = None
        self.value = value.lower()

    def matches(self, actual: str) -> bool:
        """Regex search or case-insensitive equality."""
        if self.regex is not None:
            return self.regex.search(actual) is not None
        return actual.lower() == self.value


class ESLSession:
    """A connection speaking the FreeSWITCH side of ESL."""

    def __init__(self, switch: Switch, sock: socket.socket,
                 channel: Channel | None = None, socket_mode: str = "async",
                 control: str = "full") -> None:
        self.switch = switch
        self.sock = sock
        self.channel = channel              # controlled channel (outbound mode)
        self.outbound = channel is not None
        self.socket_mode = socket_mode
        self.control = control
        self.authed = self.outbound
        self.connected = not self.outbound  # outbound: after `connect`
        self.fmt = "plain"
        self.all_events = False
        self.types: set[str] = set()
        self.nixed: set[str] = set()
        self.custom: set[str] = set()
        self.filters: list[Filter] = []
        self.myevents_uuid: str | None = None
        self.linger: int | None = None
        self.log_level: int | None = None
        self.divert = False
        self.closed = False
        self.resume = False
        self._close_after = False
        self._pending: deque[bytes] = deque()
        self._wakeup = Flag()
        self.gone = Flag()                  # set when the connection has closed
        self._lock = Semaphore()
        self._buffer = bytearray()
        self._writer: gevent.Greenlet | None = None

    # -- bus listener -------------------------------------------------------------------------
    def wants(self, name: str, subclass: str | None) -> bool:
        """Subscription check (format-independent)."""
        if self.closed:
            return False
        if name == "CUSTOM":
            return bool(subclass) and (subclass in self.custom or (
                self.all_events and "CUSTOM" not in self.nixed))
        if name in self.types:
            return True
        return self.all_events and name not in self.nixed

    def offer(self, event: Event) -> None:
        """Apply myevents binding and filters, then queue the frame."""
        if self.myevents_uuid is not None and event.get("Unique-ID") != self.myevents_uuid \
                and event.get("Job-Owner-UUID") != self.myevents_uuid:
            return
        if self.filters and not self._passes(event):
            return
        self.queue(event.frame(self.fmt))

    def _passes(self, event: Event) -> bool:
        send = False
        for flt in self.filters:
            actual = event.get(flt.header)
            if actual is None:
                continue
            if flt.negative:
                if flt.matches(actual):
                    return False
            elif not send and flt.matches(actual):
                send = True
        return send

    def queue(self, frame: bytes) -> None:
        """Queue bytes for the writer greenlet."""
        if not self.closed:
            self._pending.append(frame)
            self._wakeup.set()

    def log_line(self, level: int, text: str, file: str, func: str, line: int) -> None:
        """Deliver a log/data frame if this connection asked for logs at `level`."""
        if self.log_level is not None and level <= self.log_level:
            self.queue(wire.log_frame(level, file, func, line, text))

    # -- I/O ------------------------------------------------------------------------------------
    def run(self) -> None:
        """Serve the connection until it closes."""
        self.switch.sessions.append(self)
        self._writer = gevent.spawn(self._write_loop)
        try:
            if not self.outbound:
                self._send(b"Content-Type: auth/request\n\n")
            while not self.closed:
                block = self._read_command()
                if block is None:
                    break
                command, headers, raw_headers, body = block
                with self._lock:
                    self._flush()
                    reply = commands.dispatch(self, command, headers, raw_headers, body)
                    if reply is not None and not self.closed:
                        self._send(reply)
                    self._flush()
                if self._close_after:
                    self.close(notify=True)
        except OSError as exc:
            log.debug("esl connection error: %s", exc)
        finally:
            self.close(notify=False)

    def _read_command(self) -> tuple[str, dict[str, str], list[tuple[str, str]], bytes] | None:
        # `_buffer` is a bytearray consumed from the front in place, so a burst of
        # pipelined commands costs O(total bytes), not O(commands x buffer).
        while True:
            block = _take_block(self._buffer)
            if block is not None:
                command, headers, raw_headers = wire.parse_command(block)
                length = headers.get("content-length")
                body = b""
                if length is not None:
                    size = int(length) if length.strip().isdigit() else -1
                    if size < 0 or size > _MAX_BODY:
                        return None
                    while len(self._buffer) < size:
                        if not self._recv():
                            return None
                    body = bytes(self._buffer[:size])
                    del self._buffer[:size]
                return command, headers, raw_headers, body
            if not self._recv():
                return None

    def _recv(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        self._buffer += data
        return True

    def _send(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def _flush(self) -> None:
        while self._pending and not self.closed:
            chunk = []
            while self._pending:
                chunk.append(self._pending.popleft())
            self._send(b"".join(chunk))

    def _write_loop(self) -> None:
        while not self.closed:
            self._wakeup.wait()
            self._wakeup.clear()
            with self._lock:
                self._flush()

    def send_final(self, frame: bytes) -> None:
        """Write `frame` after everything already queued."""
        with self._lock:
            self._flush()
            self._send(frame)

    def close(self, notify: bool = False) -> None:
        """Close the socket (optionally after the goodbye notice)."""
        if self.closed:
            return
        if notify:
            self.send_final(wire.disconnect_notice(self.channel.uuid if self.channel else None))
        self.closed = True
        self._wakeup.set()
        self.gone.set()
        if self in self.switch.sessions:
            self.switch.sessions.remove(self)
        channel = self.channel
        if channel is not None and self in channel.controllers:
            channel.controllers.remove(self)
            if channel.alive and not self.resume:
                channel.hangup("NORMAL_CLEARING")
            elif channel.alive:
                channel.messages.put(None)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    # -- controlled channel callbacks -------------------------------------------------------
    def channel_hangup(self, channel: Channel) -> None:
        """Controlled channel hung up: without linger, say goodbye and close."""
        if self.linger is None and not self.closed:
            gevent.spawn(self._goodbye_now)

    def _goodbye_now(self) -> None:
        gevent.sleep(0)
        self.close(notify=True)

    def channel_reported(self, channel: Channel) -> None:
        """After HANGUP_COMPLETE: linger notice, then the timed goodbye."""
        if self.linger is None or self.closed:
            return
        self.queue(wire.disconnect_notice(channel.uuid, str(self.linger), channel.name))
        if self.linger >= 0:
            seconds = self.linger
            gevent.spawn(self._linger_then_close, seconds)

    def _linger_then_close(self, seconds: int) -> None:
        gevent.sleep(seconds)
        self.close(notify=True)

    def channel_destroyed(self, channel: Channel) -> None:
        """Nothing more to do: linger timer or client decides the end."""


def _take_block(buffer: bytearray) -> bytes | None:
    """Remove and return the next command block (up to its blank line), or None.

    FreeSWITCH counts LFs and ignores CRs, and skips blank lines before a command.
    """
    start = 0
    while start < len(buffer) and buffer[start] in (10, 13):
        start += 1
    if start:
        del buffer[:start]
    end = buffer.find(b"\n\n")
    cr_end = buffer.find(b"\n\r\n")
    if cr_end >= 0 and (end < 0 or cr_end < end):
        end, skip = cr_end, 3
    else:
        skip = 2
    if end < 0:
        return None
    block = bytes(buffer[:end])
    del buffer[:end + skip]
    return block
