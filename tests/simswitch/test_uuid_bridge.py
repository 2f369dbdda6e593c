"""uuid_bridge, re-bridging and the 3-way conference as FreeSWITCH does them.

Sources: src/switch_ivr_bridge.c (switch_ivr_uuid_bridge sets CF_REDIRECT/CF_TRANSFER and
moves both legs to CS_HIBERNATE; uuid_bridge_on_soft_execute fires CHANNEL_EXECUTE
`uuid_bridge` on both legs; switch_ivr_multi_threaded_bridge fires CHANNEL_BRIDGE/UNBRIDGE on
the originator and applies park_after_bridge / hangup_after_bridge after the bridge),
mod_dptools.c playback_function (an interrupted playback answers `PLAYBACK ERROR`),
mod_event_socket.c socket_function (async: park, then return when the channel is taken away)
and mod_commands.c transfer_function (`-both` transfers the partner as well).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import gevent
import pytest

from simswitch.scenario import parse_scenario
from simswitch.switch import SimSwitch
from tests.simswitch.client import Client, named
from tests.simswitch.replay import Connection

EVENTS = ("event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_BRIDGE CHANNEL_UNBRIDGE "
          "CHANNEL_PARK CHANNEL_UNPARK CHANNEL_HANGUP_COMPLETE PLAYBACK_STOP "
          "CUSTOM conference::maintenance")


class World:
    """simswitch with a `socket ... async full` extension and an outbound listener."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.listener.settimeout(5)
        port = self.listener.getsockname()[1]
        scenario = parse_scenario({"dialplan": {"7000": [f"socket 127.0.0.1:{port} async full"]}})
        self.sim = SimSwitch(port=0, scenario=scenario, speed=10.0).start()
        self.client = Client(self.sim.port)
        self.client.command(EVENTS)
        self.sockets: list[socket.socket] = []

    def socket_caller(self) -> str:
        """An inbound call whose channel is controlled by an async outbound socket."""
        uuid = self.client.api("simswitch_inbound 7000 15550009")[4:].strip()
        sock, _ = self.listener.accept()
        self.sockets.append(sock)
        conn = Connection(sock)
        sock.sendall(b"connect\n\n")
        assert conn.wait_frames(1, 5)
        return uuid

    def execute(self, uuid: str, app: str, arg: str, tag: str) -> None:
        self.client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: {app}\n"
                            f"execute-app-arg: {arg}\nEvent-UUID: {tag}")

    def parked(self, dial: str) -> str:
        reply = self.client.api(f"originate {dial} &park()")
        assert reply.startswith("+OK "), reply
        uuid = reply[4:].strip()
        self.client.wait_event(named("CHANNEL_PARK", Unique_ID=uuid))
        return uuid

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.client.close()
        self.sim.stop()
        self.listener.close()


@pytest.fixture
def world() -> Iterator[World]:
    world = World()
    yield world
    world.close()


def on_hold(world: World, after_bridge: str) -> str:
    """A socket-controlled caller, answered, hearing MOH (Event-UUID moh-1)."""
    caller = world.socket_caller()
    world.execute(caller, "answer", "", "answer-1")
    world.execute(caller, "set", after_bridge, "set-1")
    world.execute(caller, "playback", "local_stream://moh", "moh-1")
    world.client.wait_event(named("CHANNEL_EXECUTE", Application_UUID="moh-1"))
    return caller


def test_uuid_bridge_interrupts_moh_and_park_after_bridge_runs_queued_apps(world: World) -> None:
    caller = on_hold(world, "park_after_bridge=true")
    agent = world.parked("user/1000")
    client = world.client
    assert client.api(f"uuid_bridge {caller} {agent}") == f"+OK {agent}\n"
    stop = client.wait_event(named("PLAYBACK_STOP", Unique_ID=caller))
    assert stop.get("Playback-Status") == "done"  # not ready: SWITCH_STATUS_FALSE
    moh = client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="moh-1"))
    assert moh.get("Application-Response") == "PLAYBACK ERROR"
    client.wait_event(named("CHANNEL_UNPARK", Unique_ID=caller))
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Unique_ID=caller, Application="socket"))
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Unique_ID=agent, Application="park"))
    for uuid, other in ((caller, agent), (agent, caller)):
        client.wait_event(named("CHANNEL_EXECUTE", Unique_ID=uuid, Application="uuid_bridge",
                                Application_Data=other))
    bridge = client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=caller))
    assert (bridge.get("Bridge-A-Unique-ID"), bridge.get("Bridge-B-Unique-ID")) == (caller, agent)
    assert client.api(f"uuid_getvar {caller} bridge_uuid") == agent

    assert client.api(f"uuid_kill {agent}") == "+OK\n"  # the agent hangs up
    unbridge = client.wait_event(named("CHANNEL_UNBRIDGE", Unique_ID=caller))
    assert unbridge.get("Bridge-B-Unique-ID") == agent
    client.wait_event(named("CHANNEL_PARK", Unique_ID=caller))  # park_after_bridge
    world.execute(caller, "set", "rated=yes", "set-2")  # the socket still drives the call
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="set-2"))
    assert client.api(f"uuid_getvar {caller} rated") == "yes"
    assert client.api(f"uuid_exists {caller}") == "true"


