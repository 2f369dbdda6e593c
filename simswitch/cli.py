"""Command line: `python -m simswitch --port 8021 --password PW --scenario FILE ...`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from simswitch.scenario import ScenarioError, load_scenario


def _host_port(text: str) -> str:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `simswitch` / `fscc simswitch`."""
    parser = argparse.ArgumentParser(prog="simswitch",
                                     description="FreeSWITCH stand-in speaking real ESL")
    parser.add_argument("--host", default="127.0.0.1", help="ESL listen address")
    parser.add_argument("--port", type=int, default=8021, help="ESL listen port (0 = any)")
    parser.add_argument("--password", default="ClueCon", help="ESL password")
    parser.add_argument("--scenario", default=None, help="scenario YAML file")
    parser.add_argument("--outbound", type=_host_port, default="127.0.0.1:8084",
                        help="HOST:PORT the `socket` app connects inbound calls to")
    parser.add_argument("--seed", type=int, default=None, help="override the scenario seed")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per real second")
    parser.add_argument("--sounds", default=None,
                        help="directory relative playback paths resolve against (sound_prefix)")
    parser.add_argument("--log-level", default="WARNING", help="Python logging level")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run simswitch until interrupted; prints `simswitch listening on HOST:PORT`."""
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all()
    import gevent
    import gevent.event

    from simswitch.switch import SimSwitch

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.speed <= 0:
        print("simswitch: --speed must be > 0", file=sys.stderr)
        return 2
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"simswitch: {exc}", file=sys.stderr)
        return 2
    sim = SimSwitch(args.host, args.port, args.password, scenario, args.outbound,
                    args.seed, args.speed)
    if args.sounds:
        sim.switch.global_vars["sound_prefix"] = args.sounds
    try:
        sim.start()
    except OSError as exc:
        print(f"simswitch: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(f"simswitch listening on {sim.host}:{sim.port}\n")
    sys.stdout.flush()
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0
