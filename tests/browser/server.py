"""The server under test for the browser tests, run as its own process.

One gevent process holds what ``fscc demo`` holds: the store seeded with the demo data,
simswitch (in-process, on a free port), the Engine connected to it over TCP, and the
control plane. A second, test-only port lets a test place an inbound call from a
simulated customer (``POST /inject?did=100&caller=+1...``). Prints ``READY <json>`` once
everything listens.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import pathlib  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import parse_qs  # noqa: E402

import gevent  # noqa: E402
import yaml  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
ROUTES = {"routes": [{"name": "support", "did": "100", "to": {"queue": "support"}}]}
POP_CONTACT = {"phone": "+14155550100", "first_name": "Grace", "last_name": "Hopper",
               "organisation": "Navy Labs", "custom": {"plan": "gold"}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(workdir: pathlib.Path) -> None:
    """Demo data, campaigns paused (so no dialer traffic), and a known caller for the pop."""
    from control.demo import seed_demo_data
    from engine.store import Campaign, Contact, Disposition, Queue

    seed_demo_data()
    Campaign.update(status="paused").execute()
    Queue.update(announce_position_seconds=0, wrap_up_seconds=5).execute()
    demo = Campaign.get(Campaign.name == "Demo spring offer")
    demo.settings = {**(demo.settings or {}), "questionnaire": [
        {"key": "interest", "label": "Interested in gold?", "options": ["yes", "no"]}]}
    demo.save()
    contact = Contact.create(campaign=demo, **POP_CONTACT)
    Disposition.create(contact=contact, code="follow_up", notes="asked for the spring brochure")


def start_engine(settings: Any, workdir: pathlib.Path) -> tuple[Any, Any]:
    """simswitch with one phone per agent, and the engine on it; (None, None) if not built yet."""
    try:
        from engine.core import Engine
        from simswitch.switch import SimSwitch
    except ImportError as exc:
        logging.warning("engine or simswitch not available: %s", exc)
        return None, None
    from engine.settings import EslNode
    from engine.store import Agent

    phones = [{"extension": a.extension, "answer_delay": 0.5} for a in Agent.select()]
    scenario = workdir / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({"seed": 7, "agents": phones}))
    sim = SimSwitch(port=0, scenario=scenario, outbound=f"127.0.0.1:{settings.outbound_port}").start()
    settings = dataclasses.replace(settings, esl_nodes=(EslNode("fs1", "127.0.0.1", sim.port, "ClueCon"),))
    engine = Engine(settings)
    engine.start()
    return engine, sim


def control_app(sim: Any) -> Any:
    """Test-only WSGI app: inject an inbound call from a simulated customer."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if sim is None or environ.get("PATH_INFO") != "/inject":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no simswitch"]
        channel = sim.switch.inbound.inject(query["did"][0], query["caller"][0])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [channel.uuid.encode()]

    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workdir = pathlib.Path(args.workdir)
    (workdir / "dialplans").mkdir(parents=True, exist_ok=True)
    (workdir / "dialplans" / "routes.yaml").write_text(yaml.safe_dump(ROUTES))

    from control.app import create_app
    from engine.settings import Settings
    from engine.store.db import open_database
    from engine.store.migrations import upgrade

    settings = Settings(
        database_url=f"sqlite:///{workdir / 'fscc.db'}", web_port=args.port, secret_key="browser-tests", demo_users=True,
        dialplans_dir=str(workdir / "dialplans"), sounds_dir=str(REPO / "sounds"),
        recordings_dir=str(workdir / "recordings"), outbound_port=free_port(), campaign_socket_port=free_port(),
        external_dial="loopback/{number}",
    )
    open_database(settings.database_url)
    upgrade()
    seed(workdir)
    engine, sim = start_engine(settings, workdir)
    app = create_app(settings, FSCC_ENGINE=engine)
    WSGIServer(("127.0.0.1", args.port), app, log=None).start()
    WSGIServer(("127.0.0.1", args.control_port), control_app(sim), log=None).start()
    sys.stdout.write("READY " + json.dumps({"engine": engine is not None}) + "\n")
    sys.stdout.flush()
    try:
        while True:
            gevent.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if engine is not None:
            engine.stop()
        if sim is not None:
            sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
