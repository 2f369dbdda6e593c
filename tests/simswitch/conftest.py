"""Fixtures: `esl_target` is a started simswitch, or a real FreeSWITCH when
FSCC_FREESWITCH_ESL=host:port[:password] is set (then outbound tests listen on 8084/8085,
the ports of the capture dialplan described in tests/fixtures/esl/README.md)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import gevent
import pytest

from simswitch.scenario import parse_scenario
from simswitch.switch import SimSwitch


@dataclass
class Target:
    """Where to connect, plus listening sockets for the outbound-socket dialplan entries."""

    host: str
    port: int
    password: str
    listeners: dict[str, socket.socket] = field(default_factory=dict)
    sim: SimSwitch | None = None

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=10)


def _listener(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(8)
    sock.settimeout(15)
    return sock


# The capture's dialplan (tests/fixtures/esl/README.md), pointed at our listeners.
def fixture_scenario(ports: dict[str, int]) -> dict:
    return {
        "seed": 7,
        "dialplan": {
            "esl_echo": ["answer", "echo"],
            "9196": ["set outside_call=true", "export RFC2822_DATE=now", "answer", "echo"],
            "esl_conf": ["answer", "conference esltest@default"],
            "esl_outbound": [f"socket 127.0.0.1:{ports['esl_outbound']} async full"],
            "esl_outbound2": [f"socket 127.0.0.1:{ports['esl_outbound2']} async full"],
            "esl_agent": ["bridge loopback/esl_echo"],
        },
        "customers": [
            {"regex": "^sipp$", "ring_time": 0.05, "talk_time": 3600},
            # the SIP peers of tests/fixtures/fs-overlay (public context of a real switch)
            {"regex": "^fscc_busy$", "answer": 0, "busy": 1, "ring_time": 0.05},
            {"regex": "^fscc_ring$", "answer": 0, "no_answer": 1},
        ],
    }


def quiesce(target: Target, timeout: float = 30.0) -> None:
    """Hang up every channel of a real switch and wait until `show channels` is empty, so a
    test starts (and leaves) the switch in a known state."""
    from tests.simswitch.client import Client  # imports the engine's parser: tests only

    client = Client(target.port, target.password, target.host)
    try:
        client.api("hupall NORMAL_CLEARING")
        with gevent.Timeout(timeout, AssertionError(f"channels left after {timeout} s")):
            while client.api("show channels count").strip() != "0 total.":
                gevent.sleep(0.1)
    finally:
        client.close()


@pytest.fixture
def esl_target() -> Iterator[Target]:
    """A simswitch dressed as the capture machine (hostname vm, 192.0.2.2), or real FS."""
    real = os.environ.get("FSCC_FREESWITCH_ESL")
    if real:
        host, _, rest = real.partition(":")
        port, _, password = rest.partition(":")
        listeners = {"esl_outbound": _listener(8084), "esl_outbound2": _listener(8085)}
        target = Target(host, int(port or 8021), password or "ClueCon", listeners)
        quiesce(target)
        yield target
        quiesce(target)
    else:
        listeners = {"esl_outbound": _listener(0), "esl_outbound2": _listener(0)}
        ports = {name: sock.getsockname()[1] for name, sock in listeners.items()}
        sim = SimSwitch("127.0.0.1", 0, "ClueCon", parse_scenario(fixture_scenario(ports)),
                        hostname="vm", ipv4="192.0.2.2", ipv6="fd00::2").start()
        yield Target("127.0.0.1", sim.port, "ClueCon", listeners, sim)
        sim.stop()
    for sock in listeners.values():
        sock.close()


@pytest.fixture
def simswitch() -> Iterator[SimSwitch]:
    """A plain simswitch on a free port with an empty scenario."""
    sim = SimSwitch("127.0.0.1", 0, "ClueCon").start()
    yield sim
    sim.stop()
