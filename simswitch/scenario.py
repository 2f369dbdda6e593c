"""Scenario file: the simulated world behind simswitch (format in simswitch/README.md).

Every field is validated on load; errors name the field path, e.g.
`customers[0].busy: expected a number between 0 and 1, got 'x'`.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ScenarioError(ValueError):
    """Invalid scenario file; the message names the offending field."""


@dataclass(frozen=True)
class Distribution:
    """A duration distribution in simulated seconds."""

    kind: str = "fixed"
    a: float = 0.0
    b: float = 0.0

    def sample(self, rng: random.Random) -> float:
        """One draw (never negative)."""
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        if self.kind == "exponential":
            return rng.expovariate(1.0 / self.a) if self.a > 0 else 0.0
        if self.kind == "normal":
            return max(0.0, rng.gauss(self.a, self.b))
        # lognormal given by its mean and the sigma of the underlying normal
        mu = math.log(self.a) - self.b * self.b / 2 if self.a > 0 else 0.0
        return rng.lognormvariate(mu, self.b)


@dataclass
class CustomerProfile:
    """How numbers matching `pattern` behave when dialled."""

    pattern: re.Pattern[str]
    answer: float = 1.0
    busy: float = 0.0
    no_answer: float = 0.0
    invalid: float = 0.0
    ring_time: Distribution = field(default_factory=lambda: Distribution("fixed", 1.0))
    machine: float = 0.0
    greeting: Distribution = field(default_factory=lambda: Distribution("fixed", 5.0))
    talk_time: Distribution = field(default_factory=lambda: Distribution("fixed", 30.0))
    dtmf: list[str] = field(default_factory=list)
    early_media: bool = False


@dataclass
class AgentProfile:
    """A phone reachable as `user/<extension>`."""

    extensions: list[str]
    registered: bool = True
    answer_delay: Distribution = field(default_factory=lambda: Distribution("fixed", 1.0))
    reject: float = 0.0
    talk_time: Distribution | None = None


@dataclass
class InboundFlow:
    """Poisson arrivals of calls to `did`."""

    did: str
    rate: float
    callers: list[str]
    talk_time: Distribution = field(default_factory=lambda: Distribution("fixed", 60.0))
    dtmf: list[str] = field(default_factory=list)


DEFAULT_DIALPLAN: dict[str, list[str]] = {
    "esl_echo": ["answer", "echo"],
    "esl_conf": ["answer", "conference esltest@default"],
    "esl_outbound": ["socket {outbound} async full"],
    "esl_outbound2": ["socket {outbound} async full"],
    "park": ["park"],
}


# The 28 modules of the shared FreeSWITCH test bundle (../shared/freeswitch/README.md): no mod_amd.
BUNDLE_MODULES = (
    "mod_avmd", "mod_callcenter", "mod_commands", "mod_conference", "mod_console", "mod_db",
    "mod_dialplan_xml", "mod_dptools", "mod_esf", "mod_event_socket", "mod_expr", "mod_fifo", "mod_hash",
    "mod_local_stream", "mod_logfile", "mod_loopback", "mod_native_file", "mod_opus", "mod_say_en",
    "mod_say_ru", "mod_say_zh", "mod_sndfile", "mod_sofia", "mod_spandsp", "mod_tone_stream",
    "mod_valet_parking", "mod_voicemail", "mod_xml_curl")


@dataclass
class Scenario:
    """The whole simulated world."""

    seed: int = 0
    customers: list[CustomerProfile] = field(default_factory=list)
    agents: list[AgentProfile] = field(default_factory=list)
    inbound: list[InboundFlow] = field(default_factory=list)
    gateways: list[str] = field(default_factory=list)
    dialplan: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_DIALPLAN))
    inbound_extension: str = "inbound_socket"
    # Loaded FreeSWITCH modules (`modules:`); the default is the shared test bundle's set.
    modules: list[str] = field(default_factory=lambda: list(BUNDLE_MODULES))

    def customer_for(self, number: str) -> CustomerProfile | None:
        """First customer profile whose pattern matches `number`."""
        for profile in self.customers:
            if profile.pattern.search(number):
                return profile
        return None

    def agent_for(self, extension: str) -> AgentProfile | None:
        """Agent phone profile for `extension`, if any."""
        for profile in self.agents:
            if extension in profile.extensions:
                return profile
        return None


def _number(value: Any, where: str, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ScenarioError(f"{where}: expected a number between {low} and {high}, got {value!r}")
    return float(value)


def _distribution(value: Any, where: str) -> Distribution:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Distribution("fixed", _number(value, where))
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected a number or a mapping with 'dist', got {value!r}")
    kind = value.get("dist", "fixed")
    fields = {"fixed": ("value", None), "uniform": ("low", "high"),
              "lognormal": ("mean", "sigma"), "exponential": ("mean", None),
              "normal": ("mean", "sd")}
    if kind not in fields:
        raise ScenarioError(f"{where}.dist: unknown distribution {kind!r} "
                            f"(use one of {', '.join(fields)})")
    first, second = fields[kind]
    if first not in value:
        raise ScenarioError(f"{where}.{first}: required for dist {kind}")
    a = _number(value[first], f"{where}.{first}")
    b = _number(value.get(second, 0.0), f"{where}.{second}") if second else 0.0
    if kind == "uniform" and b < a:
        raise ScenarioError(f"{where}.high: must be >= low")
    return Distribution(kind, a, b)


def _pattern(item: dict[str, Any], where: str) -> re.Pattern[str]:
    if "regex" in item:
        try:
            return re.compile(str(item["regex"]))
        except re.error as exc:
            raise ScenarioError(f"{where}.regex: invalid regular expression: {exc}") from exc
    if "prefix" in item:
        return re.compile("^" + re.escape(str(item["prefix"])))
    raise ScenarioError(f"{where}: needs 'prefix' or 'regex'")


def _digits_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(re.fullmatch(r"[0-9*#A-D]*", str(v)) for v in value):
        raise ScenarioError(f"{where}: expected a list of DTMF strings (0-9 * # A-D)")
    return [str(v) for v in value]


def _customer(item: Any, where: str) -> CustomerProfile:
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping")
    shares = {key: _number(item.get(key, 0.0), f"{where}.{key}", 0, 1)
              for key in ("busy", "no_answer", "invalid")}
    answer = _number(item.get("answer", 1.0 - sum(shares.values())), f"{where}.answer", 0, 1)
    if abs(answer + sum(shares.values()) - 1.0) > 1e-6:
        raise ScenarioError(f"{where}: answer + busy + no_answer + invalid must equal 1")
    profile = CustomerProfile(_pattern(item, where), answer=answer, busy=shares["busy"],
                              no_answer=shares["no_answer"], invalid=shares["invalid"])
    for key in ("ring_time", "greeting", "talk_time"):
        if key in item:
            setattr(profile, key, _distribution(item[key], f"{where}.{key}"))
    profile.machine = _number(item.get("machine", 0.0), f"{where}.machine", 0, 1)
    profile.dtmf = _digits_list(item.get("dtmf", []), f"{where}.dtmf")
    profile.early_media = bool(item.get("early_media", False))
    return profile


def _extensions(value: Any, where: str) -> list[str]:
    text = str(value)
    match = re.fullmatch(r"(\d+)-(\d+)", text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if high < low or high - low > 100_000:
            raise ScenarioError(f"{where}: bad range {text!r}")
        return [str(n) for n in range(low, high + 1)]
    if not re.fullmatch(r"[\w.@-]+", text):
        raise ScenarioError(f"{where}: bad extension {text!r}")
    return [text]


def _agent(item: Any, where: str) -> AgentProfile:
    if not isinstance(item, dict) or "extension" not in item:
        raise ScenarioError(f"{where}: expected a mapping with 'extension'")
    profile = AgentProfile(_extensions(item["extension"], f"{where}.extension"))
    profile.registered = bool(item.get("registered", True))
    if "answer_delay" in item:
        profile.answer_delay = _distribution(item["answer_delay"], f"{where}.answer_delay")
    profile.reject = _number(item.get("reject", 0.0), f"{where}.reject", 0, 1)
    if item.get("talk_time") is not None:
        profile.talk_time = _distribution(item["talk_time"], f"{where}.talk_time")
    return profile


def _inbound(item: Any, where: str) -> InboundFlow:
    if not isinstance(item, dict) or "did" not in item:
        raise ScenarioError(f"{where}: expected a mapping with 'did'")
    callers = item.get("callers", ["15550100"])
    if not isinstance(callers, list) or not callers:
        raise ScenarioError(f"{where}.callers: expected a non-empty list of numbers")
    flow = InboundFlow(str(item["did"]), _number(item.get("rate", 0.0), f"{where}.rate"),
                       [str(c) for c in callers])
    if "talk_time" in item:
        flow.talk_time = _distribution(item["talk_time"], f"{where}.talk_time")
    flow.dtmf = _digits_list(item.get("dtmf", []), f"{where}.dtmf")
    return flow


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Validate a decoded YAML document into a `Scenario`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: top level must be a mapping")
    known = {"seed", "customers", "agents", "inbound", "gateways", "dialplan", "modules"}
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")
    scenario = Scenario(seed=int(_number(data.get("seed", 0), "seed")))
    for key, parse in (("customers", _customer), ("agents", _agent), ("inbound", _inbound)):
        items = data.get(key, []) or []
        if not isinstance(items, list):
            raise ScenarioError(f"{key}: expected a list")
        setattr(scenario, key, [parse(item, f"{key}[{i}]") for i, item in enumerate(items)])
    gateways = data.get("gateways", []) or []
    if not isinstance(gateways, list):
        raise ScenarioError("gateways: expected a list of names")
    scenario.gateways = [str(g) for g in gateways]
    if "modules" in data:
        modules = data["modules"]
        if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
            raise ScenarioError("modules: expected a list of module names (mod_amd, mod_avmd, ...)")
        scenario.modules = list(modules)
    dialplan = data.get("dialplan", {}) or {}
    if not isinstance(dialplan, dict):
        raise ScenarioError("dialplan: expected a mapping extension -> list of 'app args'")
    for ext, apps in dialplan.items():
        if not isinstance(apps, list) or not all(isinstance(a, str) for a in apps):
            raise ScenarioError(f"dialplan.{ext}: expected a list of 'app args' strings")
        scenario.dialplan[str(ext)] = apps
    return scenario


def load_scenario(path: str | Path | None) -> Scenario:
    """Read and validate a scenario YAML file (None → empty world with defaults)."""
    if path is None:
        return Scenario()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: invalid YAML: {exc}") from exc
    return parse_scenario(data, str(path))
