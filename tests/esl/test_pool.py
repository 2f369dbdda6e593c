"""NodePool: several nodes, health from connection + HEARTBEAT, parsed `api status`."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import gevent
import pytest

from engine.esl.errors import ESLProtocolError
from engine.esl.parser import ESLParser
from engine.esl.pool import NodePool, parse_status
from tests.esl.fakeswitch import FakeSwitch
from tests.esl.transcripts import recv_bytes


def a1_status_body() -> str:
    frames = ESLParser().feed(recv_bytes("a1_auth_api_status_channels_unknown"))
    return next(f.text for f in frames if f.content_type == "api/response")


def test_parse_status_from_real_freeswitch() -> None:
    status = parse_status(a1_status_body())
    assert status.uptime_seconds == pytest.approx(25.67208)
    assert status.version == "1.11.3-dev  64bit" and status.ready
    assert (status.sessions, status.sessions_peak, status.sessions_since_startup) == (0, 0, 0)
    assert status.max_sessions == 1000 and status.sessions_per_second_max == 30
    assert status.idle_cpu == pytest.approx(98.10)


def test_parse_status_singular_units_and_errors() -> None:
    body = a1_status_body().replace(
        "0 years, 0 days, 0 hours, 0 minutes, 25 seconds",
        "1 year, 1 day, 1 hour, 2 minutes, 1 second",
    )
    assert parse_status(body).uptime_seconds == pytest.approx(
        365 * 86400 + 86400 + 3600 + 120 + 1 + 0.672 + 0.00008
    )
    with pytest.raises(ESLProtocolError, match="UP"):
        parse_status("-ERR no reply\n")
    with pytest.raises(ESLProtocolError, match="max_sessions"):
        parse_status(body.replace("1000 session(s) max\n", ""))


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        gevent.sleep(0.01)
    return predicate()


def test_pool_health_and_status() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    with FakeSwitch("a1_auth_api_status_channels_unknown") as fs1, FakeSwitch(
        "a1_auth_api_status_channels_unknown"
    ) as fs2:
        pool = NodePool(backoff=(0.05, 0.2))
        try:
            pool.add("fs1", "127.0.0.1", fs1.port, "ClueCon")
            pool.add("fs2", "127.0.0.1", fs2.port, "ClueCon")
            pool.add("down", "127.0.0.1", dead_port, "ClueCon")
            assert wait_until(lambda: pool.healthy() == ["fs1", "fs2"])
            assert pool.names == ["fs1", "fs2", "down"]
            statuses = pool.status(timeout=2)
            assert statuses["down"] is None
            assert statuses["fs1"] is not None and statuses["fs1"].max_sessions == 1000
            assert pool.least_loaded() in (pool.get("fs1"), pool.get("fs2"))
            # A node that went quiet (no HEARTBEAT, no frame at all) is not healthy any more.
            pool.get("fs2").last_frame = time.monotonic() - 120
            assert pool.healthy() == ["fs1"]
            with pytest.raises(KeyError, match="nosuch"):
                pool.get("nosuch")
            with pytest.raises(ValueError):
                pool.add("fs1", "127.0.0.1", fs1.port, "ClueCon")
        finally:
            pool.close()
        assert pool.healthy() == []
