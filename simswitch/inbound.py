"""Inbound calls: Poisson arrivals per scenario flow, and one-off injection for tests.

Each call is a `sofia/external/<caller>@<ip>` channel that runs the dialplan of its DID;
by default that is `socket <--outbound> async full`, as a contact-center dialplan would.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import gevent

from simswitch.apps import Message, run_apps
from simswitch.channel import Channel
from simswitch.scenario import InboundFlow

if TYPE_CHECKING:
    from simswitch.switch import Switch

log = logging.getLogger(__name__)


class InboundGenerator:
    """Creates inbound channels (scheduled or on demand)."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self._runners: list[gevent.Greenlet] = []

    def start(self) -> None:
        """Start one Poisson arrival process per scenario flow with rate > 0."""
        for flow in self.switch.scenario.inbound:
            if flow.rate > 0:
                self._runners.append(gevent.spawn(self._arrivals, flow))

    def stop(self) -> None:
        """Stop generating calls."""
        gevent.killall(self._runners, block=False)
        self._runners.clear()

    def _arrivals(self, flow: InboundFlow) -> None:
        rng = self.switch.rng
        clock = self.switch.clock
        while True:
            clock.sleep(rng.expovariate(flow.rate))
            caller = rng.choice(flow.callers)
            chan = self.inject(flow.did, caller, hangup_after=flow.talk_time.sample(rng))
            chan.dtmf_script = list(flow.dtmf)

    @staticmethod
    def _caller_hangs_up(chan: Channel) -> None:
        if chan.alive:
            chan.hangup("NORMAL_CLEARING", "recv_bye")

    def inject(self, did: str, caller: str, uuid: str | None = None,
               hangup_after: float | None = None) -> Channel:
        """Create one inbound call to `did` from `caller` now; returns its channel.

        With `hangup_after` (simulated seconds) the caller hangs up then (recv_bye).
        """
        switch = self.switch
        ip = switch.bus.ipv4
        name = f"sofia/external/{caller}@{ip}"
        chan = Channel(switch, name, "inbound", did, caller, caller, "mod_sofia", uuid=uuid)
        chan.profile["Network-Addr"] = ip
        chan.profile["Username"] = caller
        chan.profile_ready = False
        chan.profile["Context"] = "public"
        chan.variables["channel_name"] = name
        chan.variables["sip_from_user"] = caller
        chan.variables["sip_to_user"] = did
        chan.variables["sip_profile_name"] = "external"
        chan.variables["destination_number"] = did
        chan.set_state("CS_NEW", 0)
        chan.profile_ready = True
        chan.set_state("CS_INIT", 1)
        chan.state_number = 2
        chan.emit("CHANNEL_CREATE")
        chan.state = "CS_ROUTING"
        chan.set_call_state("RINGING")
        chan.set_state("CS_ROUTING")
        chan.set_state("CS_EXECUTE")
        dialplan = switch.scenario.dialplan
        extension = did if did in dialplan else switch.scenario.inbound_extension
        steps = switch.dialplan_steps(extension) if extension in dialplan else [
            Message("socket", f"{switch.outbound} async full")]
        chan.greenlet = switch.spawn(run_apps, chan, steps)
        if hangup_after is not None:
            gevent.spawn_later(hangup_after / switch.clock.speed, self._caller_hangs_up, chan)
        log.debug("inbound call %s from %s to %s", chan.uuid, caller, did)
        return chan
