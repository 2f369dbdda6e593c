# mypy: disable-error-code="attr-defined"
"""Switch faults during a power campaign, the engine's own dialer running: simswitch killed
and restarted on the same port, and a switch that hangs (a proxy that stops forwarding, as a
SIGSTOPped FreeSWITCH: connections are accepted, nothing is answered, buffered commands run
when it resumes).

Each asserts: the engine reconnects, nothing is claimed or dialed while the switch is down,
no contact is dialed twice, no attempt ends ``failed`` for a call never placed, every
originate the switch never confirmed is killed (no ghost call), dialing resumes, and no
greenlet dies with an unhandled exception nor is an error logged with a traceback.
"""
from __future__ import annotations

import contextlib
import logging
import pathlib
import socket
from collections.abc import Iterator
from typing import Any

import gevent
import gevent.event
import peewee
import pytest
from gevent.server import StreamServer

from engine.campaigns.dispositions import ensure_default_types
from engine.clock import ScaledClock
from engine.core import Engine
from engine.settings import EslNode, Settings
from engine.store import Agent, Attempt, Campaign, Contact
from engine.unconfirmed import LOST_CAUSE
from tests.engine.sim import SOUNDS, free_port, scenario_file, wait_until

HEARTBEAT = 1.0  # the engine's heartbeat timeout in these tests (probe after 0.5 s of silence)
CUSTOMERS = [{"prefix": "+1312555", "answer": 0.0, "busy": 1.0},  # refuse at once
             {"prefix": "+1415555", "answer": 0.0, "no_answer": 1.0}]  # ring until the engine gives up


