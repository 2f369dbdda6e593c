"""The default webhook client against a real local HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import gevent
import pytest
from gevent.pywsgi import WSGIServer

from engine.ivr.webhook import WebhookError, dig, request_json


def crm_app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        gevent.sleep(2)
    if path == "/broken":
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"boom"]
    if path == "/text":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"not json"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length)) if length else None
    reply = {"method": environ["REQUEST_METHOD"], "path": path, "query": environ["QUERY_STRING"],
             "body": body, "customer": {"tier": "gold", "tags": ["a", "b"]}}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(reply).encode()]


@pytest.fixture
def crm() -> Iterator[str]:
    server = WSGIServer(("127.0.0.1", 0), crm_app, log=None)
    server.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop(timeout=1)


def test_get_and_post_json(crm):
    status, reply = request_json("GET", f"{crm}/lookup?account=42", None, 2)
    assert status == 200 and reply["method"] == "GET" and reply["query"] == "account=42"
    status, reply = request_json("POST", f"{crm}/hook", {"call": "u1", "digits": "12"}, 2)
    assert reply["body"] == {"call": "u1", "digits": "12"}


def test_errors_are_webhook_errors(crm):
    with pytest.raises(WebhookError, match="HTTP 500"):
        request_json("GET", f"{crm}/broken", None, 2)
    with pytest.raises(WebhookError, match="not JSON"):
        request_json("GET", f"{crm}/text", None, 2)
    with pytest.raises(WebhookError, match="timed out"):
        request_json("GET", f"{crm}/slow", None, 0.2)
    with pytest.raises(WebhookError, match="non-HTTP"):
        request_json("GET", "file:///etc/passwd", None, 1)


def test_dig_follows_dotted_paths():
    payload = {"customer": {"tier": "gold", "tags": ["a", "b"]}}
    assert dig(payload, "customer.tier") == "gold"
    assert dig(payload, "customer.tags.1") == "b"
    assert dig(payload, "customer.nope") is None
    assert dig(payload, "customer.tags.9") is None
