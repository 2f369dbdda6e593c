"""A simulated channel: state, caller profile, variables and the channel event block.

Header names and order follow switch_channel_event_set_data as seen in the transcripts
(ESL_PROTOCOL.md §12.1): the channel block, the `Caller-` profile, then `variable_*`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gevent
from gevent.event import Event as Flag
from gevent.queue import Queue

from simswitch.causes import SIP_CANCELLED, sip_refusal_variables
from simswitch.variables import CALLSTATE_NUMBERS, STATE_NUMBERS
from simswitch.wire import Headers

if TYPE_CHECKING:
    from simswitch.switch import Switch

# Events that carry variable_* headers (§12.1).
_NO_VARS = frozenset({"CHANNEL_STATE", "CHANNEL_CALLSTATE", "DTMF", "CODEC", "CHANNEL_OUTGOING"})
_PROFILE_TIMES = (
    "Created", "Answered", "Progress", "Progress-Media", "Hangup", "Transfer", "Resurrect",
    "Bridged",
)


WAKE = object()  # queued to a channel to wake serve_messages without running anything


class AppInterrupt(Exception):  # noqa: N818 (a signal, not an error)
    """Stops the running application (it emits its stop events, then EXECUTE_COMPLETE)."""


class HangupSignal(AppInterrupt):
    """Raised inside a channel's greenlet when the channel is hung up from outside."""


class TransferSignal(AppInterrupt):
    """Raised inside a channel's greenlet by `transfer`: run `pending_transfer` instead."""

    app_response: str  # set by the interrupted application when it answers something


