"""`uuid_bridge` the way switch_ivr_uuid_bridge does it (src/switch_ivr_bridge.c).

FreeSWITCH sets CF_REDIRECT and CF_TRANSFER on both legs and moves them to CS_HIBERNATE. That
ends whatever application each leg is running: `switch_channel_ready()` turns false, so a
`playback` stops (PLAYBACK_STOP `done`, Application-Response `PLAYBACK ERROR`, see
mod_dptools.c playback_function) and the park loop of an async `socket` application returns
(CHANNEL_UNPARK, EXECUTE_COMPLETE of `socket`; mod_event_socket.c socket_function). A leg that
was already bridged leaves that bridge first, which fires CHANNEL_UNBRIDGE for it.

The originator (the first leg, or the second when only that one has media) then bridges in
CS_SOFT_EXECUTE (uuid_bridge_on_soft_execute: CHANNEL_EXECUTE `uuid_bridge` on both legs,
then switch_ivr_multi_threaded_bridge → CHANNEL_BRIDGE); the originatee waits in
CS_EXCHANGE_MEDIA. Queued sendmsg applications run inside the bridge (audio_bridge_thread
calls switch_ivr_parse_next_event). When the bridge ends each leg decides for itself:

* originator (end of switch_ivr_multi_threaded_bridge): `park_after_bridge` → park (where
  queued sendmsg applications run), `transfer_after_bridge` → transfer, `hangup_after_bridge`
  with an answered peer → hang up with the peer's cause, else back to CS_EXECUTE (nothing left
  to run after a uuid_bridge, so the channel hangs up);
* originatee (audio_bridge_on_exchange_media): `park_after_bridge` → park,
  `transfer_after_bridge` → transfer, else hang up NORMAL_CLEARING.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gevent
from gevent.event import Event as Flag

from simswitch.apps import execute, park, run_apps, serve_messages

if TYPE_CHECKING:
    from simswitch.channel import Channel

_SETTLE_POLL = 0.02  # real seconds between checks while the two legs line up
_SETTLE_WAIT = 0.5   # real seconds the API waits at most for the legs to be bridged


def media_up(chan: Channel) -> bool:
    """switch_channel_media_up: answered or early media."""
    return chan.alive and (chan.answered.is_set() or chan.answer_state == "early")


def uuid_bridge(originator: Channel, originatee: Channel) -> bool:
    """Start bridging two live legs; False when FreeSWITCH refuses (`-ERR Invalid uuid`)."""
    if not originator.alive or not originatee.alive or originator is originatee:
        return False
    if not media_up(originator):
        if not media_up(originatee):
            return False  # "Neither channel is answered, cannot bridge them."
        originator, originatee = originatee, originator  # "reversing order of channels"
    arrived, settled = Flag(), Flag()
    redirect(originator, lambda chan: _originator(chan, originatee, arrived, settled))
    redirect(originatee, lambda chan: _originatee(chan, originator, arrived))
    # FreeSWITCH's state machine bridges within milliseconds of the reply; let the legs
    # line up before answering so the reply and CHANNEL_BRIDGE stay that close here too.
    settled.wait(_SETTLE_WAIT)
    return True


def redirect(chan: Channel, step: object) -> None:
    """Interrupt `chan`'s running application and run `step(chan)` next (CF_REDIRECT)."""
    chan.pending_transfer = [step]
    leave_bridge(chan)
    runner = chan.greenlet
    if runner is not None and not runner.dead:
        if runner is not gevent.getcurrent():
            from simswitch.channel import TransferSignal

            runner.kill(TransferSignal(), block=False)
    else:  # a leg without a thread of its own (the B-leg of a `bridge`)
        chan.pending_transfer = None
        chan.greenlet = chan.switch.spawn(run_apps, chan, [step])


def leave_bridge(chan: Channel) -> None:
    """`chan` is taken out of its bridge (CHANNEL_UNBRIDGE); a peer without a thread of
    its own decides like audio_bridge_on_exchange_media (park_after_bridge or hang up)."""
    peer = chan.bridged_to
    if peer is None:
        return
    chan.unbridge()
    if peer.bridge_mode == "" and (peer.greenlet is None or peer.greenlet.dead) and peer.alive:
        if _truthy(peer.variables.get("park_after_bridge")):
            peer.greenlet = peer.switch.spawn(run_apps, peer, [park])
        else:
            peer.hangup("NORMAL_CLEARING")


def _originator(chan: Channel, other: Channel, arrived: Flag, settled: Flag) -> None:
    try:
        _line_up(chan, other, arrived)
    finally:
        settled.set()
    if chan.bridged_to is not other:
        return
    serve_messages(chan, until=lambda: chan.bridged_to is not other)
    after_bridge(chan, other, originator=True)


def _line_up(chan: Channel, other: Channel, arrived: Flag) -> None:
    """uuid_bridge_on_soft_execute up to switch_ivr_multi_threaded_bridge's CHANNEL_BRIDGE."""
    chan.set_state("CS_SOFT_EXECUTE")
    while not arrived.is_set() and chan.alive and other.alive:
        arrived.wait(_SETTLE_POLL)
    if not other.alive:
        if not _truthy(chan.variables.get("uuid_bridge_continue_on_cancel")):
            chan.hangup("ORIGINATOR_CANCEL")
        return
    if not chan.alive:
        return
    chan.emit("CHANNEL_EXECUTE", after=[("Application", "uuid_bridge"),
                                        ("Application-Data", other.uuid)])
    other.emit("CHANNEL_EXECUTE", after=[("Application", "uuid_bridge"),
                                         ("Application-Data", chan.uuid)])
    chan.bridge_mode = other.bridge_mode = "uuid"
    chan.bridge(other)


def _originatee(chan: Channel, other: Channel, arrived: Flag) -> None:
    chan.set_state("CS_EXCHANGE_MEDIA")
    arrived.set()
    while chan.bridged_to is not other and chan.alive and other.alive:
        gevent.sleep(_SETTLE_POLL)  # the originator bridges us
    if chan.bridged_to is not other:
        if chan.alive and chan.pending_transfer is None:
            chan.hangup("DESTINATION_OUT_OF_ORDER")
        return
    serve_messages(chan, until=lambda: chan.bridged_to is not other)
    after_bridge(chan, other, originator=False)


def after_bridge(chan: Channel, peer: Channel, originator: bool) -> None:
    """What a leg does when its bridge has ended (see the module docstring)."""
    while chan.pending_transfer is not None and chan.alive:
        gevent.sleep(_SETTLE_POLL)  # a transfer/redirect is on its way: let it arrive
    if not chan.alive:
        return
    variables = chan.variables
    if _truthy(variables.get("park_after_bridge")):
        park(chan)  # switch_ivr_park_session: CS_PARK, no EXECUTE events
        return
    target = variables.pop("transfer_after_bridge", "")
    if target:
        for step in chan.switch.dialplan_steps(target.split(":")[0]):
            execute(chan, step)
        return
    hup = variables.get("hangup_after_bridge", "")
    if not originator:
        chan.hangup("NORMAL_CLEARING" if chan.answered.is_set() else "ORIGINATOR_CANCEL")
    elif hup.lower() == "explicit" or (peer.answered.is_set() and _truthy(hup)):
        chan.hangup(peer.hangup_cause or "NORMAL_CLEARING")


def _truthy(value: str | None) -> bool:
    """switch_true(): yes/on/true/t/enabled/active/allow or a non-zero number."""
    text = (value or "").strip().lower()
    return text in ("yes", "on", "true", "t", "enabled", "active", "allow") or (
        text.isdigit() and int(text) != 0)
