"""Inbound ESL connection: the engine dials FreeSWITCH's event socket (ESL_PROTOCOL.md §3).

`InboundConnection` is a `greenswitch.esl.InboundESL` (same host/port/password attributes,
`send()` kept for greenswitch-style callers) whose reading and framing are replaced by
engine.esl's parser and `ESLSession`. It remembers its subscriptions and filters and
replays them after a reconnect, and tracks HEARTBEAT events for liveness.

A node that goes quiet is treated as down at once: after `heartbeat_timeout / 2` without any
frame the connection asks `api status`; with no frame at all for `heartbeat_timeout`, or a
command left unanswered past its timeout, the socket is dropped and reconnecting starts
(backoff doubling from `backoff[0]` to at most `backoff[1]`). `up_listeners` run after every
successful (re)connect.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

import gevent
import gevent.event
from greenswitch.esl import InboundESL

from engine.esl import commands
from engine.esl.errors import (
    ESLAuthError,
    ESLConnectError,
    ESLDisconnected,
    ESLError,
    ESLRejectedError,
)
from engine.esl.event import Event
from engine.esl.parser import AUTH_REQUEST, RUDE_REJECTION, Frame
from engine.esl.session import ESLSession

__all__ = ["InboundConnection"]

log = logging.getLogger(__name__)

# Always subscribed: job results and the 20 s heartbeat that proves the switch is alive.
_BUILTIN_EVENTS = ("BACKGROUND_JOB", "HEARTBEAT")


def next_delay(delay: float, backoff: tuple[float, float]) -> float:
    """The reconnect delay after one that failed: doubled, within ``backoff`` (first, max)."""
    return min(max(delay * 2, backoff[0]), backoff[1])


class InboundConnection(ESLSession, InboundESL):
    """One authenticated inbound socket to a FreeSWITCH node, with reconnect.

    Handlers registered with `on()`/`on_uuid()` survive reconnects. `alive` is False when
    the socket is down or no HEARTBEAT arrived for `heartbeat_timeout` seconds.
    """

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        *,
        name: str = "fs1",
        reconnect: bool = True,
        backoff: tuple[float, float] = (0.1, 1.0),
        heartbeat_timeout: float = 60.0,
        fmt: str = "plain",
        sleep: Callable[[float], None] = gevent.sleep,
    ) -> None:
        InboundESL.__init__(self, host, port, password)
        ESLSession.__init__(self, name)
        if fmt not in commands.FORMATS:
            raise ValueError(f"fmt must be one of {commands.FORMATS}, not {fmt!r}")
        if not 0 < backoff[0] <= backoff[1]:
            raise ValueError(f"backoff must be (first, max) with 0 < first <= max: {backoff}")
        self.reconnect = reconnect
        self.backoff = backoff
        self.heartbeat_timeout = heartbeat_timeout
        self.fmt = fmt
        self._sleep = sleep  # waits between reconnect tries (the engine passes its clock's)
        self.last_heartbeat: float | None = None  # time.monotonic() of the last HEARTBEAT
        self.heartbeat: Event | None = None
        self._events: list[str] = list(_BUILTIN_EVENTS)
        self._filters: list[tuple[str, str]] = []
        self._greeting: gevent.event.AsyncResult = gevent.event.AsyncResult()
        self._reconnector: gevent.Greenlet | None = None
        self._connect_timeout = 5.0
        self._up = False  # authenticated and subscribed; only then does a loss reconnect
        self.last_frame = time.monotonic()  # any frame from the switch proves it is not hung
        self.up_listeners: list[Callable[[], None]] = []  # run (in one greenlet) after each connect
        self.connects = 0  # successful connects, the first one included

    # greenswitch keeps a plain `connected` attribute; ours is computed from the socket.
    @property
    def connected(self) -> bool:
        return ESLSession.connected.fget(self)  # type: ignore[attr-defined]

    @connected.setter
    def connected(self, value: bool) -> None:
        """greenswitch's constructor assigns it; the socket state is what counts."""

    # -- connecting -----------------------------------------------------------------------
    def connect(self, timeout: float = 5.0) -> None:
        """Open, authenticate and subscribe. Raises ESLConnectError, ESLRejectedError,
        ESLAuthError; no automatic reconnect happens for a failure here."""
        self.closing = False
        self._connect_timeout = timeout
        self._open(timeout)

    def _open(self, timeout: float) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as exc:
            raise ESLConnectError(f"esl {self.name}: {self.host}:{self.port}: {exc}") from exc
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._greeting = gevent.event.AsyncResult()
        self._start(sock)
        try:
            greeting: Frame = self._greeting.get(timeout=timeout)
        except gevent.Timeout:
            self._abort()
            raise ESLConnectError(f"esl {self.name}: no auth/request within {timeout}s") from None
        except ESLDisconnected as exc:
            self._abort()
            raise ESLConnectError(f"esl {self.name}: closed before auth/request") from exc
        if greeting.content_type == RUDE_REJECTION:
            self._abort()
            raise ESLRejectedError(f"esl {self.name}: {greeting.text.strip()}")
        try:
            reply = self.command(commands.auth(self.password), timeout).reply_text or ""
        except (ESLDisconnected, TimeoutError) as exc:
            self._abort()
            raise ESLConnectError(f"esl {self.name}: no answer to auth: {exc}") from exc
        if reply != "+OK accepted":
            self._abort()
            raise ESLAuthError(f"esl {self.name}: auth refused: {reply}")
        try:
            self._resubscribe(timeout)
        except (ESLError, TimeoutError):
            self._abort()
            raise
        self._up = True
        self.connects += 1
        self.last_frame = time.monotonic()
        log.info("esl %s: connected to %s:%s", self.name, self.host, self.port)
        gevent.spawn(self._watch, sock)
        if self.up_listeners:
            gevent.spawn(self._notify_up)

    def _notify_up(self) -> None:
        for listener in list(self.up_listeners):
            try:
                listener()
            except Exception:  # one listener's failure must not keep the others from running
                log.exception("esl %s: listener %r failed after connecting", self.name, listener)

    def _watch(self, sock: socket.socket) -> None:
        """Liveness of one socket: probe a quiet switch, drop one that stays silent."""
        while self._sock is sock and not self.closing:
            gevent.sleep(self.heartbeat_timeout / 4)
            silent = time.monotonic() - self.last_frame
            if self._sock is not sock or self.closing or silent < self.heartbeat_timeout / 2:
                continue
            if silent >= self.heartbeat_timeout:
                log.warning("esl %s: nothing heard for %.1fs: node down", self.name, silent)
                self._drop(sock)
                return
            try:  # any reply is a frame; none within the rest of the timeout drops the socket
                self.command(commands.api("status"), timeout=self.heartbeat_timeout - silent)
            except (ESLError, TimeoutError):
                return

    def _drop(self, sock: socket.socket) -> None:
        """Close one socket from our side; its reader then reports the loss (and reconnects)."""
        self._dropped = sock
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _on_command_timeout(self, timeout: float | None) -> None:
        sock = self._sock
        if self._up and sock is not None and not self.closing:
            log.warning("esl %s: no reply within %ss: node down", self.name, timeout)
            self._drop(sock)

    def _resubscribe(self, timeout: float) -> None:
        self.checked(commands.event(self._events, self.fmt), timeout)
        for header, value in self._filters:
            self.checked(commands.filter_(header, value), timeout)

    def _abort(self) -> None:
        closing, self.closing = self.closing, True
        sock = self._sock
        if sock is not None:
            sock.close()
        if self._reader is not None:
            self._reader.join(timeout=1)
        self.closing = closing

    def _route(self, frame: Frame) -> None:
        self.last_frame = time.monotonic()
        if frame.content_type in (AUTH_REQUEST, RUDE_REJECTION):
            self._greeting.set(frame)
            return
        super()._route(frame)

    def _on_connection_lost(self) -> None:
        if not self._greeting.ready():
            self._greeting.set_exception(ESLDisconnected("closed before greeting"))
        was_up, self._up = self._up, False
        if self.closing or not self.reconnect or not was_up:
            return
        if self._reconnector is None or self._reconnector.dead:
            log.warning("esl %s: connection lost, reconnecting", self.name)
            self._reconnector = gevent.spawn(self._reconnect_loop)

    def start(self, timeout: float = 5.0) -> None:
        """Connect in the background, retrying with backoff until it works (or `close()`)."""
        self.closing = False
        self._connect_timeout = timeout
        if self._reconnector is None or self._reconnector.dead:
            self._reconnector = gevent.spawn(self._reconnect_loop, 0.0)

    def _reconnect_loop(self, first_delay: float | None = None) -> None:
        delay = self.backoff[0] if first_delay is None else first_delay
        while not self.closing:
            self._sleep(delay)
            if self.closing:
                return
            try:
                self._open(self._connect_timeout)
                return
            except (ESLError, TimeoutError) as exc:
                log.warning("esl %s: connect failed: %s", self.name, exc)
                delay = next_delay(delay, self.backoff)

    def wait_connected(self, timeout: float) -> bool:
        """Wait until the socket is up again (after a reconnect); True if it is."""
        deadline = time.monotonic() + timeout
        while not self.connected and time.monotonic() < deadline:
            gevent.sleep(0.01)
        return self.connected

    # -- subscriptions --------------------------------------------------------------------
    def subscribe(self, names: Iterable[str] | str, fmt: str | None = None) -> None:
        """`event <fmt> ...`; names may include `"CUSTOM a::b"`. Replayed on reconnect."""
        wanted = [names] if isinstance(names, str) else list(names)
        if fmt is not None:
            if fmt not in commands.FORMATS:
                raise ValueError(f"fmt must be one of {commands.FORMATS}, not {fmt!r}")
            self.fmt = fmt
        data = commands.event(wanted, self.fmt)  # validates names before anything is recorded
        if self.connected:
            self.checked(data)
        # While down, the subscription is only recorded: connect/reconnect sends it.
        self._events.extend(name for name in wanted if name not in self._events)

    def add_filter(self, header: str, value: str) -> None:
        """`filter <header> <value>`; replayed on reconnect. Mind §7: filters also hit jobs."""
        data = commands.filter_(header, value)
        if self.connected:
            self.checked(data)
        self._filters.append((header, value))

    def remove_filter(self, header: str, value: str | None = None) -> None:
        """`filter delete <header> [<value>]`."""
        data = commands.filter_delete(header, value)
        if self.connected:
            self.checked(data)
        self._filters = [
            (h, v) for h, v in self._filters if not (h == header and value in (None, v))
        ]

    # -- liveness -------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if event.name == "HEARTBEAT":
            self.last_heartbeat = time.monotonic()
            self.heartbeat = event

    @property
    def alive(self) -> bool:
        """Authenticated and subscribed, and some frame heard within `heartbeat_timeout`."""
        if not self.connected or not self._up or self._sock is self._dropped:
            return False
        return time.monotonic() - self.last_frame < self.heartbeat_timeout

    # -- closing and greenswitch compatibility ---------------------------------------------
    def close(self) -> None:
        """Send `exit` if connected, then close; no reconnect afterwards."""
        self.closing = True
        if self._reconnector is not None:
            self._reconnector.kill(block=False)
        self.exit_and_close()

    def stop(self) -> None:
        """greenswitch name for `close()`."""
        self.close()

    def send(self, data: str) -> Any:
        """greenswitch-style `send("api status")`: returns the reply Frame."""
        return self.command((data + "\n\n").encode("utf-8"))

    def register_handle(self, name: str, handler: Any) -> None:
        """greenswitch-style registration; same as `on()`."""
        self.on(name, handler)

    def unregister_handle(self, name: str, handler: Any) -> None:
        """greenswitch-style removal; same as `off()`."""
        self.off(name, handler)
