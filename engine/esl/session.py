"""The gevent half of an ESL socket, shared by inbound connections and outbound calls.

One reader greenlet moves bytes from the socket into `ESLParser` and routes frames: replies
resolve the oldest waiting command (FreeSWITCH answers strictly in order, §2.3),
BACKGROUND_JOB events resolve their `JobFuture`, and every event is queued for one
dispatcher greenlet that runs the handlers in arrival order. The reader never runs a
handler, so a slow handler can delay later handlers but never a command reply.
"""

from __future__ import annotations

import collections
import logging
import socket
import uuid as uuid_module
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
import gevent.lock
import gevent.queue

from engine.esl import commands
from engine.esl.errors import ESLCommandError, ESLDisconnected, ESLError, ESLNotSent
from engine.esl.event import Event
from engine.esl.parser import (
    API_RESPONSE,
    COMMAND_REPLY,
    DISCONNECT_NOTICE,
    LOG_DATA,
    ESLParser,
    Frame,
)

__all__ = ["ESLSession", "JobFuture", "Handler"]

log = logging.getLogger(__name__)

Handler = Callable[[Event], Any]
_READ_SIZE = 65536


class JobFuture(gevent.event.AsyncResult):
    """Result of a `bgapi`: resolved with the BACKGROUND_JOB body (`+OK <uuid>\\n`, ...).

    `get(timeout=...)` returns the body text; `.event` holds the whole BACKGROUND_JOB.
    """

    def __init__(self, job_uuid: str) -> None:
        super().__init__()
        self.job_uuid = job_uuid
        self.event: Event | None = None

    def get(self, block: bool = True, timeout: float | None = None) -> str:
        """The job's body; TimeoutError if it is not done within `timeout` seconds."""
        try:
            return str(super().get(block=block, timeout=timeout))
        except gevent.Timeout:
            raise TimeoutError(f"job {self.job_uuid} not done within {timeout}s") from None


