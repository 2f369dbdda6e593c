"""``fscc fs-config render --out DIR``: the FreeSWITCH XML of config/freeswitch with site values.

Templates use ``{{name}}`` placeholders (FreeSWITCH's ``$${var}``/``${var}`` pass through).
Every rendered XML file is parsed before it is written, so a bad value cannot produce a
file FreeSWITCH would refuse at start-up.
"""
from __future__ import annotations

import ipaddress
import pathlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import click

from engine.settings import Settings, load_settings

TEMPLATES = pathlib.Path(__file__).resolve().parent.parent / "config" / "freeswitch"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class RenderError(ValueError):
    """A template or value problem; names the file and the placeholder or field."""


def site_values(settings: Settings, **overrides: str) -> dict[str, str]:
    """Placeholder values from settings (first ESL node, outbound socket, web address)."""
    node = settings.esl_nodes[0]
    web_host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::") else settings.web_host
    values = {
        "esl_listen_ip": "127.0.0.1",
        "esl_port": str(node.port),
        "esl_password_env": "FSCC_ESL_PASSWORD",
        "directory_credentials_env": "FSCC_DIRECTORY_CREDENTIALS",
        "engine_cidr": "127.0.0.1/32",
        "outbound_host": settings.outbound_host,
        "outbound_port": str(settings.outbound_port),
        "did_pattern": str(settings.extra.get("fs_did_pattern", r"^\+?\d{2,15}$")),
        "directory_url": f"http://{web_host}:{settings.web_port}/freeswitch/directory",
        "sip_domain": str(settings.extra.get("sip_domain", "$${domain}")),
        "sounds_dir": str(pathlib.Path(settings.sounds_dir).resolve()),
        "moh_dir": str(pathlib.Path(settings.sounds_dir).resolve() / "moh"),
        "engine_down_destination": str(settings.extra.get("fs_engine_down_destination",
                                                          "engine_down XML fscc_fallback")),
        "engine_down_mailbox": str(settings.extra.get("fs_engine_down_mailbox", "fscc")),
    }
    values.update({k: v for k, v in overrides.items() if v})
    _check(values)
    return values


def _check(values: Mapping[str, str]) -> None:
    try:
        network = ipaddress.ip_network(values["engine_cidr"], strict=False)
    except ValueError:
        raise RenderError(f"engine_cidr: not a network: {values['engine_cidr']!r}") from None
    if not ipaddress.ip_address(values["esl_listen_ip"]).is_loopback:
        raise RenderError(f"esl_listen_ip: the event socket must listen on loopback, got {values['esl_listen_ip']!r}")
    if network.num_addresses > 256:
        raise RenderError(f"engine_cidr: {network} is too wide for the event-socket ACL")
    try:
        re.compile(values["did_pattern"])
    except re.error as exc:
        raise RenderError(f"did_pattern: bad regular expression: {exc}") from None
    if len(values["engine_down_destination"].split()) not in (1, 3):
        raise RenderError("fs_engine_down_destination: expected 'EXTENSION' or 'EXTENSION XML CONTEXT', "
                          f"got {values['engine_down_destination']!r}")
    for key in ("esl_password_env", "directory_credentials_env"):
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", values[key]):
            raise RenderError(f"{key}: not an environment variable name: {values[key]!r}")


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def render_text(text: str, values: Mapping[str, str], name: str = "template") -> str:
    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise RenderError(f"{name}: unknown placeholder {{{{{key}}}}}")
        return _xml_text(values[key])

    return _PLACEHOLDER.sub(substitute, text)


def render(out: pathlib.Path, values: Mapping[str, str], templates: pathlib.Path = TEMPLATES) -> list[pathlib.Path]:
    """Render every template under ``templates`` into ``out``; returns the files written."""
    written = []
    for source in sorted(templates.rglob("*.xml")):
        relative = source.relative_to(templates)
        text = render_text(source.read_text(encoding="utf-8"), values, str(relative))
        try:
            ET.fromstring(text)
        except ET.ParseError as exc:
            raise RenderError(f"{relative}: rendered XML does not parse: {exc}") from None
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


@click.group("fs-config")
def fs_config() -> None:
    """FreeSWITCH configuration that makes a stock install work with fscc."""


@fs_config.command("render")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=pathlib.Path),
              help="Directory to write (mirrors /etc/freeswitch).")
@click.option("--engine-cidr", default="", help="Who may reach the event socket (default 127.0.0.1/32).")
@click.option("--did-pattern", default="", help="Regex of inbound DIDs handed to fscc.")
@click.pass_context
def render_command(ctx: click.Context, out_dir: pathlib.Path, engine_cidr: str, did_pattern: str) -> None:
    """Write config/freeswitch with this site's values into OUT."""
    obj: Any = ctx.obj or {}
    settings = obj.get("settings") if isinstance(obj, dict) else None
    try:
        values = site_values(settings or load_settings(), engine_cidr=engine_cidr, did_pattern=did_pattern)
        written = render(out_dir, values)
    except RenderError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(str(path))
