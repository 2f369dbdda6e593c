# mypy: disable-error-code="attr-defined"
"""Graceful stop: nothing new is claimed, live calls end (up to ``drain_seconds``), and
``fscc engine`` / ``fscc run`` exit 0 on SIGTERM and SIGINT."""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

import gevent
import pytest
import yaml

from engine.store import Agent, Attempt, Campaign, Contact
from tests.engine.sim import free_port, running, scenario_file, wait_until

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRUNK = {"external_dial": "sofia/gateway/trunk/{number}"}


def progressive(talk_time: float) -> tuple[Agent, Campaign, list[dict[str, object]]]:
    from engine.campaigns.dispositions import ensure_default_types

    ensure_default_types()
    agent = Agent.create(name="Agent 1", extension="1001", sip_password="pw", wrap_up_seconds=0)
    campaign = Campaign.create(name="progressive", status="running", dial_mode="progressive",
                               caller_id_number="+14155550000", ring_timeout_seconds=15, calls_per_second=20,
                               local_window_start="00:00", local_window_end="24:00", wrap_up_seconds=0)
    for i in range(5):
        Contact.create(campaign=campaign, phone=f"+121255501{i:02d}")
    customers = [{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.2, "talk_time": talk_time}]
    return agent, campaign, customers


def talking(engine) -> int:
    """Campaign calls answered and not yet ended."""
    return sum(1 for dialer in engine.dialing.group.dialers.values() for call in dialer.live.values()
               if call.answered_at is not None)


@pytest.mark.timeout(90)
def test_drain_lets_the_live_call_end_and_claims_nothing_more(sqlite_store, tmp_path):
    agent, campaign, customers = progressive(talk_time=1.5)
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.1}], customers=customers)
    with running(tmp_path, scenario, "routes: []\n", dialer=True, extra=TRUNK) as (engine, sim):
        engine.agent_login(agent.id)
        wait_until(lambda: talking(engine) == 1, timeout=30)
        assert engine.live_calls() >= 1
        dialed = Attempt.select().count()
        assert engine.drain(30) == 0  # returned once the call ended, long before the 30 s
        (attempt,) = Attempt.select()
        assert Attempt.select().count() == dialed == 1 and attempt.outcome == "answered"
        assert sorted(c.status for c in Contact.select()) == ["done"] + ["new"] * 4


@pytest.mark.timeout(90)
def test_drain_gives_up_after_drain_seconds_on_the_engine_clock(sqlite_store, tmp_path):
    agent, campaign, customers = progressive(talk_time=600)
    scenario = scenario_file(tmp_path, [{"extension": "1001", "answer_delay": 0.1}], customers=customers)
    with running(tmp_path, scenario, "routes: []\n", dialer=True, extra=TRUNK) as (engine, sim):
        engine.agent_login(agent.id)
        wait_until(lambda: talking(engine) == 1, timeout=30)
        started = engine.clock.now()
        assert engine.drain(0.5) >= 1
        assert engine.clock.now() - started >= 0.5


@pytest.mark.timeout(90)
@pytest.mark.parametrize("command, signum", [("engine", signal.SIGTERM), ("run", signal.SIGINT)])
def test_the_engine_process_exits_0_on_a_stop_signal(sqlite_store, tmp_path, command, signum):
    from simswitch.switch import SimSwitch

    outbound_port = free_port()
    (tmp_path / "dialplans").mkdir()
    (tmp_path / "dialplans" / "routes.yaml").write_text("routes: []\n")
    sim = SimSwitch(port=0, scenario=scenario_file(tmp_path, []), outbound=f"127.0.0.1:{outbound_port}").start()
    config = tmp_path / "fscc.yaml"
    config.write_text(yaml.safe_dump({
        "database_url": sqlite_store, "esl_nodes": [{"name": "fs1", "host": "127.0.0.1", "port": sim.port}],
        "outbound_port": outbound_port, "web_port": free_port(), "campaign_socket_port": free_port(),
        "dialplans_dir": str(tmp_path / "dialplans"), "drain_seconds": 5}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FSCC_")}
    process = subprocess.Popen([sys.executable, "-m", "control.entry", "--config", str(config), command],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = gevent.spawn(lambda: lines.extend(process.stdout))  # type: ignore[arg-type]
    started = "control plane listening" if command == "run" else "campaign dialing started"
    try:
        wait_until(lambda: any(started in line for line in lines) or process.poll() is not None, timeout=30)
        assert process.poll() is None, "".join(lines)
        process.send_signal(signum)
        process.wait(timeout=30)
        reader.join(timeout=5)
        output = "".join(lines)
        assert process.returncode == 0, output
        assert "draining live calls" in output and "Traceback" not in output
    finally:
        if process.poll() is None:
            process.kill()
        sim.stop()
