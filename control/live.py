"""Server-sent events: the engine's domain events, filtered per viewer, plus periodic snapshots.

With the engine running, events come from one ``EngineAPI.subscribe()`` per app, fanned out
by ``LiveHub``; without it the stream still sends the store's snapshot every few seconds so
pages stay current.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, current_app, stream_with_context

from engine.api import DomainEvent

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0


def sse(event: str, data: Any) -> str:
    """One SSE frame."""
    return f"event: {event}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n"


class LiveHub:
    """One subscription to the engine, fanned out to every open SSE stream.

    Each stream gets its own bounded queue and leaves cleanly when the browser goes away,
    so the engine's bus sees one subscriber however many pages are open.
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._listeners: set[queue.Queue[DomainEvent]] = set()
        self._lock = threading.Lock()
        self._running = False

    def listen(self) -> queue.Queue[DomainEvent]:
        listener: queue.Queue[DomainEvent] = queue.Queue(maxsize=1000)
        with self._lock:
            self._listeners.add(listener)
            if not self._running:
                self._running = True
                threading.Thread(target=self._pump, daemon=True, name="sse-hub").start()
        return listener

    def leave(self, listener: queue.Queue[DomainEvent]) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def _pump(self) -> None:
        try:
            for event in self.engine.subscribe():
                with self._lock:
                    listeners = list(self._listeners)
                for listener in listeners:
                    _offer(listener, event)
        except Exception:  # noqa: BLE001 - the hub restarts on the next listener
            log.exception("engine event feed failed")
        finally:
            with self._lock:
                self._running = False


def _offer(listener: queue.Queue[DomainEvent], event: DomainEvent) -> None:
    # A slow page loses its oldest events rather than holding up the others.
    while True:
        try:
            listener.put_nowait(event)
            return
        except queue.Full:
            try:
                listener.get_nowait()
            except queue.Empty:
                pass


def hub() -> LiveHub | None:
    engine = current_app.config.get("FSCC_ENGINE")
    if engine is None:
        return None
    found: LiveHub | None = current_app.extensions.get("fscc_live")
    if found is None or found.engine is not engine:
        found = current_app.extensions["fscc_live"] = LiveHub(engine)
    return found


def stream(snapshot: Callable[[], dict[str, Any]], want: Callable[[DomainEvent], dict[str, Any] | None],
           *, every: float = 5.0, limit: float | None = None) -> Response:
    """An SSE response: a ``snapshot`` first and every ``every`` seconds, and each wanted event.

    ``want`` returns the data to send for an event, or None to skip it. ``limit`` ends the
    stream after that many seconds (tests); browsers reconnect by themselves.
    """
    live = hub()

    def generate() -> Iterator[str]:
        listener = live.listen() if live is not None else None
        started = last_snapshot = time.monotonic()
        try:
            yield "retry: 2000\n\n"
            yield sse("snapshot", snapshot())
            while limit is None or time.monotonic() - started < limit:
                wait = min(every, KEEPALIVE_SECONDS)
                if limit is not None:
                    wait = max(0.05, min(wait, limit - (time.monotonic() - started)))
                event = _next(listener, wait)
                if event is not None:
                    data = want(event)
                    if data is not None:
                        yield sse(event.kind, data)
                if time.monotonic() - last_snapshot >= every:
                    last_snapshot = time.monotonic()
                    yield sse("snapshot", snapshot())
        finally:
            if live is not None and listener is not None:
                live.leave(listener)

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _next(listener: queue.Queue[DomainEvent] | None, timeout: float) -> DomainEvent | None:
    if listener is None:
        time.sleep(timeout)
        return None
    try:
        return listener.get(timeout=timeout)
    except queue.Empty:
        return None
