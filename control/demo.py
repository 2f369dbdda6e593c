"""`fscc demo`: seed a small call center on SQLite and run it against simswitch."""
from __future__ import annotations

import dataclasses
import logging
import pathlib
import subprocess
import sys
import time

import click

from engine.api import EngineAPI
from engine.settings import Settings
from engine.store import (
    Agent,
    Campaign,
    CampaignAgent,
    Contact,
    DispositionType,
    Queue,
    QueueMember,
    Schedule,
    Team,
    User,
    UserTeam,
    database,
)

log = logging.getLogger(__name__)

DEMO_USERS = (
    # username, password, role, full name
    ("admin", "admin-demo", "admin", "Ada Admin"),
    ("supervisor", "supervisor-demo", "supervisor", "Sam Supervisor"),
    ("agent1", "agent1-demo", "agent", "Alice Agent"),
    ("agent2", "agent2-demo", "agent", "Bob Agent"),
    ("agent3", "agent3-demo", "agent", "Carol Agent"),
    ("auditor", "auditor-demo", "auditor", "Aud Itor"),
)
DEMO_SCENARIO = pathlib.Path(__file__).resolve().parent / "demo_scenario.yaml"
DEMO_GATEWAY = "sofia/gateway/demo/{number}"
# Simulated colleagues logged in and ready at start, so calls flow before anyone signs in.
DEMO_AUTO_READY = ("agent2", "agent3")


def seed_demo_data() -> None:
    """Create demo users, a team, agents, a queue and a running campaign (idempotent)."""
    from control.auth import hash_password
    from engine.store import DEFAULT_DISPOSITIONS

    with database.atomic():
        team, _ = Team.get_or_create(name="Sales", defaults={"description": "Demo sales team"})
        agents = []
        for i, (username, password, role, full_name) in enumerate(DEMO_USERS):
            user = User.get_or_none(User.username == username)
            if user is None:
                user = User.create(username=username, password_hash=hash_password(password),
                                   role=role, full_name=full_name)
            UserTeam.get_or_create(user=user, team=team)
            if role == "agent":
                agent = Agent.get_or_none(Agent.user == user) or Agent.create(
                    user=user, team=team, name=full_name, extension=str(1000 + i - 1),
                    sip_password=f"demo-sip-{1000 + i - 1}")
                agents.append(agent)
        hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
        schedule, _ = Schedule.get_or_create(name="Always open", defaults={"hours": hours, "timezone": "UTC"})
        queue, _ = Queue.get_or_create(name="support", defaults={"team": team, "strategy": "longest_idle",
                                                                  "schedule": schedule})
        for pos, agent in enumerate(agents, start=1):
            QueueMember.get_or_create(queue=queue, agent=agent, defaults={"position": pos})
        for code in DEFAULT_DISPOSITIONS:
            DispositionType.get_or_create(campaign=None, code=code,
                                          defaults={"label": code.replace("_", " ").title(),
                                                    "success": code == "success",
                                                    "final": code in ("failed", "success")})
        campaign, created = Campaign.get_or_create(
            name="Demo spring offer",
            defaults={"team": team, "dial_mode": "progressive", "status": "running", "schedule": schedule,
                      "caller_id_number": "+15550100100", "local_window_start": "00:00",
                      "local_window_end": "23:59", "script": "Hello {first_name}, this is fscc calling..."})
        for agent in agents:
            CampaignAgent.get_or_create(campaign=campaign, agent=agent)
        if created:
            # Fictional numbers (555-01xx) in New York and Los Angeles.
            Contact.insert_many([
                {"campaign": campaign, "phone": f"+1{area}5550{n:03d}", "first_name": f"Customer {area}-{n}",
                 "import_row": i}
                for i, (area, n) in enumerate(((a, n) for a in (212, 310) for n in range(100, 200)), start=1)
            ]).execute()


def _start_simswitch(settings: Settings) -> subprocess.Popen[bytes] | None:
    node = settings.esl_nodes[0]
    cmd = [sys.executable, "-m", "simswitch", "--host", node.host, "--port", str(node.port),
           "--password", node.password, "--outbound", f"{settings.outbound_host}:{settings.outbound_port}"]
    cmd += ["--scenario", str(DEMO_SCENARIO)]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        log.warning("simswitch could not start: %s", exc)
        return None
    deadline = time.monotonic() + 10
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode(errors="replace")
        if not line:
            break
        if "listening" in line:
            return proc
    log.warning("simswitch did not report ready; exit code %s", proc.poll())
    return proc if proc.poll() is None else None


def _ready_simulated_agents(engine: EngineAPI) -> None:
    for username in DEMO_AUTO_READY:
        agent = Agent.select().join(User).where(User.username == username).first()
        if agent is None:
            continue
        try:
            engine.agent_login(agent.id)
            engine.agent_ready(agent.id)
        except Exception as exc:  # noqa: BLE001 - the demo goes on without that colleague
            log.warning("demo agent %s not made ready: %s", username, exc)


def run_demo(settings: Settings, *, with_simswitch: bool = True, fresh: bool = False) -> None:
    """Seed the demo store, start simswitch and run engine + control plane."""
    from control.cli import open_store, serve_web, start_engine

    if fresh and settings.database_url.startswith("sqlite:///"):
        path = pathlib.Path(settings.database_url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            p = path.with_name(path.name + suffix)
            if p.exists():
                p.unlink()
    external_dial = DEMO_GATEWAY if settings.external_dial == Settings.external_dial else settings.external_dial
    settings = dataclasses.replace(settings, demo_users=True, external_dial=external_dial)
    open_store(settings, upgrade=True)
    seed_demo_data()
    sim = _start_simswitch(settings) if with_simswitch else None
    engine = None
    try:
        engine = start_engine(settings)
        _ready_simulated_agents(engine)
        url = f"http://{settings.web_host}:{settings.web_port}/"
        click.echo(f"\nfscc demo is up: {url}\n\nDemo logins (user / password / role):")
        for username, password, role, _ in DEMO_USERS:
            click.echo(f"  {username:<11} {password:<16} {role}")
        click.echo(f"\nsimswitch: {'running' if sim else 'not started'} · database: {settings.database_url}"
                   f" · Ctrl-C stops everything\n")
        sys.stdout.flush()
        serve_web(settings, engine=engine)
    except KeyboardInterrupt:
        pass
    finally:
        if engine is not None:
            engine.stop()
        if sim is not None and sim.poll() is None:
            sim.terminate()
            sim.wait(5)