class Unhandled:
    """Greenlets that died with an exception (gevent's hub reports them) and ERROR records
    that carry a traceback, while the test runs."""

    def __init__(self) -> None:
        self.greenlets: list[tuple[Any, type, BaseException]] = []
        self.records: list[logging.LogRecord] = []

    def print_exception(self, context: Any, kind: type, value: BaseException, tb: Any) -> None:
        self.greenlets.append((context, kind, value))

    def __call__(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.exc_info:
            self.records.append(record)
        return True


@pytest.fixture
def unhandled(monkeypatch: pytest.MonkeyPatch) -> Iterator[Unhandled]:
    seen = Unhandled()
    monkeypatch.setattr(gevent.get_hub(), "print_exception", seen.print_exception)
    handler = logging.Handler(logging.ERROR)
    handler.addFilter(seen)
    logging.getLogger().addHandler(handler)
    try:
        yield seen
    finally:
        logging.getLogger().removeHandler(handler)


class HangingProxy:
    """TCP between the engine and the switch; ``hang()`` stops forwarding both ways (new
    connections are accepted and left unanswered), ``resume()`` delivers what was held, as a
    process resumed after SIGSTOP reads its sockets."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.running = gevent.event.Event()
        self.running.set()
        self.server = StreamServer(("127.0.0.1", 0), self._handle)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def start(self) -> HangingProxy:
        self.server.start()
        return self

    def hang(self) -> None:
        self.running.clear()

    def resume(self) -> None:
        self.running.set()

    def _handle(self, client: socket.socket, address: Any) -> None:
        self.running.wait()
        upstream = socket.create_connection(self.upstream)
        pumps = [gevent.spawn(self._pump, client, upstream), gevent.spawn(self._pump, upstream, client)]
        gevent.joinall(pumps)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                self.running.wait()
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        self.server.stop(timeout=1)


def start_switch(scenario: pathlib.Path, outbound_port: int, port: int = 0) -> Any:
    from simswitch.switch import SimSwitch

    return SimSwitch(port=port, scenario=scenario, outbound=f"127.0.0.1:{outbound_port}").start()


@contextlib.contextmanager
def engine_at(tmp_path: pathlib.Path, esl_port: int, outbound_port: int) -> Iterator[Engine]:
    (tmp_path / "dialplans").mkdir(exist_ok=True)
    (tmp_path / "dialplans" / "routes.yaml").write_text("routes: []\n")
    settings = Settings(
        esl_nodes=(EslNode("fs1", "127.0.0.1", esl_port, "ClueCon"),), outbound_port=outbound_port,
        recordings_dir=str(tmp_path / "recordings"), dialplans_dir=str(tmp_path / "dialplans"),
        sounds_dir=str(SOUNDS), external_dial="sofia/gateway/trunk/{number}", dialer_enabled=True,
        campaign_socket_port=free_port(), tts_cache_dir=str(tmp_path / "tts"))
    engine = Engine(settings, clock=ScaledClock(1.0))
    engine.heartbeat_timeout = HEARTBEAT
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()


def power_campaign(contacts: int) -> tuple[list[Agent], Campaign]:
    ensure_default_types()
    agents = [Agent.create(name=f"Agent {i}", extension=str(1000 + i), sip_password="pw", wrap_up_seconds=0)
              for i in (1, 2)]
    campaign = Campaign.create(name="power", status="running", dial_mode="power", power_ratio=2,
                               caller_id_number="+14155550000", ring_timeout_seconds=15, calls_per_second=20,
                               local_window_start="00:00", local_window_end="24:00", wrap_up_seconds=0)
    for i in range(contacts):
        prefix = "+1312555" if i % 2 else "+1415555"
        Contact.create(campaign=campaign, phone=f"{prefix}{i:04d}")
    return agents, campaign


def ringing(engine: Engine) -> set[str]:
    """Campaign calls ringing customers who never answer (the switch confirms them only at the end)."""
    assert engine.dialing is not None
    return {uuid for dialer in engine.dialing.group.dialers.values() for uuid, call in dialer.live.items()
            if call.phone.startswith("+1415555")}


def attempts() -> int:
    return int(Attempt.select().count())


def rounds_while_down(engine: Engine, count: int) -> None:
    """Let the dialer's loop run ``count`` rounds with the switch down (event order, not time)."""
    assert engine.dialing is not None
    group = engine.dialing.group
    ticks: list[bool] = []
    tick = group.tick

    def counted(now: Any, interval: float = 1.0) -> int:
        ticks.append(group.switch_down)
        return tick(now, interval)

    group.tick = counted  # type: ignore[method-assign]
    try:
        wait_until(lambda: ticks.count(True) >= count, timeout=30)
    finally:
        del group.tick


def assert_no_fault_damage(unhandled: Unhandled, lost: list[str], engine: Engine) -> None:
    # an originate the switch never got (the node had just dropped) is no dial: due again at once
    never_sent = (Attempt.outcome == "trunk_failed") & (Attempt.hangup_cause == "DESTINATION_OUT_OF_ORDER")
    per_contact = (Attempt.select(Attempt.contact, peewee.fn.COUNT(Attempt.id).alias("n")).where(~never_sent)
                   .group_by(Attempt.contact).having(peewee.fn.COUNT(Attempt.id) > 1))
    assert list(per_contact) == [], "a contact was dialed twice"
    assert Attempt.select().where(Attempt.outcome == "failed").count() == 0
    assert set(lost) <= set(engine.switch.unconfirmed.killed)  # each lost originate was killed
    for uuid in lost:
        contact = Attempt.get(Attempt.origination_uuid == uuid).contact
        assert contact.status == "retry" and contact.attempts == 0  # no attempt burnt, not due at once
        assert contact.next_attempt_at > Attempt.get(Attempt.origination_uuid == uuid).ended_at
    assert unhandled.greenlets == [] and unhandled.records == []


def lost_attempts(since: int) -> list[str]:
    """Attempts whose originate the switch never confirmed (handed back, the call killed)."""
    query = Attempt.select().where((Attempt.outcome == "lost") & (Attempt.hangup_cause == LOST_CAUSE)
                                   & (Attempt.id > since))
    return [a.origination_uuid for a in query]


@pytest.mark.timeout(120)
def test_switch_killed_and_restarted_during_a_power_campaign(sqlite_store, tmp_path, unhandled):
    agents, campaign = power_campaign(60)
    scenario = scenario_file(tmp_path, [{"extension": "1001"}, {"extension": "1002"}], customers=CUSTOMERS)
    outbound_port = free_port()
    sim = start_switch(scenario, outbound_port)
    port = sim.port
    with engine_at(tmp_path, port, outbound_port) as engine:
        for agent in agents:
            engine.agent_login(agent.id)
        connection = engine.nodes["fs1"]
        assert connection.backoff == (0.1, 1.0)  # reconnect tries at most 1 s apart
        # lines busy with ringing calls whose originate the switch has not confirmed yet
        wait_until(lambda: Attempt.select().where(Attempt.outcome == "busy").count() >= 2
                   and len(ringing(engine)) >= 2, timeout=30)
        in_flight = ringing(engine)
        before_kill = max(a.id for a in Attempt.select())
        sim.stop()
        wait_until(lambda: not engine.switch.up(), timeout=10)
        wait_until(lambda: engine.switch.unconfirmed.pending("fs1") >= in_flight, timeout=10)  # the ringing ones
        rounds_while_down(engine, 1)  # a round that was launching when the switch went has ended
        down_attempts, down_claimed = attempts(), Contact.select().where(Contact.status == "claimed").count()
        rounds_while_down(engine, 3)
        assert (attempts(), Contact.select().where(Contact.status == "claimed").count()) == (down_attempts, down_claimed)

        sim = start_switch(scenario, outbound_port, port=port)
        wait_until(lambda: connection.connects == 2, timeout=10)
        wait_until(lambda: set(lost_attempts(0)) >= in_flight, timeout=10)  # LOST, killed (no such channel)
        resumed = attempts()
        wait_until(lambda: Attempt.select().where((Attempt.id > before_kill) & (Attempt.outcome == "busy")).count()
                   >= 2 and attempts() > resumed, timeout=30)
        assert_no_fault_damage(unhandled, lost_attempts(0), engine)
    sim.stop()


@pytest.mark.timeout(120)
def test_switch_hung_longer_than_the_heartbeat_during_a_power_campaign(sqlite_store, tmp_path, unhandled):
    agents, campaign = power_campaign(60)
    scenario = scenario_file(tmp_path, [{"extension": "1001"}, {"extension": "1002"}], customers=CUSTOMERS)
    outbound_port = free_port()
    sim = start_switch(scenario, outbound_port)
    proxy = HangingProxy(sim.port).start()
    try:
        with engine_at(tmp_path, proxy.port, outbound_port) as engine:
            for agent in agents:
                engine.agent_login(agent.id)
            connection = engine.nodes["fs1"]
            wait_until(lambda: len(ringing(engine)) >= 2, timeout=30)
            in_flight = ringing(engine)
            proxy.hang()
            wait_until(lambda: not engine.switch.up(), timeout=10)  # heartbeat lost: down at once
            rounds_while_down(engine, 1)
            down_attempts = attempts()
            rounds_while_down(engine, 3)
            assert attempts() == down_attempts

            proxy.resume()
            wait_until(lambda: connection.connects >= 2, timeout=10)
            wait_until(lambda: set(lost_attempts(0)) >= in_flight, timeout=10)
            lost = lost_attempts(0)
            # the switch never died: its ringing calls were killed, and any originate it ran late too
            wait_until(lambda: not any(uuid in sim.switch.channels and sim.switch.channels[uuid].alive
                                       for uuid in lost), timeout=10)
            resumed = attempts()
            wait_until(lambda: attempts() > resumed, timeout=30)
            assert_no_fault_damage(unhandled, lost, engine)
    finally:
        proxy.stop()
        sim.stop()
