"""Server-sent events: the engine's domain events, filtered per viewer, plus periodic snapshots.

With the engine running, events come from ``EngineAPI.subscribe()``; without it the stream
still sends the store's snapshot every few seconds so pages stay current.
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


class EventFeed:
    """Reads an engine subscription with a timeout, whatever its shape.

    The engine's bus subscription has ``get(timeout)``; any other iterator is pumped by a
    helper thread (a greenlet under gevent) into a queue.
    """

    def __init__(self, engine: Any) -> None:
        self._subscription = engine.subscribe() if engine is not None else None
        self._queue: queue.Queue[DomainEvent | None] | None = None
        self._stopped = threading.Event()
        if self._subscription is not None and not hasattr(self._subscription, "get"):
            self._queue = queue.Queue(maxsize=1000)
            threading.Thread(target=self._pump, daemon=True, name="sse-pump").start()

    def _pump(self) -> None:
        assert self._queue is not None and self._subscription is not None
        try:
            for event in self._subscription:
                if self._stopped.is_set():
                    return
                try:
                    self._queue.put_nowait(event)
                except queue.Full:
                    log.warning("sse feed full; dropping event kind=%s", event.kind)
        finally:
            self._queue.put(None)

    def get(self, timeout: float) -> DomainEvent | None:
        if self._subscription is None:
            time.sleep(timeout)
            return None
        if self._queue is None:
            event: DomainEvent | None = self._subscription.get(timeout=timeout)
            return event
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._stopped.set()
        close = getattr(self._subscription, "close", None)
        if close is not None and self._queue is None:
            close()


def stream(snapshot: Callable[[], dict[str, Any]], want: Callable[[DomainEvent], dict[str, Any] | None],
           *, every: float = 5.0, limit: float | None = None) -> Response:
    """An SSE response: a ``snapshot`` first and every ``every`` seconds, and each wanted event.

    ``want`` returns the data to send for an event, or None to skip it. ``limit`` ends the
    stream after that many seconds (tests); browsers reconnect by themselves.
    """
    engine = current_app.config.get("FSCC_ENGINE")

    def generate() -> Iterator[str]:
        feed = EventFeed(engine)
        started = last_snapshot = time.monotonic()
        try:
            yield "retry: 2000\n\n"
            yield sse("snapshot", snapshot())
            while limit is None or time.monotonic() - started < limit:
                wait = min(every, KEEPALIVE_SECONDS)
                if limit is not None:
                    wait = max(0.05, min(wait, limit - (time.monotonic() - started)))
                event = feed.get(timeout=wait)
                if event is not None:
                    data = want(event)
                    if data is not None:
                        yield sse(event.kind, data)
                if time.monotonic() - last_snapshot >= every:
                    last_snapshot = time.monotonic()
                    yield sse("snapshot", snapshot())
        finally:
            feed.close()

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
