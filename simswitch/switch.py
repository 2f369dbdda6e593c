"""The simulated FreeSWITCH core: channels, sessions, dialplan and the ESL listener."""

from __future__ import annotations

import logging
import random
import socket
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from gevent.server import StreamServer

from simswitch import (
    apis_core,  # noqa: F401  (registers status, show, sofia, ...)
    digits,  # noqa: F401  (registers play_and_get_digits)
    wire,
)
from simswitch.apis import Apis
from simswitch.apps import Message, execute, serve_messages
from simswitch.channel import WAKE, AppInterrupt, Channel
from simswitch.conference import Conferences
from simswitch.events import Clock, EventBus
from simswitch.inbound import InboundGenerator
from simswitch.originate import Dialer, OriginateFailed
from simswitch.scenario import Scenario, load_scenario
from simswitch.session import ESLSession

log = logging.getLogger(__name__)


class Switch:
    """Everything one simulated FreeSWITCH instance owns."""

    def __init__(self, password: str = "ClueCon", scenario: Scenario | None = None,
                 outbound: str | None = None, seed: int | None = None, speed: float = 1.0,
                 hostname: str = "simswitch", ipv4: str = "127.0.0.1",
                 ipv6: str = "::1") -> None:
        self.password = password
        self.scenario = scenario or Scenario()
        self.outbound = outbound or "127.0.0.1:8084"
        self.rng = random.Random(self.scenario.seed if seed is None else seed)
        self.clock = Clock(speed)
        self.bus = EventBus(self.clock, hostname, ipv4, ipv6)
        self.channels: dict[str, Channel] = {}
        self.sessions: list[ESLSession] = []
        self.bus.listeners = self.sessions  # type: ignore[assignment]
        self.sessions_since_start = 0
        self.peak_sessions = 0
        self.global_vars = {"hostname": hostname, "local_ip_v4": ipv4,
                            "switchname": hostname, "domain": ipv4}
        self.apis = Apis(self)
        self.dialer = Dialer(self)
        self.conferences = Conferences(self)
        self.inbound = InboundGenerator(self)
        self._greenlets: set[gevent.Greenlet] = set()

    # -- helpers ---------------------------------------------------------------------------------
    def new_uuid(self) -> str:
        """A v4 UUID drawn from the seeded RNG (reproducible runs)."""
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def next_session_id(self) -> int:
        """Counter for variable_session_id / `status`."""
        self.sessions_since_start += 1
        self.peak_sessions = max(self.peak_sessions, len(self.channels) + 1)
        return self.sessions_since_start

    def spawn(self, func: Callable[..., Any], *args: Any) -> gevent.Greenlet:
        """Start a greenlet owned by the switch (killed on stop)."""
        greenlet = gevent.spawn(func, *args)
        self._greenlets.add(greenlet)
        greenlet.link(self._greenlets.discard)
        return greenlet

    def start_heartbeat(self, interval: float = 20.0) -> None:
        """Fire HEARTBEAT every `interval` simulated seconds, as switch_core does."""
        def beat() -> None:
            while True:
                self.clock.sleep(interval)
                self.bus.emit("HEARTBEAT", self.heartbeat_headers())
        self.spawn(beat)

    def heartbeat_headers(self) -> list[tuple[str, str]]:
        """HEARTBEAT body headers in the captured order (transcript c)."""
        from simswitch.apis_core import uptime_text

        uptime = self.clock.uptime()
        return [
            ("Event-Info", "System Ready"), ("Up-Time", uptime_text(uptime)),
            ("FreeSWITCH-Version", "1.11.3-dev~64bit"), ("Uptime-msec", str(int(uptime * 1000))),
            ("Session-Count", str(len(self.channels))), ("Max-Sessions", "1000"),
            ("Session-Per-Sec", "30"), ("Session-Per-Sec-Last", "0"),
            ("Session-Per-Sec-Max", "0"), ("Session-Per-Sec-FiveMin", "0"),
            ("Session-Since-Startup", str(self.sessions_since_start)),
            ("Session-Peak-Max", str(self.peak_sessions)),
            ("Session-Peak-FiveMin", str(self.peak_sessions)), ("Idle-CPU", "98.000000"),
        ]

    def stop(self) -> None:
        """Stop every greenlet and close every session."""
        self.inbound.stop()
        for session in list(self.sessions):
            session.close()
        gevent.killall([g for g in self._greenlets if not g.dead], block=False)

    # -- dialplan ------------------------------------------------------------------------------
    def dialplan_steps(self, extension: str) -> list[Message]:
        """Applications of a dialplan extension (empty = no route)."""
        # Like the vanilla dialplan's catch-all: play a stream that does not exist, hang up.
        steps = self.scenario.dialplan.get(extension, ["playback local_stream://no_such_stream"])
        out = []
        for line in steps:
            line = line.replace("{outbound}", self.outbound)
            name, _, arg = line.partition(" ")
            out.append(Message(name, arg))
        return out

    def dialplan_steps_into(self, chan: Channel, extension: str) -> None:
        """`transfer`: queue the extension's applications on the channel."""
        for step in self.dialplan_steps(extension):
            chan.messages.put(step)

    # -- outbound socket & bridging ------------------------------------------------------------
    def channel_data(self, chan: Channel, socket_mode: str, control: str) -> bytes:
        """The `connect` reply for an outbound socket (CHANNEL_DATA block)."""
        headers = self.bus.standard_headers(
            "CHANNEL_DATA", ("mod_event_socket.c", "parse_command", 2029))
        headers += chan.profile_headers("Channel")
        headers += chan.block("CHANNEL_DATA")
        return wire.connect_reply(headers, socket_mode, control)

    def outbound_socket(self, chan: Channel, arg: str) -> None:
        """The `socket` application: connect to the client and serve its commands."""
        parts = arg.split(" ")
        hosts = parts[0].replace("{outbound}", self.outbound)
        socket_mode = "async" if "async" in parts[1:] else "static"
        control = "full" if "full" in parts[1:] else "single-channel"
        sock = None
        for target in hosts.split("|"):
            host, _, port = target.partition(":")
            chan.variables["socket_host"] = host
            try:
                sock = socket.create_connection((host, int(port or 8084)), timeout=5)
                sock.settimeout(None)
                break
            except OSError as exc:
                log.info("%s: socket to %s failed: %s", chan.uuid, target, exc)
        if sock is None:
            chan.hangup("DESTINATION_OUT_OF_ORDER")
            return
        session = ESLSession(self, sock, channel=chan, socket_mode=socket_mode, control=control)
        chan.controllers.append(session)
        self.spawn(session.run)
        parked = False
        try:
            while chan.alive and not session.closed:
                msg = chan.messages.get()
                if msg is None:
                    break
                if msg is WAKE:
                    continue
                if not parked:
                    parked = True
                    chan.emit("CHANNEL_PARK")
                execute(chan, msg)
        except AppInterrupt:
            if parked:
                chan.emit("CHANNEL_UNPARK")
            raise
        if parked:
            chan.emit("CHANNEL_UNPARK")

    def bridge_app(self, chan: Channel, dial: str) -> None:
        """The `bridge` application: dial, bridge, wait for the bridge to end."""
        inherit = {k: v for k, v in chan.variables.items()
                   if k.startswith(("sip_h_", "origination_"))}
        timeout = float(chan.variables.get("call_timeout", "60") or 60)
        try:
            other = self.dialer.dial(dial, timeout, inherit=inherit, from_api=False)
        except OriginateFailed as failed:
            chan.variables["originate_disposition"] = failed.cause
            chan.variables["bridge_hangup_cause"] = failed.cause
            chan.variables["originate_failed_cause"] = failed.cause
            return
        chan.variables["originate_disposition"] = "SUCCESS"
        if not chan.answered.is_set():
            chan.answer()
        self.connect(chan, other, mode="app")
        serve_messages(chan, until=lambda: chan.bridged_to is None)

    def connect(self, a_leg: Channel, b_leg: Channel, mode: str) -> None:
        """Bridge two channels (bridge app or uuid_bridge)."""
        a_leg.bridge_mode = mode
        b_leg.bridge_mode = "uuid" if mode == "uuid" else ""
        a_leg.bridge(b_leg)

    def log_line(self, level: int, text: str, file: str = "mod_commands.c",
                 func: str = "log_function", line: int = 7247) -> None:
        """Send a log line to sessions that asked for logs."""
        for session in list(self.sessions):
            session.log_line(level, text, file, func, line)


