"""Outbound-socket mode: FreeSWITCH's `socket` app connects to us, one TCP socket per call.

`OutboundServer` accepts, wraps each socket in an `OutboundCall` (sends `connect`, reads the
CHANNEL_DATA reply, optionally `myevents` and `linger`), asks `handler_factory(call)` for a
handler and runs `handler.run()` in that connection's greenlet. When `run()` returns the
call is closed cleanly: `exit` (FreeSWITCH answers `+OK bye`, the disconnect notice, and
closes) if the socket is still open, then the socket is closed (ESL_PROTOCOL.md §9-§11).
"""

from __future__ import annotations

import logging
import socket
import time
import uuid as uuid_module
from collections.abc import Callable
from typing import Any, Protocol

import gevent
import gevent.event
import gevent.queue
import gevent.server

from engine.esl import commands
from engine.esl.errors import ESLCallGone, ESLError
from engine.esl.event import Event
from engine.esl.parser import Frame
from engine.esl.session import ESLSession

__all__ = ["CallHandler", "OutboundCall", "OutboundServer"]

log = logging.getLogger(__name__)


class CallHandler(Protocol):
    """What `handler_factory(call)` returns: one object per call."""

    def run(self) -> Any:
        """Drive the call; returning ends it (the socket is closed)."""


class OutboundCall(ESLSession):
    """One channel controlled over an outbound socket.

    State changed by the reader greenlet: `hungup`, `hangup_cause`, the DTMF queue
    `dtmf` (one digit per item) and the results of `execute()`.
    """

    def __init__(self, sock: socket.socket, address: Any = None) -> None:
        super().__init__(name=f"outbound {address}")
        self.address = address
        self._pending_sock: socket.socket | None = sock
        self.channel_data: Event | None = None
        self.uuid: str | None = None
        self.hungup = False
        self.hangup_cause: str | None = None
        self.dtmf: gevent.queue.Queue = gevent.queue.Queue()
        self._executions: dict[str, gevent.event.AsyncResult] = {}
        self._waiters: list[tuple[str, gevent.event.AsyncResult]] = []
        self._last: dict[str, Event] = {}
        self.gone = gevent.event.Event()  # set once the channel or the socket is gone

    # -- setup ----------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> Event:
        """Send `connect` and parse the channel data; returns the CHANNEL_DATA event."""
        sock, self._pending_sock = self._pending_sock, None
        if sock is None:
            raise ESLError("OutboundCall.start() called twice")
        self._start(sock)
        reply = self.command(commands.connect(), timeout)
        data = reply.event
        if not reply.is_channel_data or data is None:
            raise ESLError(f"connect reply is not channel data: {reply!r}")
        self.channel_data = data
        self.uuid = data.uuid or data.get("variable_uuid")
        self.name = f"outbound {self.uuid}"
        return data

    def get_var(self, name: str, default: str | None = None) -> str | None:
        """A channel variable as it was at `connect` (use `api uuid_getvar` for fresh ones)."""
        if self.channel_data is None:
            return default
        return self.channel_data.get(f"variable_{name}", default)

    def myevents(self, fmt: str | None = None) -> str:
        """`myevents [json|xml]`: receive this channel's events."""
        return self.checked(commands.myevents(fmt=fmt))

    def linger(self, seconds: int | None = None) -> str:
        """`linger [N]`: keep the socket after hangup so HANGUP_COMPLETE is delivered."""
        return self.checked(commands.linger(seconds))

    # -- channel control ------------------------------------------------------------------
    def execute_async(
        self,
        app: str,
        arg: str | None = None,
        *,
        event_lock: bool = True,
        event_uuid: str | None = None,
        loops: int | None = None,
        in_body: bool | None = None,
    ) -> gevent.event.AsyncResult:
        """Queue `app` on the channel; the result resolves with its CHANNEL_EXECUTE_COMPLETE.

        Completion is matched on `Application-UUID` = the `Event-UUID` we send (§11.5), so
        two runs of the same app are never confused. `in_body` forces (or forbids) the
        body form of the argument (§11.3); by default long or multi-line arguments use it.
        """
        if self.hungup:
            raise ESLCallGone(f"call {self.uuid} is gone; cannot execute {app}")
        event_uuid = event_uuid or str(uuid_module.uuid4())
        result = self._executions[event_uuid] = gevent.event.AsyncResult()
        data = commands.execute(
            app, arg, event_lock=event_lock, event_uuid=event_uuid, loops=loops, in_body=in_body
        )
        try:
            self.checked(data)
        except BaseException:
            self._executions.pop(event_uuid, None)
            raise
        return result

    def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        event_lock: bool = True,
        wait: bool = True,
        timeout: float | None = None,
        event_uuid: str | None = None,
        loops: int | None = None,
        in_body: bool | None = None,
    ) -> Event | None:
        """Run `app arg` and (if `wait`) return its CHANNEL_EXECUTE_COMPLETE event.

        Raises ESLCallGone if the call ends first, TimeoutError after `timeout` seconds.
        """
        result = self.execute_async(
            app, arg, event_lock=event_lock, event_uuid=event_uuid, loops=loops, in_body=in_body
        )
        if not wait:
            return None
        try:
            return result.get(timeout=timeout)
        except gevent.Timeout:
            raise TimeoutError(f"call {self.uuid}: {app} not complete in {timeout}s") from None

    def resume(self) -> str:
        """`resume`: when our socket closes the channel goes on with its dialplan
        (without it FreeSWITCH hangs the channel up when the socket closes)."""
        return self.checked(commands.resume())

    def hangup(self, cause: str = "NORMAL_CLEARING") -> str:
        """`sendmsg` `call-command: hangup` with `hangup-cause`."""
        return self.checked(commands.hangup(cause))

    def wait_for(
        self, event_name: str, timeout: float | None = None, *, include_past: bool = False
    ) -> Event:
        """Wait for this channel's next `event_name` (or the last one seen, if include_past)."""
        if include_past and event_name in self._last:
            return self._last[event_name]
        waiter = gevent.event.AsyncResult()
        self._waiters.append((event_name, waiter))
        try:
            return waiter.get(timeout=timeout)
        except gevent.Timeout:
            raise TimeoutError(f"call {self.uuid}: no {event_name} in {timeout}s") from None
        finally:
            if (event_name, waiter) in self._waiters:
                self._waiters.remove((event_name, waiter))

    def read_dtmf(self, count: int, timeout: float, terminators: str = "") -> str:
        """Up to `count` digits from the DTMF queue within `timeout` seconds in total.

        Stops early at a terminator (not included) or when the call is gone.
        """
        digits = ""
        deadline = time.monotonic() + timeout
        while len(digits) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                digit = self.dtmf.get(timeout=remaining)
            except gevent.queue.Empty:
                break
            if digit is None:  # the call is gone
                break
            if digit in terminators:
                break
            digits += digit
        return digits

    # -- reader hooks ---------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        name = event.name or ""
        if self.uuid is not None and event.uuid not in (None, self.uuid):
            return  # `event` subscriptions on a full socket may bring other channels
        self._last[name] = event
        if name == "CHANNEL_EXECUTE_COMPLETE":
            result = self._executions.pop(event.get("Application-UUID") or "", None)
            if result is not None:
                result.set(event)
        elif name == "DTMF":
            self.dtmf.put(event.get("DTMF-Digit") or "")
        elif name == "CHANNEL_HANGUP":
            self.hungup = True
            self.hangup_cause = event.get("Hangup-Cause")
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self.hungup = True
            self.hangup_cause = self.hangup_cause or event.get("Hangup-Cause")
            self._channel_gone("hung up")
        for waiter_name, waiter in list(self._waiters):
            if waiter_name == name:
                waiter.set(event)

    def _on_disconnect_notice(self, frame: Frame) -> None:
        self.hungup = True
        if not self.lingering:
            self._channel_gone("socket disconnected")

    def _on_connection_lost(self) -> None:
        self._channel_gone("socket closed")

    def _channel_gone(self, why: str) -> None:
        failure = ESLCallGone(f"call {self.uuid}: {why}")
        executions, self._executions = self._executions, {}
        for result in executions.values():
            result.set_exception(failure)
        for _, waiter in self._waiters:
            waiter.set_exception(failure)
        if not self.gone.is_set():
            self.gone.set()
            self.dtmf.put(None)

    def close(self) -> None:
        """`exit` if the socket is still open (FS then closes it), then close our end.

        A live channel is hung up by FreeSWITCH at that point unless `resume()` was sent.
        """
        self.exit_and_close()


