"""simswitch + the Engine over TCP + an AgentlessService whose outbound server the answered
calls reach through the switch's `socket ... async full` application."""
from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from engine.agentless.handoff import EngineQueueHandoff
from engine.agentless.service import AgentlessService
from engine.campaigns.dispositions import ensure_default_types
from engine.campaigns.engine_port import EnginePort
from engine.core import Engine
from engine.ivr.interpreter import RunResult
from engine.ivr.registry import FlowRegistry
from engine.ivr.tts import TtsCache
from engine.store import Campaign
from tests.engine.sim import SOUNDS, free_port, running, scenario_file, wait_until

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEED = 20.0  # simulated seconds per real second: prompts and menu timeouts pass quickly
ROUTES = "routes: []\n"
EXTENSION = "fscc_agentless"


def simswitch_unescapes_originate_args() -> bool:
    """True when simswitch splits originate arguments like FreeSWITCH (quotes, `\\s`), so
    the answered leg can go to the service's default `&socket(HOST:PORT\\sasync\\sfull)`.
    Older simswitch splits on plain spaces: the tests then reach the same socket through a
    dialplan extension running `socket HOST:PORT async full`."""
    try:
        from simswitch.dialstring import separate
    except ImportError:
        return False
    return bool(separate("&socket(h:1\\sasync\\sfull) x", " ") == ["&socket(h:1 async full)", "x"])


INLINE_SOCKET = simswitch_unescapes_originate_args()


@dataclass
class World:
    engine: Engine
    sim: Any
    port: EnginePort
    service: AgentlessService
    results: dict[str, RunResult] = field(default_factory=dict)

    def pump(self, until: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Tick the dialers (as the pacing loop would) until ``until()`` holds."""
        def step() -> Any:
            self.service.group.tick(self.port.now())
            return until()
        return wait_until(step, timeout=timeout, step=0.05)


def fk(row: Any, name: str) -> Any:
    """A foreign key's id without loading the row (``row.<name>_id`` that mypy can see)."""
    return row.__data__.get(name)


def make_campaign(mode: str, **fields: Any) -> Campaign:
    ensure_default_types()
    defaults: dict[str, Any] = dict(name=f"{mode} campaign", status="running", dial_mode=mode,
                                    caller_id_number="+14155550000", ring_timeout_seconds=15, calls_per_second=20,
                                    local_window_start="00:00", local_window_end="24:00", wrap_up_seconds=0)
    defaults.update(fields)
    return Campaign.create(**defaults)


@contextmanager
def agentless_world(tmp_path: pathlib.Path, customers: list[dict[str, Any]], *,
                    agents: list[dict[str, Any]] | None = None, speed: float = SPEED,
                    feed: bool = True, modules: list[str] | None = None) -> Iterator[World]:
    """The world; with ``feed`` the engine's call events already reach the service's group
    (leave it off to call ``service.start(..., feed=port.feed)`` yourself)."""
    socket_port = free_port()
    scenario = scenario_file(tmp_path, agents or [], customers=customers,
                             dialplan={EXTENSION: [f"socket 127.0.0.1:{socket_port} async full"]},
                             **({"modules": modules} if modules is not None else {}))
    flows = FlowRegistry(ROOT / "dialplans", sounds_dir=SOUNDS)
    assert not [e for e in flows.reload() if e.severity == "error"]
    with running(tmp_path, scenario, ROUTES, speed=speed) as (engine, sim):
        port = EnginePort(engine)
        results: dict[str, RunResult] = {}
        service = AgentlessService(
            port, port, flows=flows, socket_port=socket_port, answer_app="" if INLINE_SOCKET else EXTENSION,
            handoff=EngineQueueHandoff(engine), tts=TtsCache(tmp_path / "tts"), owner="engine-test",
            dial_string=lambda n: f"sofia/gateway/trunk/{n}", recordings_dir=tmp_path / "recordings",
            time_scale=speed, on_result=results.__setitem__, clock=engine.clock)
        feeder = None
        if feed:
            service.listen()  # names its bound port in the answer target
            feeder = port.feed(service.group)
        try:
            yield World(engine, sim, port, service, results)
        finally:
            if feeder is not None:
                feeder.kill(block=False)
            service.stop()
