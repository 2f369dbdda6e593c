"""One ``Call`` per FreeSWITCH channel, keyed by UUID, updated only from ESL events.

``CallTable.apply(event)`` is the single door for channel facts (state, times, bridge
peer, hold, hangup cause). What the engine decided about a call (its queue, its agent,
the agent legs it spawned) lives in ``Call.role`` and the fields below the line; those are
written by the engine when it acts, never guessed from events.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHANNEL_EVENTS = (
    "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_DESTROY", "CHANNEL_EXECUTE_COMPLETE", "DTMF",
)
ROLES = ("customer", "agent", "consult", "outbound")
# `show channels` call states of an answered channel (UNHELD: back from hold, on a real switch).
ANSWERED_CALLSTATES = ("ACTIVE", "HELD", "UNHELD")


class EventLike(Protocol):
    """What ``Call.apply`` reads from an event (``engine.esl.event.Event`` fits)."""

    @property
    def name(self) -> str | None: ...

    @property
    def uuid(self) -> str | None: ...

    def get(self, name: str, default: str | None = None) -> str | None: ...


def _usec(event: EventLike, header: str) -> float | None:
    value = event.get(header)
    if not value or value == "0":
        return None
    try:
        return int(value) / 1_000_000
    except ValueError:
        return None


def _int(event: EventLike, header: str) -> int:
    try:
        return int(event.get(header) or 0)
    except ValueError:
        return 0


@dataclass
class Call:
    """A channel as FreeSWITCH reported it, plus what the engine did with it."""

    uuid: str
    node: str = ""
    direction: str = ""
    caller_number: str = ""
    caller_name: str = ""
    destination_number: str = ""
    channel_name: str = ""
    state: str = "new"  # new | ringing | answered | hungup
    created_at: float | None = None
    answered_at: float | None = None
    bridged_at: float | None = None
    ended_at: float | None = None
    bridged_to: str = ""
    held: bool = False
    hangup_cause: str = ""
    sip_hangup_disposition: str = ""
    billsec: int = 0
    duration: int = 0
    variables: dict[str, str] = field(default_factory=dict)  # fscc_* and amd_result channel variables seen
    digits: str = ""
    # ---- what the engine decided (written when it acts) -------------------------------
    role: str = "customer"
    parent_uuid: str = ""  # an agent/consult leg's customer call
    queue: str = ""
    queue_id: int | None = None
    entered_queue_at: float | None = None
    left_queue_at: float | None = None
    agent_id: int | None = None
    campaign_id: int | None = None
    attempt_id: int | None = None
    legs: list[str] = field(default_factory=list)
    leg_summaries: dict[str, dict[str, Any]] = field(default_factory=dict)  # legs already ended
    recording_path: str = ""
    satisfaction: int | None = None
    abandoned: bool = False
    disposition: str = ""
    outcome: str = ""  # for agent legs: how the offer ended ("connected" once bridged)
    transferring: bool = False  # the agent is handing the caller on; do not end the call
    consult_uuid: str = ""  # an attended transfer's consult leg, on the agent leg

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def gone(self) -> bool:
        return self.state == "hungup"

    @property
    def queue_wait(self) -> float:
        if self.entered_queue_at is None:
            return 0.0
        end = self.left_queue_at or self.ended_at or self.entered_queue_at
        return max(0.0, end - self.entered_queue_at)

    def apply(self, event: EventLike) -> str:
        """Update from one event of this channel; returns the event name."""
        name = event.name or ""
        if not self.caller_number:
            self.caller_number = event.get("Caller-Caller-ID-Number") or ""
            self.caller_name = event.get("Caller-Caller-ID-Name") or ""
            self.destination_number = event.get("Caller-Destination-Number") or ""
            self.channel_name = event.get("Channel-Name") or event.get("Caller-Channel-Name") or ""
            self.direction = event.get("Call-Direction") or self.direction
        self.created_at = self.created_at or _usec(event, "Caller-Channel-Created-Time")
        for key in ("variable_fscc_role", "variable_fscc_parent", "variable_fscc_agent_id", "variable_fscc_queue",
                    "variable_fscc_campaign_id", "variable_fscc_attempt_id", "variable_amd_result"):
            value = event.get(key)
            if value:
                self.variables[key[len("variable_"):]] = value
        if name in ("CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA") and self.state == "new":
            self.state = "ringing"
        elif name == "CHANNEL_ANSWER":
            self.state = "answered"
            self.answered_at = _usec(event, "Caller-Channel-Answered-Time") or _usec(event, "Event-Date-Timestamp")
        elif name == "CHANNEL_BRIDGE":
            self.bridged_to = event.get("Other-Leg-Unique-ID") or event.get("Bridge-B-Unique-ID") or ""
            if self.bridged_to == self.uuid:
                self.bridged_to = event.get("Bridge-A-Unique-ID") or ""
            self.bridged_at = _usec(event, "Event-Date-Timestamp")
        elif name == "CHANNEL_UNBRIDGE":
            self.bridged_to = ""
        elif name == "CHANNEL_HOLD":
            self.held = True
        elif name == "CHANNEL_UNHOLD":
            self.held = False
        elif name == "DTMF":
            self.digits += event.get("DTMF-Digit") or ""
        elif name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
            self.state = "hungup"
            self.hangup_cause = event.get("Hangup-Cause") or self.hangup_cause
            self.ended_at = self.ended_at or _usec(event, "Caller-Channel-Hangup-Time") or _usec(event, "Event-Date-Timestamp")
            if name == "CHANNEL_HANGUP_COMPLETE":
                self.sip_hangup_disposition = event.get("variable_sip_hangup_disposition") or ""
                self.billsec = _int(event, "variable_billsec")
                self.duration = _int(event, "variable_duration") or int((self.ended_at or 0) - (self.created_at or self.ended_at or 0))
        return name

    def summary(self) -> dict[str, Any]:
        """JSON-ready view for the wallboard and the CDR's legs."""
        return {
            "uuid": self.uuid, "role": self.role, "state": self.state, "caller": self.caller_number,
            "destination": self.destination_number, "agent_id": self.agent_id, "queue": self.queue,
            "answered": self.answered, "hangup_cause": self.hangup_cause, "outcome": self.outcome,
            "billsec": self.billsec, "held": self.held, "bridged_to": self.bridged_to,
        }


