"""The ``fscc`` command: run, engine, web, demo, db, simswitch, ivr, version.

Every sub-command loads settings the same way (``--config`` + ``FSCC_*``); a bad
setting or database URL prints one line and exits with status 2.
"""
from __future__ import annotations

import logging
import signal
import sys
from typing import Any, NoReturn

import click

from engine import __version__
from engine.logs import setup_logging
from engine.settings import ConfigError, Settings, load_settings
from engine.store.db import DatabaseURLError, open_database

log = logging.getLogger("fscc")


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"fscc: {message}", err=True)
    sys.exit(code)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def open_store(settings: Settings, *, require_current: bool = True, upgrade: bool = False) -> None:
    """Open the store; optionally migrate it, or refuse to run on an old schema."""
    from engine.store import migrations

    try:
        open_database(settings.database_url)
    except DatabaseURLError as exc:
        fail(str(exc))
    if upgrade:
        migrations.upgrade()
    if require_current:
        try:
            migrations.check_schema()
        except migrations.SchemaOutdatedError as exc:
            fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="YAML settings file (default: ./fscc.yaml when present).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """fscc: a contact-center engine for FreeSWITCH."""
    ctx.ensure_object(dict)
    if ctx.invoked_subcommand in ("version", "simswitch"):
        return
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        fail(f"config error: {exc}")
    setup_logging(settings.log_format, settings.log_level)
    ctx.obj["settings"] = settings


@cli.command()
def version() -> None:
    """Print the fscc version."""
    click.echo(f"fscc {__version__}")


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending schema migrations."""
    from engine.store import migrations

    settings = _settings(ctx)
    open_store(settings, require_current=False)
    applied = migrations.upgrade()
    click.echo(f"schema at version {migrations.current_version()}"
               + (f" (applied {', '.join(map(str, applied))})" if applied else " (nothing to do)"))


def serve_web(settings: Settings, *, engine: Any = None, block: bool = True) -> Any:
    """Serve the control plane with gevent's WSGI server (``engine``: the in-process Engine)."""
    from gevent.pywsgi import WSGIServer

    from control.app import create_app

    app = create_app(settings, FSCC_ENGINE=engine)
    server = WSGIServer((settings.web_host, settings.web_port), app, log=None, error_log=logging.getLogger("fscc.web"))
    log.info("control plane listening url=http://%s:%s/", settings.web_host, settings.web_port)
    if block:
        server.serve_forever()
    else:
        server.start()
    return server


def start_engine(settings: Settings) -> Any:
    """Start the engine (ESL nodes, outbound socket, dialer) in this gevent hub."""
    from engine.core import Engine

    engine = Engine(settings)
    engine.start()
    return engine


class StopOnSignals:
    """SIGTERM and SIGINT stop the engine gracefully: nothing new is claimed or accepted, live
    calls may end for up to ``drain_seconds``, then it stops (``engine.wait()`` returns). A
    signal during start-up takes effect once the engine is attached; a second one stops at once."""

    def __init__(self, drain_seconds: float) -> None:
        import gevent

        self.drain_seconds = drain_seconds
        self.engine: Any = None
        self.requested = False
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self._on_signal, signum)

    def attach(self, engine: Any) -> None:
        """The engine to stop (a signal that came before is acted on now)."""
        self.engine = engine
        if self.requested:
            self._drain_and_stop()

    def _on_signal(self, signum: int) -> None:
        if self.requested:
            log.warning("second stop signal: stopping now")
            if self.engine is not None:
                self.engine.stop()
            return
        self.requested = True
        log.info("stop signal %s: draining live calls for up to %s s", signal.Signals(signum).name,
                 self.drain_seconds)
        if self.engine is not None:
            self._drain_and_stop()

    def _drain_and_stop(self) -> None:
        left = self.engine.drain(self.drain_seconds)
        if left:
            log.warning("drain time over with %d live calls: stopping", left)
        self.engine.stop()


@cli.command()
@click.pass_context
def web(ctx: click.Context) -> None:
    """Start the control plane alone (talks to the engine through the store)."""
    settings = _settings(ctx)
    open_store(settings)
    serve_web(settings)


@cli.command()
@click.pass_context
def engine(ctx: click.Context) -> None:
    """Start the engine alone."""
    settings = _settings(ctx)
    open_store(settings)
    stopper = StopOnSignals(settings.drain_seconds)
    eng = start_engine(settings)
    stopper.attach(eng)
    eng.wait()


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Start engine and control plane in one gevent process (single-node default)."""
    settings = _settings(ctx)
    open_store(settings)
    stopper = StopOnSignals(settings.drain_seconds)
    eng = start_engine(settings)
    server = None
    try:
        server = serve_web(settings, engine=eng, block=False)
        stopper.attach(eng)
        eng.wait()
    finally:
        if server is not None:
            server.stop(timeout=2)
        if not eng.wait(0):
            eng.stop()


@cli.command()
@click.option("--no-simswitch", is_flag=True, help="Do not start simswitch (use FSCC_ESL's switch).")
@click.option("--fresh", is_flag=True, help="Delete the demo database first.")
@click.pass_context
def demo(ctx: click.Context, no_simswitch: bool, fresh: bool) -> None:
    """Seed demo data on SQLite and run everything against simswitch."""
    from control.demo import run_demo

    run_demo(_settings(ctx), with_simswitch=not no_simswitch, fresh=fresh)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def simswitch(ctx: click.Context) -> None:
    """Run simswitch, the FreeSWITCH stand-in (same options as `python -m simswitch`)."""
    from simswitch.cli import main as sim_main

    sys.exit(sim_main(list(ctx.args)))


def _attach_area_groups() -> None:
    # Areas that ship their own click groups plug in here (only once their module exists).
    import importlib
    import importlib.util

    for module_name, attr, name in (("engine.ivr.cli", "ivr", "ivr"), ("engine.fsconfig", "fs_config", "fs-config")):
        if importlib.util.find_spec(module_name) is None:
            continue
        group = getattr(importlib.import_module(module_name), attr, None)
        if group is not None:
            cli.add_command(group, name)


_attach_area_groups()


def main() -> None:
    cli(obj={})
