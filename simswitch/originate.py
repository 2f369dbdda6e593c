"""`originate` and the bridge app: dial strings, endpoints and the simulated far end.

Event order per endpoint follows the captures: loopback (b_*), sofia (i1_*), error/ (d_*).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import gevent
from gevent.event import AsyncResult
from gevent.event import Event as Flag

from simswitch.apps import Message, run_apps
from simswitch.causes import parse_cause
from simswitch.channel import Channel, HangupSignal
from simswitch.dialstring import Leg, parse_dial_string, parse_target, separate
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


class Dialer:
    """Creates outbound legs and plays the far end the scenario describes."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self._racing: set[gevent.Greenlet] = set()        # greenlets ringing one leg of a race
        self._legs_of: dict[gevent.Greenlet, Channel] = {}

    def originate_api(self, args: str) -> str:
        """The `originate` API: body `+OK <uuid>\\n` or `-ERR <CAUSE>\\n`."""
        argv = [a for a in separate(args.strip(), " ") if a]
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
        """Dial the failover groups in turn; within a group all legs ring together and the
        first to answer wins (the others are cancelled with LOSE_RACE).

        Legs originated by the API get their caller id flipped on answer (CALL_UPDATE),
        legs dialled by `bridge` keep it, as in FreeSWITCH.
        """
        groups = parse_dial_string(dial)
        if not groups:
            raise OriginateFailed("DESTINATION_OUT_OF_ORDER")
        cause = "NORMAL_CLEARING"
        for legs in groups:
            attempts = [self._attempt(leg, timeout, cid_name, cid_number, inherit, from_api)
                        for leg in legs]
            try:
                return attempts[0]() if len(attempts) == 1 else self._race(attempts)
            except OriginateFailed as failed:
                cause = failed.cause
        raise OriginateFailed(cause)

    def _attempt(self, leg: Leg, timeout: float, cid_name: str | None,
                 cid_number: str | None, inherit: dict[str, str] | None,
                 flip: bool) -> Callable[[], Channel]:
        variables = dict(inherit or {})
        variables.update(leg.variables)
        if cid_name:
            variables.setdefault("origination_caller_id_name", cid_name)
        if cid_number:
            variables.setdefault("origination_caller_id_number", cid_number)
        leg_timeout = float(variables.get("leg_timeout")
                            or variables.get("originate_timeout") or timeout)
        return lambda: self._dial_leg(leg.endpoint, variables, leg_timeout, flip)

    def _race(self, attempts: list[Callable[[], Channel]]) -> Channel:
        """Ring several legs at once; first answer wins, the rest get LOSE_RACE."""
        winner: AsyncResult = AsyncResult()
        causes: dict[int, str] = {}

        def run(index: int, attempt: Callable[[], Channel]) -> None:
            me = gevent.getcurrent()
            self._racing.add(me)
            try:
                chan = attempt()
            except OriginateFailed as failed:
                causes[index] = failed.cause
                if len(causes) == len(attempts):
                    winner.set(None)
                return
            finally:
                self._racing.discard(me)
            if winner.ready():
                chan.hangup("LOSE_RACE", "send_cancel")
            else:
                winner.set(chan)

        jobs = [gevent.spawn(run, i, attempt) for i, attempt in enumerate(attempts)]
        chan = winner.get()
        for job in jobs:
            loser = self._legs_of.pop(job, None)
            if loser is not None and loser is not chan and loser.alive:
                loser.hangup("LOSE_RACE", "send_cancel")
        if chan is None:  # all failed: report the first leg's cause (dial-string order)
            raise OriginateFailed(causes[min(causes)] if causes else "NORMAL_CLEARING")
        return chan

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
        current = gevent.getcurrent()
        if current in self._racing:
            self._legs_of[current] = chan
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
        chan.refused_locally = profile != "gateway"  # sofia's own 503: nobody answered
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
            if outcome == "USER_BUSY":
                # A busy line answers 486 without ringing first (no 180): no CHANNEL_PROGRESS,
                # and the hang-up's call state stays DOWN, as on the real switch.
                clock.sleep(ring)
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
