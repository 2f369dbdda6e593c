"""`originate` and the bridge app: dial strings, endpoints and the simulated far end.

Event order per endpoint follows the captures: loopback (b_*), sofia (i1_*), error/ (d_*).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event as Flag

from simswitch.apps import Message, run_apps
from simswitch.causes import parse_cause
from simswitch.channel import Channel, HangupSignal
from simswitch.scenario import AgentProfile, CustomerProfile, Distribution

if TYPE_CHECKING:
    from simswitch.switch import Switch

USAGE = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] "
         "[<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n")


# An answering machine records up to this long after its greeting, then hangs up.
MACHINE_MESSAGE_SECONDS = 30.0


class OriginateFailed(Exception):
    """The leg could not be connected; `cause` is the hangup cause name."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


@dataclass
class Leg:
    """One endpoint of a dial string with its variables ({} merged with [])."""

    endpoint: str
    variables: dict[str, str] = field(default_factory=dict)


def split_vars(text: str) -> dict[str, str]:
    """`a=1,b='x,y',c=z\\,w` → dict (comma escapes and single quotes honoured)."""
    sep = ","
    if text.startswith("^^") and len(text) > 2:
        sep, text = text[2], text[3:]
    out: dict[str, str] = {}
    item, quoted, i = "", False, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] == sep:
            item += sep
            i += 2
            continue
        if char == "'":
            quoted = not quoted
        elif char == sep and not quoted:
            _add_var(out, item)
            item = ""
        else:
            item += char
        i += 1
    _add_var(out, item)
    return out


def _add_var(out: dict[str, str], item: str) -> None:
    name, eq, value = item.partition("=")
    if eq and name.strip():
        out[name.strip()] = value


def parse_dial_string(dial: str) -> list[Leg]:
    """Legs in dialling order; `,` (simultaneous) and `|` (failover) both try in turn."""
    global_vars: dict[str, str] = {}
    while dial[:1] in ("{", "<"):
        close = "}" if dial[0] == "{" else ">"
        end = dial.find(close)
        if end < 0:
            break
        global_vars.update(split_vars(dial[1:end]))
        dial = dial[end + 1:]
    legs: list[Leg] = []
    for group in dial.replace(":_:", "|").split("|"):
        for part in _split_top(group, ","):
            local = dict(global_vars)
            part = part.strip()
            if part.startswith("["):
                end = part.find("]")
                if end > 0:
                    local.update(split_vars(part[1:end]))
                    part = part[end + 1:]
            if part:
                legs.append(Leg(part, local))
    return legs


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, item = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == sep and depth == 0:
            parts.append(item)
            item = ""
        else:
            item += char
    parts.append(item)
    return parts


def parse_target(target: str) -> list[Message]:
    """`&app(args)` → one message; anything else is an extension for the dialplan."""
    if target.startswith("&"):
        body = target[1:]
        name, _, rest = body.partition("(")
        args = rest[:-1] if rest.endswith(")") else rest
        return [Message(name, args)]
    return []