class ESLSession:
    """Socket + parser + reply FIFO + event dispatch; subclasses add the mode's behaviour."""

    def __init__(self, name: str = "fs") -> None:
        self.name = name
        self._sock: socket.socket | None = None
        self._parser = ESLParser()
        self._waiting: collections.deque[gevent.event.AsyncResult] = collections.deque()
        self._send_lock = gevent.lock.Semaphore()
        self._jobs: dict[str, JobFuture] = {}
        self._dispatch_queue: gevent.queue.Queue = gevent.queue.Queue()
        self._reader: gevent.Greenlet | None = None
        self._dispatcher: gevent.Greenlet | None = None
        self._handlers: dict[str, list[Handler]] = {}
        self._uuid_handlers: dict[str, list[Handler]] = {}
        self.lingering = False
        self.closing = False
        self._dropped: socket.socket | None = None  # given up on (a hung peer); down before its reader sees it

    # -- lifecycle ------------------------------------------------------------------------
    def _start(self, sock: socket.socket) -> None:
        self._sock = sock
        self._parser = ESLParser()
        self.lingering = False
        self._reader = gevent.spawn(self._read_loop, sock)
        if self._dispatcher is None or self._dispatcher.dead:
            self._dispatcher = gevent.spawn(self._dispatch_loop)

    @property
    def connected(self) -> bool:
        """True while the socket is open and the reader is running."""
        return self._sock is not None and self._reader is not None and not self._reader.dead

    def _read_loop(self, sock: socket.socket) -> None:
        try:
            while True:
                data = sock.recv(_READ_SIZE)
                if not data:
                    break
                for frame in self._parser.feed(data):
                    self._route(frame)
        except OSError as exc:
            if not self.closing and sock is not self._dropped:  # a socket we gave up on fails this way
                log.warning("esl %s: read failed: %s", self.name, exc)
        except ESLError:
            log.exception("esl %s: protocol error, dropping the connection", self.name)
        finally:
            self._connection_lost(sock)

    def _connection_lost(self, sock: socket.socket) -> None:
        if self._sock is sock:
            self._sock = None
        try:
            sock.close()
        except OSError:
            pass
        failure = ESLDisconnected(f"esl {self.name}: connection closed")
        while self._waiting:
            self._waiting.popleft().set_exception(failure)
        jobs, self._jobs = self._jobs, {}
        for job in jobs.values():
            job.set_exception(failure)
        self._on_connection_lost()

    def _on_connection_lost(self) -> None:
        """Hook: the socket is gone (reconnect, mark the call gone, ...)."""

    def _on_command_timeout(self, timeout: float | None) -> None:
        """Hook: a command got no reply within ``timeout`` (the peer may be hung)."""

    def close(self) -> None:
        """Close the socket now (no `exit`); waiting commands fail with ESLDisconnected."""
        self.closing = True
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self._dispatcher is not None:
            self._dispatch_queue.put(None)
            self._dispatcher.join(timeout=5)

    def exit_and_close(self) -> None:
        """Send `exit` while the socket is open (FreeSWITCH answers and closes), then close."""
        if self.connected:
            try:
                self.command(commands.exit_(), timeout=2)
            except (ESLError, TimeoutError):
                pass
        ESLSession.close(self)

    # -- commands -------------------------------------------------------------------------
    def command(self, data: bytes, timeout: float | None = 30.0) -> Frame:
        """Send one command (bytes from engine.esl.commands) and wait for its reply frame.

        On timeout the waiter stays queued, so the late reply is consumed by it and the
        FIFO pairing of later commands with their replies stays right.
        """
        waiter = gevent.event.AsyncResult()
        with self._send_lock:
            sock = self._sock
            if sock is None:
                raise ESLNotSent(f"esl {self.name}: not connected")
            # Queue the waiter before sending: FreeSWITCH may answer before sendall returns.
            self._waiting.append(waiter)
            try:
                sock.sendall(data)
            except OSError as exc:
                self._waiting.remove(waiter)
                raise ESLNotSent(f"esl {self.name}: send failed: {exc}") from exc
        try:
            return waiter.get(timeout=timeout)
        except gevent.Timeout:
            self._on_command_timeout(timeout)
            raise TimeoutError(f"esl {self.name}: no reply within {timeout}s") from None

    def checked(self, data: bytes, timeout: float | None = 30.0) -> str:
        """Send a command whose reply must start with `+OK`; return the reply text."""
        reply = self.command(data, timeout).reply_text or ""
        if not reply.startswith("+OK"):
            raise ESLCommandError(data.split(b"\n", 1)[0].decode("utf-8", "replace"), reply)
        return reply

    def api(self, command: str, timeout: float | None = 30.0) -> str:
        """Run `api <command>` and return the body text (`-ERR ...` bodies are returned too)."""
        return self.command(commands.api(command), timeout).text

    def bgapi(self, command: str, job_uuid: str | None = None, timeout: float = 30.0) -> JobFuture:
        """Run `bgapi <command>`; the future resolves with the BACKGROUND_JOB body.

        We always send a `Job-UUID` (FreeSWITCH honours it): the job can then be registered
        before the reply, so a BACKGROUND_JOB that arrives in the same read is not missed.
        """
        job_uuid = job_uuid or str(uuid_module.uuid4())
        future = self._jobs[job_uuid] = JobFuture(job_uuid)
        try:
            self.checked(commands.bgapi(command, job_uuid), timeout)
        except BaseException:
            self._jobs.pop(job_uuid, None)
            raise
        return future

    # -- routing (reader greenlet: keep it cheap) ---------------------------------------------
    def _route(self, frame: Frame) -> None:
        content_type = frame.content_type
        if content_type in (COMMAND_REPLY, API_RESPONSE):
            if self._waiting:
                self._waiting.popleft().set(frame)
            else:
                log.warning("esl %s: reply with no command waiting: %r", self.name, frame)
            return
        event = frame.event
        if event is not None:
            if event.name == "BACKGROUND_JOB":
                job = self._jobs.pop(event.job_uuid or "", None)
                if job is not None:
                    job.event = event
                    job.set(event.body)
            self._on_event(event)
            self._dispatch_queue.put(event)
        elif content_type == DISCONNECT_NOTICE:
            self.lingering = frame.headers.get("Content-Disposition") == "linger"
            self._on_disconnect_notice(frame)
        elif content_type == LOG_DATA:
            self._on_log(frame)
        else:
            self._on_other_frame(frame)

    def _on_event(self, event: Event) -> None:
        """Hook (reader greenlet): update state that must be current before handlers run."""

    def _on_disconnect_notice(self, frame: Frame) -> None:
        """Hook: FreeSWITCH says it is closing (or lingering)."""

    def _on_log(self, frame: Frame) -> None:
        log.debug("esl %s: %s", self.name, frame.text.rstrip("\n"))

    def _on_other_frame(self, frame: Frame) -> None:
        log.warning("esl %s: unexpected frame %r", self.name, frame)

    # -- handlers -------------------------------------------------------------------------
    def on(self, key: str, handler: Handler) -> None:
        """Call `handler(event)` for `key`: an event name, `"CUSTOM sub::class"` or `"*"`."""
        self._handlers.setdefault(key, []).append(handler)

    def off(self, key: str, handler: Handler) -> None:
        """Undo `on(key, handler)`."""
        handlers = self._handlers.get(key, [])
        if handler in handlers:
            handlers.remove(handler)

    def on_uuid(self, uuid: str, handler: Handler) -> None:
        """Call `handler(event)` for every event whose `Unique-ID` is `uuid`."""
        self._uuid_handlers.setdefault(uuid, []).append(handler)

    def off_uuid(self, uuid: str, handler: Handler | None = None) -> None:
        """Remove one handler (or all of them) for `uuid`."""
        if handler is None:
            self._uuid_handlers.pop(uuid, None)
            return
        handlers = self._uuid_handlers.get(uuid, [])
        if handler in handlers:
            handlers.remove(handler)
        if not handlers:
            self._uuid_handlers.pop(uuid, None)

    def _dispatch_loop(self) -> None:
        while True:
            event = self._dispatch_queue.get()
            if event is None:
                return
            key = event.dispatch_key
            targets = list(self._handlers.get(key or "", ()))
            if key != event.name:
                targets.extend(self._handlers.get(event.name or "", ()))
            targets.extend(self._handlers.get("*", ()))
            uuid = event.uuid
            if uuid and uuid in self._uuid_handlers:
                targets.extend(self._uuid_handlers[uuid])
            for handler in targets:
                try:
                    handler(event)
                except Exception:
                    log.exception("esl %s: handler %r failed on %r", self.name, handler, event)