def test_hangup_after_bridge_ends_the_originator_with_the_peer_cause(world: World) -> None:
    caller = on_hold(world, "hangup_after_bridge=true")
    agent = world.parked("user/1000")
    client = world.client
    assert client.api(f"uuid_bridge {caller} {agent}") == f"+OK {agent}\n"
    client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=caller))
    client.api(f"uuid_kill {agent} USER_BUSY")
    done = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=caller))
    assert done.get("Hangup-Cause") == "USER_BUSY"


def test_queued_apps_run_inside_the_bridge(world: World) -> None:
    """audio_bridge_thread parses queued private events while bridged."""
    caller = on_hold(world, "park_after_bridge=true")
    agent = world.parked("user/1000")
    client = world.client
    client.api(f"uuid_bridge {caller} {agent}")
    client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=caller))
    world.execute(caller, "set", "note=during", "set-3")
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="set-3"))
    assert client.api(f"uuid_getvar {caller} bridge_uuid") == agent


def test_rebridging_a_leg_unbridges_its_old_bridge(world: World) -> None:
    client = world.client
    customer = world.parked("{park_after_bridge=true}sofia/gateway/gw/15550001")
    first = world.parked("user/1000")
    second = world.parked("user/1001")
    client.api(f"uuid_bridge {customer} {first}")
    client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=customer))
    assert client.api(f"uuid_bridge {first} {second}") == f"+OK {second}\n"
    old = client.wait_event(named("CHANNEL_UNBRIDGE", Unique_ID=customer))
    assert (old.get("Bridge-A-Unique-ID"), old.get("Bridge-B-Unique-ID")) == (customer, first)
    new = client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=first))
    assert new.get("Bridge-B-Unique-ID") == second
    client.wait_event(named("CHANNEL_PARK", Unique_ID=customer))  # its park_after_bridge
    assert client.api(f"uuid_exists {customer}") == "true"


def test_three_way_moves_both_legs_into_a_conference_and_dials_the_third(world: World) -> None:
    """The engine's three_way: `uuid_transfer <customer> -both 'conference:<room>' inline`,
    then `originate <number> &conference(<room>)`."""
    client = world.client
    caller = on_hold(world, "park_after_bridge=true")
    agent = world.parked("user/1000")
    client.api(f"uuid_bridge {caller} {agent}")
    client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=caller))
    room = f"fscc-{caller}"
    assert client.api(f"uuid_transfer {caller} -both conference:{room}@default inline") == "+OK\n"
    client.wait_event(named("CHANNEL_UNBRIDGE", Unique_ID=caller))
    third = client.api(f"originate sofia/gateway/gw/15550003 &conference({room}@default)")
    assert third.startswith("+OK ")
    for uuid in (caller, agent, third[4:].strip()):
        client.wait_event(named("CUSTOM", Action="add-member", Unique_ID=uuid))
    assert client.api(f"conference {room} count") == "3"
    assert client.api(f"uuid_exists {caller}") == "true"
    world.execute(caller, "set", "in_conference=yes", "set-4")  # the socket still drives it
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="set-4"))
    client.api(f"conference {room} hup all")
    client.wait_event(named("CUSTOM", Action="conference-destroy"))


@pytest.mark.parametrize("locked", [True, False])
def test_event_lock_holds_queued_apps_until_the_bridge_ends(world: World, locked: bool) -> None:
    """switch_ivr_parse_event sets CF_EVENT_LOCK around an `event-lock: true` application and
    switch_core_session_private_event_count then reports nothing queued, so the bridge's
    audio_bridge_thread runs queued applications only for unlocked ones."""
    client = world.client
    customer = world.parked("sofia/gateway/gw/15550001")
    lock = "event-lock: true\n" if locked else ""
    client.command(f"sendmsg {customer}\ncall-command: execute\nexecute-app-name: bridge\n"
                   f"execute-app-arg: sofia/gateway/gw/15550002\n{lock}Event-UUID: bridge-1")
    bridge = client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=customer))
    world.execute(customer, "set", "queued=ran", "set-5")
    if locked:
        with pytest.raises(gevent.Timeout):
            client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="set-5"),
                              timeout=0.5)
        assert client.api(f"uuid_getvar {customer} queued") == "_undef_"
        client.api(f"uuid_kill {bridge.get('Bridge-B-Unique-ID')}")  # the far end hangs up
        client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="bridge-1"))
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="set-5"))
    assert client.api(f"uuid_getvar {customer} queued") == "ran"