class Dialer:
    """Creates outbound legs and plays the far end the scenario describes."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch

    def originate_api(self, args: str) -> str:
        """The `originate` API: body `+OK <uuid>\\n` or `-ERR <CAUSE>\\n`."""
        argv = [a for a in args.split(" ") if a]
        if len(argv) < 2:
            return USAGE
        dial, target = argv[0], argv[1]
        timeout = 60.0
        if len(argv) > 6 and argv[6].isdigit():
            timeout = float(argv[6])
        try:
            chan = self.dial(dial, timeout, cid_name=_opt(argv, 4), cid_number=_opt(argv, 5))
        except OriginateFailed as failed:
            return f"-ERR {failed.cause}\n"
        steps = parse_target(target) or self.switch.dialplan_steps(target)
        chan.greenlet = self.switch.spawn(self._run_a_leg, chan, steps)
        return f"+OK {chan.uuid}\n"

    def _run_a_leg(self, chan: Channel, steps: list[Message]) -> None:
        if chan.alive:
            chan.set_state("CS_EXECUTE")
        run_apps(chan, steps)

    def dial(self, dial: str, timeout: float = 60.0, cid_name: str | None = None,
             cid_number: str | None = None, inherit: dict[str, str] | None = None,
             from_api: bool = True) -> Channel:
        """Dial every leg in turn; the first answered channel wins.

        Legs originated by the API get their caller id flipped on answer (CALL_UPDATE),
        legs dialled by `bridge` keep it, as in FreeSWITCH.
        """
        legs = parse_dial_string(dial)
        if not legs:
            raise OriginateFailed("DESTINATION_OUT_OF_ORDER")
        cause = "NORMAL_CLEARING"
        for leg in legs:
            variables = dict(inherit or {})
            variables.update(leg.variables)
            if cid_name:
                variables.setdefault("origination_caller_id_name", cid_name)
            if cid_number:
                variables.setdefault("origination_caller_id_number", cid_number)
            leg_timeout = float(variables.get("leg_timeout")
                                or variables.get("originate_timeout") or timeout)
            try:
                return self._dial_leg(leg.endpoint, variables, leg_timeout, from_api)
            except OriginateFailed as failed:
                cause = failed.cause
        raise OriginateFailed(cause)

    def _dial_leg(self, endpoint: str, variables: dict[str, str], timeout: float,
                  flip: bool) -> Channel:
        kind, _, rest = endpoint.partition("/")
        if kind == "error":
            raise OriginateFailed(parse_cause(rest))
        if kind == "loopback":
            return self._loopback(rest.split("/")[0], variables, timeout, flip)
        scenario = self.switch.scenario
        if kind == "user":
            extension = rest.split("@")[0]
            profile = scenario.agent_for(extension)
            if profile is None and scenario.agents:
                raise OriginateFailed("SUBSCRIBER_ABSENT")
            name = f"sofia/internal/{extension}@{self.switch.bus.ipv4}"
            return self._far_end(name, extension, variables, timeout, flip,
                                 agent=profile or AgentProfile([extension]))
        if kind == "sofia":
            profile_name, _, target = rest.partition("/")
            if profile_name == "gateway":
                gateway, _, number = target.partition("/")
                if scenario.gateways and gateway not in scenario.gateways:
                    raise OriginateFailed("INVALID_GATEWAY")
                name = f"sofia/gateway/{gateway}/{number}"
            else:
                number = target.split("@")[0]
                name = f"sofia/{profile_name}/{target}"
                agent = scenario.agent_for(number)
                if agent is not None:
                    return self._far_end(name, number, variables, timeout, flip, agent=agent)
            customer = scenario.customer_for(number)
            if customer is None and (scenario.customers or profile_name != "gateway"):
                return self._unreachable(name, number, variables, profile_name)
            return self._far_end(name, number, variables, timeout, flip, customer=customer)
        raise OriginateFailed("CHAN_NOT_IMPLEMENTED")

    # -- endpoints ------------------------------------------------------------------------------
    def _new_outbound(self, name: str, number: str, variables: dict[str, str],
                      source: str) -> Channel:
        cid_number = variables.get("origination_caller_id_number", "0000000000")
        cid_name = variables.get("origination_caller_id_name", "")
        chan = Channel(self.switch, name, "outbound", number, cid_number, cid_name, source,
                       uuid=variables.get("origination_uuid") or None)
        chan.variables["channel_name"] = name
        if source != "mod_loopback":
            chan.profile["Dialplan"] = ""
        chan.variables.update(variables)
        chan.variables["originate_early_media"] = "true"
        chan.variables["originate_endpoint"] = name.split("/")[0]
        return chan

    def _start(self, chan: Channel) -> None:
        chan.emit("CHANNEL_OUTGOING")
        chan.set_state("CS_INIT", 1)
        chan.state_number = 2
        chan.emit("CHANNEL_CREATE")
        chan.emit("CHANNEL_ORIGINATE")
        chan.set_state("CS_ROUTING")

    def _fail(self, chan: Channel, cause: str, disposition: str = "recv_refuse") -> None:
        chan.hangup(cause, disposition)
        chan.teardown()
        raise OriginateFailed(cause)

    def _unreachable(self, name: str, number: str, variables: dict[str, str],
                     profile: str) -> Channel:
        chan = self._new_outbound(name, number, variables, "src/switch_ivr_originate.c")
        chan.greenlet = gevent.getcurrent()
        self._start(chan)
        self._fail(chan, "NORMAL_TEMPORARY_FAILURE" if profile != "gateway"
                   else "UNALLOCATED_NUMBER")
        raise AssertionError("unreachable")

    def _far_end(self, name: str, number: str, variables: dict[str, str], timeout: float,
                 flip: bool, customer: CustomerProfile | None = None,
                 agent: AgentProfile | None = None) -> Channel:
        chan = self._new_outbound(name, number, variables, "src/switch_ivr_originate.c")
        chan.variables["sip_profile_name"] = name.split("/")[1]
        chan.greenlet = gevent.getcurrent()
        clock = self.switch.clock
        try:
            self._start(chan)
            chan.set_state("CS_CONSUME_MEDIA")
            if agent is not None:
                outcome, ring, talk = self._agent_outcome(agent)
                early = False
            else:
                profile = customer or _DEFAULT_CUSTOMER
                outcome, ring, talk = self._customer_outcome(chan, profile)
                early = profile.early_media
            if outcome in ("USER_NOT_REGISTERED", "UNALLOCATED_NUMBER"):
                clock.sleep(0.05)
                self._fail(chan, outcome)
            chan.profile["Network-Addr"] = self.switch.bus.ipv4  # the far end's address
            chan.ring(early_media=early)
            if outcome == "NO_ANSWER" or ring >= timeout:
                clock.sleep(timeout)
                self._fail(chan, "NO_ANSWER", "send_cancel")
            clock.sleep(ring)
            if outcome != "ANSWER":
                self._fail(chan, outcome)
        except HangupSignal:
            chan.teardown()
            raise OriginateFailed(chan.hangup_cause or "ORIGINATOR_CANCEL") from None
        chan.set_codec()
        chan.answer()
        if flip:
            chan.flip_cid()
        chan.greenlet = None
        if talk != math.inf:
            gevent.spawn_later(talk / clock.speed, self._far_end_hangs_up, chan)
        return chan

    def _far_end_hangs_up(self, chan: Channel) -> None:
        if chan.alive:
            chan.hangup("NORMAL_CLEARING", "recv_bye")

    def _customer_outcome(self, chan: Channel,
                          profile: CustomerProfile) -> tuple[str, float, float]:
        rng = self.switch.rng
        draw = rng.random()
        ring = profile.ring_time.sample(rng)
        talk = profile.talk_time.sample(rng)
        if draw < profile.invalid:
            return "UNALLOCATED_NUMBER", 0.0, 0.0
        draw -= profile.invalid
        if draw < profile.busy:
            return "USER_BUSY", min(ring, 1.0), 0.0
        draw -= profile.busy
        if draw < profile.no_answer:
            return "NO_ANSWER", ring, 0.0
        chan.dtmf_script = list(profile.dtmf)
        if rng.random() < profile.machine:
            greeting = profile.greeting.sample(rng)
            chan.variables["sim_is_machine"] = "true"
            chan.variables["sim_greeting_seconds"] = f"{greeting:.3f}"
            return "ANSWER", ring, greeting + MACHINE_MESSAGE_SECONDS
        return "ANSWER", ring, talk

    def _agent_outcome(self, agent: AgentProfile) -> tuple[str, float, float]:
        rng = self.switch.rng
        if not agent.registered:
            return "USER_NOT_REGISTERED", 0.0, 0.0
        delay = agent.answer_delay.sample(rng)
        if rng.random() < agent.reject:
            return "CALL_REJECTED", delay, 0.0
        talk = agent.talk_time.sample(rng) if agent.talk_time else math.inf
        return "ANSWER", delay, talk

    def _loopback(self, extension: str, variables: dict[str, str], timeout: float,
                  flip: bool) -> Channel:
        switch = self.switch
        a = self._new_outbound(f"loopback/{extension}-a", extension, variables, "mod_loopback")
        profile = a.profile
        b = Channel(switch, f"loopback/{extension}-b", "inbound", extension,
                    profile["Caller-ID-Number"], profile["Caller-ID-Name"], "mod_loopback")
        b.profile["Callee-ID-Name"] = "Outbound Call"
        b.profile["Callee-ID-Number"] = extension
        b.variables["channel_name"] = b.name
        a.variables["other_loopback_leg_uuid"] = b.uuid
        a.variables["loopback_leg"] = "A"
        b.variables["other_loopback_leg_uuid"] = a.uuid
        b.variables["loopback_leg"] = "B"
        a.partner, b.partner = b, a
        b.answer_first = a
        a.greenlet = gevent.getcurrent()
        try:
            a.set_codec("L16", "8000", "128000")
            a.emit("CHANNEL_OUTGOING")
            a.set_state("CS_INIT", 1)
            b.set_codec("L16", "8000", "128000")
            b.set_state("CS_INIT", 1)
            a.state_number = 2
            a.emit("CHANNEL_CREATE")
            a.emit("CHANNEL_ORIGINATE")
            a.set_state("CS_ROUTING")
            b.state_number = 2
            b.emit("CHANNEL_CREATE")
            a.set_state("CS_CONSUME_MEDIA")
            b.state = "CS_ROUTING"
            b.set_call_state("RINGING")
            b.set_state("CS_ROUTING")
            b.set_state("CS_EXECUTE")
            steps = switch.dialplan_steps(extension)
            b.greenlet = switch.spawn(run_apps, b, steps)
            outcome = Flag()
            watchers = [gevent.spawn(_signal_when, a.answered, outcome),
                        gevent.spawn(_signal_when, b.done, outcome)]
            outcome.wait(timeout=timeout / switch.clock.speed)
            gevent.killall(watchers, block=False)
        except HangupSignal:
            a.teardown()
            raise OriginateFailed(a.hangup_cause or "ORIGINATOR_CANCEL") from None
        if not a.answered.is_set() or not a.alive:
            cause = b.hangup_cause or "NO_ANSWER"
            if a.alive:
                a.hangup(cause)
            a.teardown()
            raise OriginateFailed(cause)
        a.hit_dialplan = True
        if flip:
            a.flip_cid()
        a.greenlet = None
        return a


def _signal_when(flag: Flag, outcome: Flag) -> None:
    flag.wait()
    outcome.set()


def _opt(argv: list[str], index: int) -> str | None:
    value = argv[index] if len(argv) > index else None
    return None if value in (None, "undef") else value


# Without a `customers` section every number answers after 1 s and never hangs up.
_DEFAULT_CUSTOMER = CustomerProfile(pattern=re.compile(""),
                                    talk_time=Distribution("fixed", math.inf))