class CallTable:
    """Every live channel the engine knows, by UUID (per engine, across nodes)."""

    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}

    def __contains__(self, uuid: object) -> bool:
        return uuid in self._calls

    def __iter__(self) -> Iterator[Call]:
        return iter(list(self._calls.values()))

    def __len__(self) -> int:
        return len(self._calls)

    def get(self, uuid: str) -> Call | None:
        return self._calls.get(uuid)

    def add(self, call: Call) -> Call:
        """Register a call before its first event (a leg we are about to originate)."""
        return self._calls.setdefault(call.uuid, call)

    def apply(self, event: EventLike, node: str = "") -> Call | None:
        """Route a channel event to its Call (creating it on first sight); None if no UUID."""
        uuid = event.uuid
        if not uuid:
            return None
        call = self._calls.get(uuid)
        if call is None:
            if event.name == "CHANNEL_DESTROY":
                return None
            call = self._calls[uuid] = Call(uuid=uuid, node=node)
        before = call.bridged_to
        call.apply(event)
        if event.name in ("CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE"):
            self._update_peer(call, event)
            if event.name == "CHANNEL_BRIDGE" and before and before != call.bridged_to:
                self._drop_stale_bridge(before, call.uuid)
        if event.name == "CHANNEL_DESTROY":
            self._calls.pop(uuid, None)
        return call

    def _update_peer(self, call: Call, event: EventLike) -> None:
        # FreeSWITCH reports a bridge on one leg only; the other leg's Call learns it here.
        peer_uuid = call.bridged_to or event.get("Other-Leg-Unique-ID") or event.get("Bridge-B-Unique-ID") or ""
        if peer_uuid == call.uuid:
            peer_uuid = event.get("Bridge-A-Unique-ID") or ""
        peer = self._calls.get(peer_uuid)
        if peer is None:
            return
        if event.name == "CHANNEL_BRIDGE":
            if peer.bridged_to and peer.bridged_to != call.uuid:
                self._drop_stale_bridge(peer.bridged_to, peer.uuid)
            peer.bridged_to, peer.bridged_at = call.uuid, call.bridged_at
        elif peer.bridged_to == call.uuid:
            peer.bridged_to = ""

    def _drop_stale_bridge(self, other_uuid: str, uuid: str) -> None:
        # A channel is bridged to one other at most: a new bridge ends the old one.
        other = self._calls.get(other_uuid)
        if other is not None and other.bridged_to == uuid:
            other.bridged_to = ""

    def forget(self, uuid: str) -> None:
        self._calls.pop(uuid, None)

    def from_show_channels(self, rows: list[Mapping[str, Any]], node: str) -> list[Call]:
        """Rebuild calls after a restart from ``show channels as json`` rows."""
        rebuilt = []
        for row in rows:
            uuid = str(row.get("uuid") or "")
            if not uuid or uuid in self._calls:
                continue
            call = Call(
                uuid=uuid, node=node, direction=str(row.get("direction") or ""),
                caller_number=str(row.get("cid_num") or ""), caller_name=str(row.get("cid_name") or ""),
                destination_number=str(row.get("dest") or ""), channel_name=str(row.get("name") or ""),
                state="answered" if str(row.get("callstate")) in ANSWERED_CALLSTATES else "ringing",
                created_at=float(row.get("created_epoch") or 0) or None,
                held=str(row.get("callstate")) == "HELD",
            )
            if call.state == "answered":
                call.answered_at = call.created_at
            self._calls[uuid] = call
            rebuilt.append(call)
        return rebuilt