class SimSwitch:
    """In-process simswitch for tests: `SimSwitch(host, port, password, scenario).start()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, password: str = "ClueCon",
                 scenario: Scenario | str | Path | None = None, outbound: str | None = None,
                 seed: int | None = None, speed: float = 1.0, hostname: str = "simswitch",
                 ipv4: str = "127.0.0.1", ipv6: str = "::1", heartbeat: float = 20.0) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        self.switch = Switch(password, scenario, outbound, seed, speed, hostname, ipv4, ipv6)
        self.host = host
        self.port = port
        self.heartbeat = heartbeat
        self._server: StreamServer | None = None

    def start(self) -> SimSwitch:
        """Listen (port 0 picks a free port, see `.port`) and start inbound traffic."""
        self._server = StreamServer((self.host, self.port), self._handle)
        self._server.start()
        self.port = self._server.server_port
        self.switch.inbound.start()
        self.switch.start_heartbeat(self.heartbeat)
        return self

    def _handle(self, sock: socket.socket, address: tuple[str, int]) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ESLSession(self.switch, sock).run()

    def stop(self) -> None:
        """Stop listening and end everything."""
        server, self._server = self._server, None
        if server is not None:
            server.close()        # stop accepting first
        self.switch.stop()        # closes the sessions, so their handlers end at once
        if server is not None:
            server.stop(timeout=1)

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the ESL listener is bound to."""
        return self.host, self.port

    def __enter__(self) -> SimSwitch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