class OutboundServer:
    """Accepts FreeSWITCH `socket` connections; one `OutboundCall` + handler per call."""

    def __init__(
        self,
        host: str,
        port: int,
        handler_factory: Callable[[OutboundCall], CallHandler],
        *,
        myevents: bool = True,
        fmt: str | None = None,
        linger: bool | int = True,
        connect_timeout: float = 10.0,
    ) -> None:
        self.handler_factory = handler_factory
        self.myevents = myevents
        self.fmt = fmt
        self.linger = linger
        self.connect_timeout = connect_timeout
        self.calls: dict[str, OutboundCall] = {}
        self.server = gevent.server.StreamServer((host, port), self._handle)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return int(self.server.server_port)

    def start(self) -> None:
        """Start listening (non-blocking)."""
        self.server.start()

    def stop_accepting(self) -> None:
        """Refuse new calls (the switch's dialplan falls back); live calls go on."""
        self.server.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting and close every live call."""
        self.server.stop(timeout=timeout)
        for call in list(self.calls.values()):
            call.close()

    def _handle(self, sock: socket.socket, address: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        call = OutboundCall(sock, address)
        try:
            call.start(self.connect_timeout)
            if self.myevents:
                call.myevents(self.fmt)
            if self.linger is not False:
                call.linger(None if self.linger is True else int(self.linger))
        except (ESLError, TimeoutError):
            log.exception("outbound %s: setup failed", address)
            call.close()
            return
        uuid = call.uuid or str(address)
        self.calls[uuid] = call
        try:
            self.handler_factory(call).run()
        except ESLCallGone as exc:
            log.info("outbound call %s ended during its handler: %s", uuid, exc)
        except Exception:
            log.exception("outbound call %s: handler failed", uuid)
        finally:
            self.calls.pop(uuid, None)
            call.close()
