"""One settings object, loaded from a YAML file and ``FSCC_*`` environment variables.

Precedence: defaults < YAML file < environment. Every key is documented in README.md
("Configuration"). A bad value raises ``ConfigError`` naming the key.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.values import parse_bool


class ConfigError(ValueError):
    """A setting is missing or wrong; ``key`` names it."""

    def __init__(self, key: str, message: str, source: str = "") -> None:
        self.key = key
        self.source = source
        where = f" ({source})" if source else ""
        super().__init__(f"setting {key!r}{where}: {message}")


@dataclass(frozen=True)
class EslNode:
    """One FreeSWITCH node the engine controls over the inbound event socket."""

    name: str
    host: str
    port: int
    password: str


@dataclass(frozen=True)
class Settings:
    """Everything fscc reads at start-up; defaults run the demo on one laptop."""

    database_url: str = "sqlite:///var/fscc.db"
    log_format: str = "kv"  # kv | json
    log_level: str = "INFO"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    secret_key: str = "change-me-in-production"
    engine_api_host: str = "127.0.0.1"
    engine_api_port: int = 8081
    esl_nodes: tuple[EslNode, ...] = (EslNode("fs1", "127.0.0.1", 8021, "ClueCon"),)
    outbound_host: str = "127.0.0.1"
    outbound_port: int = 8084
    dialer_enabled: bool = True
    drain_seconds: int = 30  # on SIGTERM/SIGINT: how long live calls may go on before the engine exits
    campaign_socket_host: str = "127.0.0.1"
    campaign_socket_port: int = 8085
    external_dial: str = "sofia/gateway/default/{number}"
    recordings_dir: str = "var/recordings"
    sounds_dir: str = "sounds"
    tts_cache_dir: str = "sounds/cache"
    dialplans_dir: str = "dialplans"
    default_region: str = "US"
    timezone: str = "UTC"
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    demo_users: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_INT_KEYS = {"web_port", "engine_api_port", "outbound_port", "campaign_socket_port", "login_max_failures",
             "login_lockout_seconds", "drain_seconds"}
_PORT_KEYS = {"web_port", "engine_api_port", "outbound_port", "campaign_socket_port"}
_BOOL_KEYS = {"demo_users", "dialer_enabled"}
_CHOICES = {"log_format": ("kv", "json"), "log_level": ("DEBUG", "INFO", "WARNING", "ERROR")}
_KNOWN = {f.name for f in dataclasses.fields(Settings)} - {"extra"}


def parse_esl_node(text: str, key: str, name: str = "fs1") -> EslNode:
    """Parse ``host:port[:password]`` into an EslNode."""
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0]:
        raise ConfigError(key, f"expected host:port[:password], got {text!r}")
    port = _as_port(parts[1], key)
    return EslNode(name, parts[0], port, parts[2] if len(parts) == 3 else "ClueCon")


def _as_port(value: Any, key: str, source: str = "") -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ConfigError(key, f"must be an integer port, got {value!r}", source) from None
    if not 1 <= port <= 65535:
        raise ConfigError(key, f"port must be between 1 and 65535, got {port}", source)
    return port


def _coerce(key: str, value: Any, source: str) -> Any:
    if key == "esl_nodes":
        return _esl_nodes(value, source)
    if key in _INT_KEYS:
        if key in _PORT_KEYS:
            return _as_port(value, key, source)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(key, f"must be an integer, got {value!r}", source) from None
        if number < 0:
            raise ConfigError(key, f"must not be negative, got {number}", source)
        return number
    if key in _BOOL_KEYS:
        try:
            return parse_bool(value)
        except ValueError:
            raise ConfigError(key, f"must be true or false, got {value!r}", source) from None
    if not isinstance(value, (str, int, float)):
        raise ConfigError(key, f"must be a string, got {type(value).__name__}", source)
    text = str(value)
    if key in _CHOICES:
        text = text.upper() if key == "log_level" else text.lower()
        if text not in _CHOICES[key]:
            raise ConfigError(key, f"must be one of {', '.join(_CHOICES[key])}, got {value!r}", source)
    if key == "default_region" and (len(text) != 2 or not text.isalpha()):
        raise ConfigError(key, f"must be a two-letter region code like US or GB, got {value!r}", source)
    if key == "timezone":
        _check_timezone(text, source)
    if key == "external_dial" and "{number}" not in text:
        raise ConfigError(key, f"must contain {{number}}, e.g. sofia/gateway/carrier/{{number}}, got {value!r}", source)
    return text


def _check_timezone(name: str, source: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"unknown time zone {name!r}", source) from None


def _esl_nodes(value: Any, source: str) -> tuple[EslNode, ...]:
    if isinstance(value, str):
        return tuple(
            parse_esl_node(item.strip(), "esl_nodes", f"fs{i + 1}")
            for i, item in enumerate(value.split(","))
            if item.strip()
        )
    if not isinstance(value, list) or not value:
        raise ConfigError("esl_nodes", "must be a non-empty list of {name, host, port, password}", source)
    nodes = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(f"esl_nodes[{i}]", "must be a mapping with host and port", source)
        unknown = set(item) - {"name", "host", "port", "password"}
        if unknown:
            raise ConfigError(f"esl_nodes[{i}].{sorted(unknown)[0]}", "unknown key", source)
        if not item.get("host"):
            raise ConfigError(f"esl_nodes[{i}].host", "is required", source)
        nodes.append(EslNode(
            str(item.get("name") or f"fs{i + 1}"), str(item["host"]),
            _as_port(item.get("port", 8021), f"esl_nodes[{i}].port", source), str(item.get("password", "ClueCon")),
        ))
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        raise ConfigError("esl_nodes", f"node names must be unique, got {names}", source)
    return tuple(nodes)


def load_settings(path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from ``path`` (or ./fscc.yaml when present) and the environment."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    config_path = pathlib.Path(path) if path else pathlib.Path("fscc.yaml")
    if path and not config_path.exists():
        raise ConfigError("--config", f"file {str(config_path)!r} does not exist")
    if config_path.exists():
        source = str(config_path)
        try:
            data = yaml.safe_load(config_path.read_text()) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
            raise ConfigError("--config", f"invalid YAML at {where}: {getattr(exc, 'problem', exc)}") from None
        if not isinstance(data, dict):
            raise ConfigError("--config", f"{source} must hold a mapping of settings")
        for key, value in data.items():
            if key == "extra":
                extra.update(value or {})
            elif key not in _KNOWN:
                raise ConfigError(str(key), "unknown setting", source)
            else:
                values[key] = _coerce(key, value, source)
    for key in _KNOWN:
        env_name = f"FSCC_{key.upper()}"
        if env_name in env:
            values[key] = _coerce(key, env[env_name], env_name)
    if "FSCC_ESL" in env:
        values["esl_nodes"] = _esl_nodes(env["FSCC_ESL"], "FSCC_ESL")
    return Settings(**values, extra=extra)
