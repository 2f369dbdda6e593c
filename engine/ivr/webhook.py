"""HTTP calls made by `webhook` nodes: JSON in, JSON out, with a hard timeout."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

MAX_REPLY_BYTES = 256_000


class WebhookError(Exception):
    """The request failed, timed out, or the reply was not usable JSON."""


class HttpClient(Protocol):
    """Makes one webhook request; returns (HTTP status, parsed JSON reply or None)."""

    def __call__(
        self, method: str, url: str, body: Mapping[str, Any] | None, timeout: float
    ) -> tuple[int, Any]: ...


def request_json(
    method: str, url: str, body: Mapping[str, Any] | None, timeout: float
) -> tuple[int, Any]:
    """Default `HttpClient` on urllib (cooperative under gevent's monkey patching)."""
    if not url.startswith(("http://", "https://")):
        raise WebhookError(f"refusing non-HTTP url {url!r}")
    data = None
    headers = {"Accept": "application/json", "User-Agent": "fscc-ivr"}
    if method == "POST":
        data = json.dumps(dict(body or {})).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - http(s) only
            status = reply.status
            payload = reply.read(MAX_REPLY_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"{method} {url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WebhookError(f"{method} {url}: {getattr(exc, 'reason', exc)}") from exc
    if len(payload) > MAX_REPLY_BYTES:
        raise WebhookError(f"{method} {url}: reply larger than {MAX_REPLY_BYTES} bytes")
    if not payload.strip():
        return status, None
    try:
        return status, json.loads(payload)
    except ValueError as exc:
        raise WebhookError(f"{method} {url}: reply is not JSON") from exc


def dig(payload: Any, dotted: str) -> Any:
    """`payload["a"]["b"]` for "a.b" (list items by index); None when absent."""
    current = payload
    for part in dotted.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current
