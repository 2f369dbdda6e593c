"""Harness: simswitch in-process on a free port, an Engine wired to it over TCP."""
from __future__ import annotations

import pathlib
import socket
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import gevent
import yaml

from engine.clock import ScaledClock
from engine.core import Engine
from engine.settings import EslNode, Settings

SOUNDS = pathlib.Path(__file__).parents[2] / "sounds"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, step: float = 0.01) -> Any:
    """Poll ``predicate`` (cooperatively) until truthy; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        gevent.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")


def scenario_file(tmp_path: pathlib.Path, agents: list[dict[str, Any]], **extra: Any) -> pathlib.Path:
    """A simswitch scenario with these agent phones (and any other top-level fields)."""
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({"seed": 7, "agents": agents, **extra}))
    return path


@contextmanager
def running(tmp_path: pathlib.Path, scenario: pathlib.Path, routes: str, speed: float = 1.0,
            extra: dict[str, Any] | None = None, dialer: bool = False) -> Iterator[tuple[Engine, Any]]:
    """Start simswitch and the Engine; yield (engine, simswitch); stop both.

    With ``dialer`` the Engine runs its own campaign dialers (``settings.dialer_enabled``,
    answered agentless calls on a free port); without, tests drive a dialer group themselves.
    """
    from simswitch.switch import SimSwitch

    outbound_port = free_port()
    (tmp_path / "dialplans").mkdir(exist_ok=True)
    (tmp_path / "dialplans" / "routes.yaml").write_text(textwrap.dedent(routes))
    sim = SimSwitch(port=0, scenario=scenario, outbound=f"127.0.0.1:{outbound_port}", speed=speed).start()
    extra = dict(extra or {})
    settings = Settings(
        esl_nodes=(EslNode("fs1", "127.0.0.1", sim.port, "ClueCon"),), outbound_port=outbound_port,
        recordings_dir=str(tmp_path / "recordings"), dialplans_dir=str(tmp_path / "dialplans"),
        sounds_dir=str(SOUNDS), external_dial=extra.pop("external_dial", "loopback/{number}"), extra=extra,
        dialer_enabled=dialer, campaign_socket_port=free_port(), tts_cache_dir=str(tmp_path / "tts"),
    )
    engine = Engine(settings, clock=ScaledClock(speed))
    engine.start()
    try:
        yield engine, sim
    finally:
        engine.stop()
        sim.stop()
