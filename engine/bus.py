"""The engine's internal pub/sub of ``DomainEvent`` over gevent queues.

Each subscriber gets its own bounded queue; a slow subscriber loses its oldest events
(counted in ``dropped``) instead of blocking the publisher, which runs on the ESL reader.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from gevent.queue import Empty, Full, Queue

from engine.api import DomainEvent

log = logging.getLogger(__name__)


class Subscription:
    """One subscriber's queue; iterate it, or ``get(timeout)``; ``close`` to leave."""

    def __init__(self, bus: EventBus, kinds: frozenset[str] | None, maxsize: int) -> None:
        self._bus = bus
        self.kinds = kinds
        self.queue: Queue[DomainEvent | None] = Queue(maxsize=maxsize)
        self.dropped = 0

    def wants(self, event: DomainEvent) -> bool:
        return self.kinds is None or event.kind in self.kinds or event.kind.split(".")[0] in self.kinds

    def offer(self, event: DomainEvent) -> None:
        while True:
            try:
                self.queue.put_nowait(event)
                return
            except Full:
                try:
                    self.queue.get_nowait()
                    self.dropped += 1
                except Empty:
                    pass

    def get(self, timeout: float | None = None) -> DomainEvent | None:
        """Next event, or None on timeout or after ``close``."""
        try:
            return self.queue.get(timeout=timeout)
        except Empty:
            return None

    def __iter__(self) -> Iterator[DomainEvent]:
        while True:
            event = self.queue.get()
            if event is None:
                return
            yield event

    def close(self) -> None:
        self._bus.unsubscribe(self)
        self.offer_end()

    def offer_end(self) -> None:
        try:
            self.queue.put_nowait(None)
        except Full:
            self.queue.get_nowait()
            self.queue.put_nowait(None)


class EventBus:
    """Publish ``DomainEvent``s to every subscriber whose kinds match."""

    def __init__(self, clock: Any = None) -> None:
        self._clock = clock
        self._subscriptions: list[Subscription] = []
        self.published = 0

    def subscribe(self, kinds: set[str] | None = None, maxsize: int = 1000) -> Subscription:
        """Subscribe to all events, or to kinds (``agent.state``) / families (``agent``)."""
        subscription = Subscription(self, frozenset(kinds) if kinds else None, maxsize)
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, kind: str, /, **data: Any) -> DomainEvent:
        """Build and publish an event stamped with the clock's time."""
        at = self._clock.now() if self._clock is not None else 0.0
        event = DomainEvent(kind=kind, data=data, at=at)
        self.publish_event(event)
        return event

    def publish_event(self, event: DomainEvent) -> None:
        self.published += 1
        for subscription in list(self._subscriptions):
            if subscription.wants(event):
                subscription.offer(event)

    def close(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.close()
