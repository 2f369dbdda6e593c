"""Several named FreeSWITCH nodes behind one object: connect, health, `api status`."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from engine.esl.connection import InboundConnection
from engine.esl.errors import ESLError, ESLProtocolError

__all__ = ["NodePool", "NodeStatus", "parse_status"]

log = logging.getLogger(__name__)

_UNIT_SECONDS = {
    "year": 365 * 86400.0, "day": 86400.0, "hour": 3600.0, "minute": 60.0, "second": 1.0,
    "millisecond": 1e-3, "microsecond": 1e-6,
}
_UPTIME_PART = re.compile(r"(\d+) (year|day|hour|minute|second|millisecond|microsecond)s?\b")
_STATUS_LINES = {
    "sessions_since_startup": re.compile(r"^(\d+) session\(s\) since startup$", re.M),
    "sessions": re.compile(r"^(\d+) session\(s\) - peak (\d+), last 5min (\d+)", re.M),
    "per_second": re.compile(
        r"^(\d+) session\(s\) per Sec out of max (\d+), peak (\d+), last 5min (\d+)", re.M
    ),
    "max_sessions": re.compile(r"^(\d+) session\(s\) max$", re.M),
    "idle_cpu": re.compile(r"^min idle cpu ([\d.]+)/([\d.]+)$", re.M),
    "version": re.compile(r"^FreeSWITCH \(Version (.+?)\) is (\w+)$", re.M),
}


@dataclass(frozen=True)
class NodeStatus:
    """What `api status` says about a node (ESL_PROTOCOL.md §15)."""

    uptime_seconds: float
    version: str
    ready: bool
    sessions: int
    sessions_peak: int
    sessions_peak_5min: int
    sessions_since_startup: int
    sessions_per_second_max: int
    sessions_per_second_peak: int
    max_sessions: int
    idle_cpu: float


def parse_status(text: str) -> NodeStatus:
    """Parse the `status` API body; ESLProtocolError names the line that is missing."""
    first = text.split("\n", 1)[0]
    if not first.startswith("UP "):
        raise ESLProtocolError(f"status: first line should start with 'UP ', got {first!r}")
    uptime = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _UPTIME_PART.findall(first))
    found = {}
    for field, pattern in _STATUS_LINES.items():
        match = pattern.search(text)
        if match is None:
            raise ESLProtocolError(f"status: no {field!r} line in {text!r}")
        found[field] = match.groups()
    return NodeStatus(
        uptime_seconds=uptime,
        version=found["version"][0].strip(),
        ready=found["version"][1] == "ready",
        sessions=int(found["sessions"][0]),
        sessions_peak=int(found["sessions"][1]),
        sessions_peak_5min=int(found["sessions"][2]),
        sessions_since_startup=int(found["sessions_since_startup"][0]),
        sessions_per_second_max=int(found["per_second"][1]),
        sessions_per_second_peak=int(found["per_second"][2]),
        max_sessions=int(found["max_sessions"][0]),
        idle_cpu=float(found["idle_cpu"][1]),
    )


class NodePool:
    """Named inbound connections; a node is healthy while connected with a recent HEARTBEAT."""

    def __init__(
        self, *, heartbeat_timeout: float = 60.0, backoff: tuple[float, float] = (0.1, 1.0)
    ) -> None:
        self.heartbeat_timeout = heartbeat_timeout
        self.backoff = backoff
        self._nodes: dict[str, InboundConnection] = {}

    def add(
        self, name: str, host: str, port: int, password: str, *, connect_timeout: float = 5.0
    ) -> InboundConnection:
        """Register a node and start connecting to it in the background (with retries)."""
        if not name or name in self._nodes:
            raise ValueError(f"node name {name!r} is empty or already in the pool")
        if not 0 < int(port) < 65536:
            raise ValueError(f"node {name}: port {port} out of range")
        connection = InboundConnection(
            host, int(port), password, name=name, reconnect=True, backoff=self.backoff,
            heartbeat_timeout=self.heartbeat_timeout,
        )
        self._nodes[name] = connection
        connection.start(timeout=connect_timeout)
        return connection

    def get(self, name: str) -> InboundConnection:
        """The node's connection; KeyError names the unknown node."""
        try:
            return self._nodes[name]
        except KeyError:
            raise KeyError(f"no FreeSWITCH node named {name!r} (have {sorted(self._nodes)})") from None

    @property
    def names(self) -> list[str]:
        """Node names in the order they were added."""
        return list(self._nodes)

    def healthy(self) -> list[str]:
        """Names of nodes that are connected and heard a HEARTBEAT recently."""
        return [name for name, connection in self._nodes.items() if connection.alive]

    def least_loaded(self) -> InboundConnection | None:
        """The healthy node with the fewest sessions per its last HEARTBEAT (None if none)."""
        best: tuple[int, InboundConnection] | None = None
        for name in self.healthy():
            connection = self._nodes[name]
            beat = connection.heartbeat
            sessions = int(beat.get("Session-Count") or 0) if beat is not None else 0
            if best is None or sessions < best[0]:
                best = (sessions, connection)
        return None if best is None else best[1]

    def status(self, timeout: float = 5.0) -> dict[str, NodeStatus | None]:
        """`api status` of every node, parsed; None for a node that is down or garbled."""
        result: dict[str, NodeStatus | None] = {}
        for name, connection in self._nodes.items():
            try:
                result[name] = parse_status(connection.api("status", timeout=timeout))
            except (ESLError, TimeoutError) as exc:
                log.warning("node %s: status unavailable: %s", name, exc)
                result[name] = None
        return result

    def close(self) -> None:
        """Close every node connection."""
        for connection in self._nodes.values():
            connection.close()