class Channel:
    """One call leg. Only this object changes its state; events are built from it."""

    def __init__(self, switch: Switch, name: str, direction: str, destination: str,
                 caller_number: str = "0000000000", caller_name: str = "",
                 source: str = "mod_loopback", uuid: str | None = None,
                 variables: dict[str, str] | None = None) -> None:
        self.switch = switch
        self.uuid = uuid or switch.new_uuid()
        self.name = name
        self.direction = direction
        self.state = "CS_NONE"
        self.state_number = 1 if direction == "outbound" else 0
        self.call_state = "DOWN"
        self.answer_state = "ringing"
        self.hit_dialplan = direction == "inbound"
        self.hangup_cause: str | None = None
        self.codec: tuple[str, str, str] | None = None
        self.profile_ready = True               # False until a new inbound leg leaves CS_NEW
        self.created_us = switch.clock.now_us()
        self.times = dict.fromkeys(_PROFILE_TIMES, 0)
        self.times["Created"] = self.created_us
        self.profile = {
            "Direction": direction, "Logical-Direction": direction, "Username": "",
            "Dialplan": "xml",
            "Caller-ID-Name": caller_name, "Caller-ID-Number": caller_number,
            "Orig-Caller-ID-Name": caller_name, "Orig-Caller-ID-Number": caller_number,
            "Callee-ID-Name": "Outbound Call" if direction == "outbound" else "",
            "Callee-ID-Number": destination if direction == "outbound" else "",
            "Network-Addr": "", "ANI": caller_number, "Destination-Number": destination,
            "Unique-ID": self.uuid, "Source": source, "Context": "default",
            "Channel-Name": name,
        }
        self.variables: dict[str, str] = {"direction": direction}
        if direction == "outbound":
            self.variables["is_outbound"] = "true"
        self.variables["uuid"] = self.uuid
        self.variables["call_uuid"] = self.uuid
        self.variables["session_id"] = str(switch.next_session_id())
        self.variables.update(variables or {})
        self.partner: Channel | None = None     # bridged / loopback peer
        self.bridged_to: Channel | None = None
        self.bridge_mode = ""                   # "app" (bridge app A-leg), "uuid", "" (B-leg)
        self.bridge_originator = False          # A-leg of its current bridge
        self.answer_first: Channel | None = None  # loopback: B answering answers A first
        self.messages: Queue = Queue()
        self.greenlet: gevent.Greenlet | None = None
        self.answered = Flag()
        self.break_flag = Flag()                # uuid_break: stop the current playback
        self.barge_in = False                   # a digit stops the prompt (digit collection)
        self.event_lock = 0                     # CF_EVENT_LOCK: an event-lock app is running
        self.done = Flag()
        self.hangup_started = False
        self.dtmf: Queue = Queue()
        self.last_app = ""
        self.last_arg = ""
        self.last_response = "_none_"
        self.sip_disposition = "send_bye"
        self.refused_locally = False            # the 503 of an unreachable SIP peer: no Reason
        self.controllers: list[object] = []     # outbound ESL sessions bound to this channel
        self.recordings: dict[str, float] = {}  # record_session path -> start (sim seconds)
        self.dtmf_script: list[str] = []        # digits the simulated person presses per prompt
        self.pending_transfer: list[object] | None = None  # steps of a uuid_transfer
        switch.channels[self.uuid] = self

    # -- event building -------------------------------------------------------------------
    def block(self, name: str, variables: bool = True) -> Headers:
        """Channel block + caller profile (+ variables where FreeSWITCH adds them)."""
        headers: Headers = [
            ("Channel-State", self.state),
            ("Channel-Call-State", self.call_state),
            ("Channel-State-Number", str(self.state_number)),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.hit_dialplan else "false"),
            ("Channel-Call-UUID", self.uuid),
            ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause:
            headers.append(("Hangup-Cause", self.hangup_cause))
        if self.codec:
            codec, rate, bits = self.codec
            headers += [
                ("Channel-Read-Codec-Name", codec), ("Channel-Read-Codec-Rate", rate),
                ("Channel-Read-Codec-Bit-Rate", bits), ("Channel-Write-Codec-Name", codec),
                ("Channel-Write-Codec-Rate", rate), ("Channel-Write-Codec-Bit-Rate", bits),
            ]
        if self.profile_ready:
            headers += self.profile_headers("Caller")
        other = self.bridged_to
        if other is not None and name not in ("CHANNEL_STATE", "CHANNEL_CALLSTATE"):
            headers.append(("Other-Type", "originatee" if self.direction == "inbound"
                            else "originator"))
            headers += other.profile_headers("Other-Leg")
        if variables and name not in _NO_VARS:
            headers += [(f"variable_{key}", value) for key, value in self.variables.items()]
        return headers

    def profile_headers(self, prefix: str, times: bool = True) -> Headers:
        """The caller profile with `prefix` (Caller, Other-Leg, Channel)."""
        headers = [(f"{prefix}-{key}", value) for key, value in self.profile.items() if value]
        if times:
            if prefix != "Other-Leg":
                headers.append((f"{prefix}-Profile-Index", "1"))
            headers.append((f"{prefix}-Profile-Created-Time", str(self.created_us)))
            headers += [(f"{prefix}-Channel-{key}-Time", str(value))
                        for key, value in self.times.items()]
            headers += [
                (f"{prefix}-Channel-Last-Hold", "0"), (f"{prefix}-Channel-Hold-Accum", "0"),
                (f"{prefix}-Screen-Bit", "true"), (f"{prefix}-Privacy-Hide-Name", "false"),
                (f"{prefix}-Privacy-Hide-Number", "false"),
            ]
        return headers

    def emit(self, name: str, before: Headers = (), after: Headers = (),  # type: ignore[assignment]
             body: str | None = None) -> None:
        """Fire channel event `name`: own headers `before` the block, `after` it."""
        bus = self.switch.bus
        if not bus.wants(name):
            bus.sequence += 1
            return
        headers = list(before) + self.block(name) + list(after)
        bus.fire(bus.make(name, headers, body))

    # -- state changes ----------------------------------------------------------------------
    def set_state(self, state: str, number: int | None = None) -> None:
        """Running-state change + CHANNEL_STATE."""
        self.state = state
        self.state_number = STATE_NUMBERS[state] if number is None else number
        self.emit("CHANNEL_STATE")

    def set_call_state(self, call_state: str) -> None:
        """Call-state change + CHANNEL_CALLSTATE (with the original state)."""
        original = self.call_state
        self.call_state = call_state
        self.emit("CHANNEL_CALLSTATE", after=[
            ("Original-Channel-Call-State", original),
            ("Channel-Call-State-Number", str(CALLSTATE_NUMBERS[call_state])),
        ])

    def set_codec(self, codec: str = "PCMU", rate: str = "8000", bits: str = "64000") -> None:
        """Read/write codec set (CODEC events + read/write variables)."""
        self.codec = (codec, rate, bits)
        self.variables.update({"read_codec": codec, "read_rate": rate,
                               "write_codec": codec, "write_rate": rate})
        bus = self.switch.bus
        if not bus.wants("CODEC"):
            bus.sequence += 2
            return
        base = self.block("CODEC")[:10]
        read = [("Channel-Read-Codec-Name", codec), ("Channel-Read-Codec-Rate", rate),
                ("Channel-Read-Codec-Bit-Rate", bits)]
        write = [("Channel-Write-Codec-Name", codec), ("Channel-Write-Codec-Rate", rate),
                 ("Channel-Write-Codec-Bit-Rate", bits)]
        # Before the channel runs (loopback legs) there is no caller profile nor write codec.
        started = self.state != "CS_NONE"
        profile = self.profile_headers("Caller") if started else []
        bus.fire(bus.make("CODEC", base + read + (write if started else []) + profile + [
            ("channel-read-codec-name", codec), ("channel-read-codec-rate", rate),
            ("channel-read-codec-bit-rate", bits)],
            site=("switch_core_codec.c", "switch_core_session_set_real_read_codec", 189)
            if started else None))
        bus.fire(bus.make("CODEC", base + read + write + profile + [
            ("Channel-Write-Codec-Name", codec), ("Channel-Write-Codec-Rate", rate),
            ("Channel-Write-codec-bit-rate", bits)],
            site=("switch_core_codec.c", "switch_core_session_set_write_codec", 471)))

    def ring(self, early_media: bool = False) -> None:
        """180 (CHANNEL_PROGRESS) or 183 (CHANNEL_PROGRESS_MEDIA) and RINGING/EARLY."""
        now = self.switch.clock.now_us()
        if early_media:
            self.times["Progress-Media"] = now
            self.answer_state = "early"
            self.emit("CHANNEL_PROGRESS_MEDIA")
            self.set_call_state("EARLY")
        else:
            self.times["Progress"] = now
            self.emit("CHANNEL_PROGRESS")
            self.set_call_state("RINGING")

    def answer(self) -> None:
        """Mark answered: CHANNEL_ANSWER then CALLSTATE ACTIVE."""
        if self.answered.is_set() or self.hangup_started:
            return
        if self.answer_first is not None:
            self.answer_first.answer()
        if self.direction == "inbound" and self.codec is None and self.name.startswith("sofia/"):
            self.set_codec()
            self.ring(early_media=True)
        self.times["Answered"] = self.switch.clock.now_us()
        self.answer_state = "answered"
        self.variables.setdefault("endpoint_disposition", "ANSWER")
        self.emit("CHANNEL_ANSWER")
        self.set_call_state("ACTIVE")
        self.answered.set()

    def flip_cid(self) -> None:
        """Outbound leg after answer: caller id becomes the callee (CALL_UPDATE)."""
        profile = self.profile
        orig_number = profile["Caller-ID-Number"]
        profile["Caller-ID-Name"] = profile["Callee-ID-Name"] or "Outbound Call"
        profile["Caller-ID-Number"] = profile["Callee-ID-Number"]
        profile["Callee-ID-Name"] = ""
        profile["Callee-ID-Number"] = orig_number
        self.variables["pre_transfer_caller_id_number"] = orig_number
        self.variables["channel_cid_flipped"] = "yes"
        self.emit("CALL_UPDATE", before=[("Direction", "RECV")])

    # -- hangup -----------------------------------------------------------------------------
    def hangup(self, cause: str = "NORMAL_CLEARING", disposition: str | None = None) -> bool:
        """Request hangup: CHANNEL_HANGUP now, the rest in the channel's own greenlet."""
        if self.hangup_started:
            return False
        self.hangup_started = True
        self.hangup_cause = cause
        self.answer_state = "hangup"
        self.state_number = 10
        if disposition:
            self.sip_disposition = disposition
        if self.name.startswith("sofia/") and not self.answered.is_set():
            # A refused INVITE's SIP details are known now; a cancelled one's only once
            # the 487 is back (teardown).
            if self.sip_disposition == "recv_refuse":
                self.variables.update(sip_refusal_variables(cause, not self.refused_locally))
            elif self.sip_disposition != "send_cancel":
                self.variables["sip_hangup_disposition"] = self.sip_disposition
        self.emit("CHANNEL_HANGUP")
        if self.name.startswith("sofia/") and disposition == "recv_bye":
            self.variables["sip_hangup_disposition"] = disposition  # the BYE just arrived
        for session in list(self.controllers):
            session.channel_hangup(self)  # type: ignore[attr-defined]
        runner = self.greenlet
        if runner is gevent.getcurrent():
            pass
        elif runner is not None and not runner.dead:
            runner.kill(HangupSignal(cause), block=False)
        else:
            self.greenlet = self.switch.spawn(self.teardown)
        return True

    def teardown(self) -> None:
        """CS_HANGUP → CS_REPORTING (HANGUP_COMPLETE with CDR vars) → DESTROY."""
        from simswitch.cdr import hangup_variables

        self.set_state("CS_HANGUP", 10)
        # FreeSWITCH stamps the hang-up time here: CHANNEL_HANGUP and the CS_HANGUP state
        # event still say 0, CHANNEL_CALLSTATE HANGUP and later events carry it.
        self.times["Hangup"] = self.switch.clock.now_us()
        self.set_call_state("HANGUP")
        triggered: list[Channel] = []
        cause = self.hangup_cause or "NORMAL_CLEARING"
        remote = "recv_bye" if self.sip_disposition == "send_bye" else None
        bridged = self.bridged_to
        if bridged is not None:
            bridged.unbridge()
            # The A-leg of a `bridge` app continues its dialplan (unless
            # hangup_after_bridge); any other bridged leg goes down with its partner.
            if bridged.bridge_mode == "app":
                survives = bridged.variables.get("hangup_after_bridge") != "true"
            elif bridged.bridge_mode == "uuid":
                survives = True  # its own thread decides (simswitch.uuidbridge.after_bridge)
            else:
                survives = bridged.variables.get("park_after_bridge") == "true"
            if not survives and bridged.hangup(cause, remote):
                triggered.append(bridged)
        if self.partner is not None and self.partner.hangup(cause, remote):
            triggered.append(self.partner)
        for path in list(self.recordings):
            self.stop_recording(path)
        self.set_state("CS_REPORTING", 11)
        if self.name.startswith("sofia/") and not self.answered.is_set() and \
                self.sip_disposition == "send_cancel":
            self.variables.update(SIP_CANCELLED)
        if self.name.startswith("loopback/"):
            self.variables["is_loopback"] = "1"  # mod_loopback's on_reporting, both legs
        self.variables.update(hangup_variables(self))
        self.emit("CHANNEL_HANGUP_COMPLETE", before=[("Hangup-Cause", self.hangup_cause or "")])
        for session in list(self.controllers):
            session.channel_reported(self)  # type: ignore[attr-defined]
        for peer in triggered:
            peer.done.wait(timeout=5.0 / self.switch.clock.speed + 1.0)
        for session in list(self.controllers):
            # A lingering socket keeps the session (FreeSWITCH destroys it after the close).
            session.gone.wait()  # type: ignore[attr-defined]
        self.state_number = 12
        self.emit("CHANNEL_DESTROY")
        self.set_state("CS_DESTROY", 12)
        self.switch.channels.pop(self.uuid, None)
        self.done.set()
        for session in list(self.controllers):
            session.channel_destroyed(self)  # type: ignore[attr-defined]

    def bridge(self, other: Channel) -> None:
        """Bridge two answered legs (CHANNEL_BRIDGE on this, the A-leg)."""
        now = self.switch.clock.now_us()
        self.bridged_to, other.bridged_to = other, self
        self.bridge_originator, other.bridge_originator = True, False
        self.times["Bridged"] = other.times["Bridged"] = now
        self.variables["bridge_uuid"] = other.uuid
        other.variables["bridge_uuid"] = self.uuid
        self.variables["bridge_epoch"] = str(now // 1_000_000)
        self.emit("CHANNEL_BRIDGE", before=[("Bridge-A-Unique-ID", self.uuid),
                                            ("Bridge-B-Unique-ID", other.uuid)])

    def unbridge(self) -> None:
        """End a bridge: CHANNEL_UNBRIDGE on its originator (A-leg), as
        switch_ivr_multi_threaded_bridge fires it whichever side ends the bridge."""
        other = self.bridged_to
        if other is None:
            return
        a_leg, b_leg = (self, other) if self.bridge_originator else (other, self)
        a_leg.emit("CHANNEL_UNBRIDGE", before=[("Bridge-A-Unique-ID", a_leg.uuid),
                                               ("Bridge-B-Unique-ID", b_leg.uuid)])
        self.wake()
        other.wake()
        self.variables["last_bridge_hangup_cause"] = self.hangup_cause or "NORMAL_CLEARING"
        other.variables["last_bridge_hangup_cause"] = self.hangup_cause or "NORMAL_CLEARING"
        self.bridged_to = None
        other.bridged_to = None

    def expand(self, text: str) -> str:
        """Variable-expand `text` against this channel (see simswitch.variables)."""
        from simswitch.variables import expand

        return expand(self, text)

    def transfer(self, steps: list[object]) -> None:
        """Leave the current application and run `steps` instead (uuid_transfer)."""
        if not self.alive:
            return
        if self.bridged_to is not None:
            other = self.bridged_to
            self.bridge_mode = other.bridge_mode = "transfer"  # nobody hangs up on unbridge
            self.unbridge()
        self.pending_transfer = steps
        runner = self.greenlet
        if runner is not None and not runner.dead and runner is not gevent.getcurrent():
            runner.kill(TransferSignal(), block=False)

    def wake(self) -> None:
        """Make a waiting application re-check its exit condition."""
        self.messages.put(WAKE)

    def stop_recording(self, path: str) -> None:
        """End a record_session: write the WAV and fire RECORD_STOP."""
        from simswitch.media import write_wav

        start = self.recordings.pop(path, None)
        if start is None:
            return
        write_wav(path, self.switch.clock.now() - start)
        self.emit("RECORD_STOP", after=[("Record-File-Path", path)])

    def receive_dtmf(self, digit: str, source: str = "RTP") -> None:
        """A key press arrives: DTMF event, then available to digit collectors."""
        self.emit("DTMF", after=[("DTMF-Digit", digit), ("DTMF-Duration", "2000"),
                                 ("DTMF-Source", source)])
        self.dtmf.put(digit)
        if self.barge_in:
            self.break_flag.set()

    def emit_custom(self, subclass: str, before: Headers = ()) -> None:  # type: ignore[assignment]
        """CUSTOM event about this channel (subclass first, then own headers, then block)."""
        bus = self.switch.bus
        if not bus.wants("CUSTOM", subclass):
            bus.sequence += 1
            return
        headers = list(before) + self.block("CUSTOM")
        bus.fire(bus.make("CUSTOM", headers, subclass=subclass))

    @property
    def alive(self) -> bool:
        """Not yet hung up."""
        return not self.hangup_started
