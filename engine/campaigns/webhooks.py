"""Signed webhooks with retries and a delivery log (WebhookDelivery rows).

Each delivery POSTs a JSON body with ``X-Fscc-Signature: sha256=<hex>`` where the hex is
HMAC-SHA256 of the exact body bytes under the campaign's ``webhook_secret``; receivers
recompute it and compare with ``hmac.compare_digest``. ``X-Fscc-Event`` names the event
and ``X-Fscc-Delivery`` the delivery id (idempotency key across retries). A non-2xx answer
or a network error is retried with exponential backoff (1 s, 2 s, 4 s, ...); every try is
counted on the row with its status code or error, and ``next_try_at`` is set so
:func:`retry_pending` can resume after a restart.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import gevent

from engine.campaigns.sql import pk
from engine.store import WebhookDelivery, utcnow

log = logging.getLogger(__name__)

MAX_TRIES = 6
BASE_DELAY = 1.0
TIMEOUT = 5.0


def sign(secret: str, body: bytes) -> str:
    """The ``X-Fscc-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """Check a signature header (what an integrator's receiver does)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def enqueue(url: str, event: str, payload: dict[str, Any]) -> WebhookDelivery:
    """Log a delivery to make (inside the caller's transaction, so it exists iff the event does)."""
    return WebhookDelivery.create(url=url, event=event, payload=payload, next_try_at=utcnow())


def post_once(delivery: WebhookDelivery, secret: str, timeout: float = TIMEOUT) -> tuple[int | None, str]:
    """One POST; returns (status code or None, error text or "")."""
    body = encode(delivery.payload)
    request = urllib.request.Request(delivery.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "fscc-webhook/1",
        "X-Fscc-Signature": sign(secret, body), "X-Fscc-Event": delivery.event,
        "X-Fscc-Delivery": str(delivery.id)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked on save
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, gevent.Timeout) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


def deliver(delivery: WebhookDelivery, secret: str, *, max_tries: int = MAX_TRIES, base_delay: float = BASE_DELAY,
            sleep: Callable[[float], Any] = gevent.sleep, now: Callable[[], dt.datetime] = utcnow,
            timeout: float = TIMEOUT) -> bool:
    """Try until a 2xx or ``max_tries`` tries, waiting base_delay * 2**n between; log each try."""
    while delivery.attempts < max_tries:
        status, error = post_once(delivery, secret, timeout)
        delivery.attempts += 1
        delivery.status_code, delivery.error = status, error
        delivery.delivered = status is not None and 200 <= status < 300
        delay = base_delay * 2 ** (delivery.attempts - 1)
        delivery.next_try_at = None if delivery.delivered or delivery.attempts >= max_tries else \
            now() + dt.timedelta(seconds=delay)
        delivery.save()
        if delivery.delivered:
            return True
        log.warning("webhook try failed delivery_id=%s url=%s try=%s status=%s error=%s", delivery.id, delivery.url,
                    delivery.attempts, status, error)
        if delivery.next_try_at is None:
            break
        sleep(delay)
    return False


def deliver_later(delivery: WebhookDelivery, secret: str) -> gevent.Greenlet:
    """Deliver in its own greenlet (the agent's submit does not wait for the integrator)."""
    return gevent.spawn(deliver, delivery, secret)


def retry_pending(now: dt.datetime, secret_for: Callable[[WebhookDelivery], str], **kwargs: Any) -> int:
    """Resume deliveries due by ``now`` (after a restart); returns how many were delivered."""
    due = WebhookDelivery.select().where((WebhookDelivery.delivered == False)  # noqa: E712
                                         & WebhookDelivery.next_try_at.is_null(False)
                                         & (WebhookDelivery.next_try_at <= now)).order_by(pk(WebhookDelivery))
    return sum(1 for delivery in due if deliver(delivery, secret_for(delivery), **kwargs))
