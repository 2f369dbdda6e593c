"""Replay a real ESL transcript against a target over TCP and diff what comes back.

The client side of each capture (`NAME.sent.bin`, timed by `NAME.jsonl`) is sent again;
before each command we wait until as many frames have arrived as the real client had seen
when it sent that command. UUIDs in commands are mapped from the real run to ours by order
of first appearance of `Unique-ID`, conference member ids by order of joining. Frames are parsed with `engine.esl.parser.ESLParser`.
"""

from __future__ import annotations

import base64
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent

from engine.esl.parser import ESLParser, Frame

Rewrite = Callable[[str, list[Frame]], str]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "esl"
# `conference NAME ACTION MEMBER-ID`: mod_conference numbers members globally since load.
MEMBER_COMMAND_RE = re.compile(rb"^((?:bg)?api conference \S+ \S+ )(\d+)(?=\s)")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EVENT_TYPES = ("text/event-plain", "text/event-json", "text/event-xml")
# Variables whose presence we check on matching events (the rest are module detail).
CORE_VARIABLES = {
    "variable_uuid", "variable_call_uuid", "variable_direction", "variable_channel_name",
    "variable_hangup_cause", "variable_hangup_cause_q850", "variable_duration",
    "variable_billsec", "variable_answersec", "variable_start_epoch", "variable_answer_epoch",
    "variable_end_epoch", "variable_current_application", "variable_sip_hangup_disposition",
    "variable_read_result", "variable_pagd_result", "variable_last_app",
    "variable_other_loopback_leg_uuid", "variable_loopback_leg", "variable_caller_id",
}


@dataclass
class Transcript:
    """One capture: the commands with the frame count seen before each, and real frames."""

    name: str
    sends: list[tuple[int, bytes]]
    frames: list[Frame]

    @classmethod
    def load(cls, name: str, ignore: frozenset[str] = frozenset()) -> Transcript:
        """Read NAME.jsonl; events named in `ignore` (timer-driven ones such as HEARTBEAT)
        are dropped, so pacing does not wait for them."""
        parser = ESLParser()
        seen = 0
        sends: list[tuple[int, bytes]] = []
        frames: list[Frame] = []
        lines = (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:
            op = json.loads(line)
            raw = base64.b64decode(op.get("b64", ""))
            if op["dir"] == "recv":
                new = [f for f in parser.feed(raw) if not (
                    f.content_type in EVENT_TYPES and event_key(f) in ignore)]
                frames += new
                seen += len(new)
            elif op["dir"] == "send":
                sends.append((seen, raw))
        return cls(name, sends, frames)


def first_member_ids(frames: list[Frame]) -> list[str]:
    """Conference member ids in order of their add-member events."""
    order: list[str] = []
    for frame in frames:
        event = frame.event
        if event is None or event.get("Action") != "add-member":
            continue
        member = event.get("Member-ID")
        if member and member not in order:
            order.append(member)
    return order


def map_ids(data: bytes, real: list[Frame], ours: list[Frame]) -> bytes:
    """Rewrite a command of the real run for ours: channel UUIDs by order of first
    appearance, conference member ids by order of joining (ids no member had stay)."""
    mine = first_uuids(ours)
    for position, uuid in enumerate(first_uuids(real)):
        if position < len(mine):
            data = data.replace(uuid.encode(), mine[position].encode())
    members = dict(zip(first_member_ids(real), first_member_ids(ours), strict=False))

    def member(match: re.Match[bytes]) -> bytes:
        mapped = members.get(match.group(2).decode(), match.group(2).decode())
        return match.group(1) + mapped.encode()
    return MEMBER_COMMAND_RE.sub(member, data)


def first_uuids(frames: list[Frame]) -> list[str]:
    """Channel UUIDs in order of first appearance (events and the connect reply)."""
    order: list[str] = []
    for frame in frames:
        event = frame.event
        uuid = event.get("Unique-ID") if event is not None else None
        if uuid and uuid not in order:
            order.append(uuid)
    return order


@dataclass
class Connection:
    """A replaying client socket collecting frames in a background greenlet."""

    sock: socket.socket
    frames: list[Frame] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        self._parser = ESLParser()
        self._reader = gevent.spawn(self._read)

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue  # the socket's connect timeout also bounds recv: quiet is not closed
            except OSError:
                break
            if not data:
                break
            self.frames += self._parser.feed(data)
        self.closed = True

    def wait_frames(self, count: int, timeout: float,
                    uncounted: frozenset[str] = frozenset()) -> bool:
        """Wait until `count` frames arrived (or the peer closed), not counting events named
        in `uncounted`; False on timeout."""
        with gevent.Timeout(timeout, False):
            while counted(self.frames, uncounted) < count and not self.closed:
                gevent.sleep(0.005)
            return counted(self.frames, uncounted) >= count
        return False

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        self._reader.kill(block=False)


def counted(frames: list[Frame], uncounted: frozenset[str]) -> int:
    """Frames, less the events named in `uncounted`."""
    if not uncounted:
        return len(frames)
    return sum(1 for f in frames
               if f.content_type not in EVENT_TYPES or event_key(f) not in uncounted)


def replay(transcript: Transcript, conn: Connection, timeout: float = 8.0,
           final_wait: float = 8.0, hold: dict[int, Any] | None = None,
           optional: frozenset[str] = frozenset()) -> list[Frame]:
    """Send the transcript's commands with real pacing; return the frames received.

    Events named in `optional` are left out of the pacing count on both sides (events the
    switch may or may not deliver, depending on its thread timing). `hold` maps a command index to a gevent Event (or a predicate over the frames received
    so far) to wait for before sending it: used where the real run's order came from
    something outside this connection or from FreeSWITCH's thread timing.
    """
    for index, (seen_before, data) in enumerate(transcript.sends):
        conn.wait_frames(counted(transcript.frames[:seen_before], optional), timeout, optional)
        condition = (hold or {}).get(index)
        if callable(condition):
            with gevent.Timeout(timeout, False):
                while not condition(conn.frames):
                    gevent.sleep(0.005)
        elif condition is not None:
            condition.wait(timeout=30)
        data = map_ids(data, transcript.frames, conn.frames)
        try:
            conn.sock.sendall(data)
        except OSError:
            break
    conn.wait_frames(counted(transcript.frames, optional), final_wait, optional)
    return list(conn.frames)


# -- comparison ----------------------------------------------------------------------------
def event_key(frame: Frame) -> str:
    """Event name, or `CUSTOM <subclass> <Action>` for custom events."""
    event = frame.event
    assert event is not None
    name = event.get("Event-Name") or "?"
    if name == "CUSTOM":
        action = event.get("Action") or event.get("CC-Action") or ""
        return f"CUSTOM {event.get('Event-Subclass')} {action}".strip()
    return name


# The build stamp of a git checkout (`1.11.3-dev+git~20260821T141014Z~cc93a683ca~64bit`,
# `(git cc93a68 2026-08-21 14:10:14Z 64bit)`); the capture's build came from `git archive`
# and has none (`1.11.3-dev~64bit ( 64bit)`). The rest of the version text must match.
GIT_BUILD_RE = re.compile(r"\+git~\d{8}T\d{6}Z~[0-9a-f]{7,40}|"
                          r"git [0-9a-f]{7,40} \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")


def normalize(text: str) -> str:
    """Blank out values that differ between runs (UUIDs, numbers, uptime plurals) or
    between deployments (the build stamp in version strings)."""
    text = GIT_BUILD_RE.sub("", text)
    text = UUID_RE.sub("<uuid>", text)
    text = re.sub(r"\d+ (year|day|hour|minute|second|millisecond|microsecond)s?\b",
                  r"N \1", text)
    return re.sub(r"\d+", "N", text)


def reply_key(frame: Frame, rewrite: Rewrite | None = None,
              frames: list[Frame] | None = None) -> tuple[str, str]:
    """(Content-Type, normalized reply text or body) of a non-event frame; `rewrite(text,
    frames)` first removes what belongs to the deployment rather than to this run."""
    ctype = frame.content_type or ""
    if frame.is_channel_data:
        return ctype + "+channel-data", normalize(frame.reply_text or "")
    if ctype == "command/reply":
        return ctype, normalize(frame.headers.get("Reply-Text", ""))
    text = frame.text if rewrite is None else rewrite(frame.text, frames or [])
    return ctype, normalize(text)


def header_names(frame: Frame) -> set[str]:
    """Header names of an event, variables reduced to the core set."""
    event = frame.event
    assert event is not None
    names = set(event.headers)
    return {n for n in names if not n.startswith("variable_") or n in CORE_VARIABLES}


@dataclass
class Diff:
    """Differences between the real transcript and our replay."""

    replies: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.replies or self.events or self.headers)

    def __str__(self) -> str:
        return "\n".join(self.replies + self.events + self.headers)


def compare(real: list[Frame], ours: list[Frame], skip_events: set[str] | None = None,
            body_rules: dict[str, Any] | None = None, rewrite: Rewrite | None = None,
            racy_headers: dict[tuple[str, str], set[str]] | None = None,
            racy_pairs: dict[tuple[str, str], set[str]] | None = None) -> Diff:
    """Replies/bodies in order, event names in order per source, header names per matching
    event. `rewrite(text, frames)` is applied to every api body of each side (with that
    side's frames) before comparing. `racy_headers` maps (group label, event name), e.g.
    (`channel loopback/esl_agent-a #1`, `CHANNEL_HANGUP_COMPLETE`), to header names it may
    carry or not: headers FreeSWITCH omits when empty and whose value another thread sets.
    `racy_pairs` maps two adjacent events of one channel that two threads fire, accepted in
    either order, to the headers the pair's events may carry or not for the same reason."""
    skip = skip_events or set()
    diff = Diff()
    real_replies = [reply_key(f, rewrite, real) for f in real if f.content_type not in EVENT_TYPES]
    our_replies = [reply_key(f, rewrite, ours) for f in ours if f.content_type not in EVENT_TYPES]
    rules = body_rules or {}
    for index in range(max(len(real_replies), len(our_replies))):
        want = real_replies[index] if index < len(real_replies) else None
        got = our_replies[index] if index < len(our_replies) else None
        if want and got and want[0] == got[0]:
            rule = next((r for key, r in rules.items() if want[1].startswith(key)), None)
            if rule is not None and rule(want[1], got[1]):
                continue
        if want != got:
            diff.replies.append(f"reply #{index}: real {want!r}\n            ours {got!r}")
    real_data = [f for f in real if f.is_channel_data]
    our_data = [f for f in ours if f.is_channel_data]
    for want_frame, got_frame in zip(real_data, our_data, strict=False):
        missing = header_names(want_frame) - header_names(got_frame)
        extra = header_names(got_frame) - header_names(want_frame)
        if missing or extra:
            diff.headers.append(f"connect reply: missing {sorted(missing)} extra {sorted(extra)}")
    real_groups = event_sequences(real, skip)
    our_groups = event_sequences(ours, skip)
    pairs = racy_pairs or {}
    for label in list(real_groups) + [k for k in our_groups if k not in real_groups]:
        real_group = canonical_order(real_groups.get(label, []), pairs)
        our_group = canonical_order(our_groups.get(label, []), pairs)
        paired = {**in_pairs(real_group, pairs), **in_pairs(our_group, pairs)}
        want_names = [event_key(f) for f in real_group]
        got_names = [event_key(f) for f in our_group]
        if want_names != got_names:
            diff.events.append(f"{label} order differs:\n  real {want_names}\n  ours {got_names}")
        for index, (real_event, our_event) in enumerate(zip(real_group, our_group,
                                                            strict=False)):
            if event_key(real_event) != event_key(our_event):
                continue
            racy = (racy_headers or {}).get((label, event_key(real_event)), set()) | \
                paired.get(index, set())
            missing = header_names(real_event) - header_names(our_event) - racy
            extra = header_names(our_event) - header_names(real_event) - racy
            if missing or extra:
                diff.headers.append(f"{label} {event_key(real_event)}: missing "
                                    f"{sorted(missing)} extra {sorted(extra)}")
    return diff


def canonical_order(frames: list[Frame], pairs: dict[tuple[str, str], set[str]]
                    ) -> list[Frame]:
    """Swap adjacent (second, first) of a pair (first, second) until none is left: the
    sequence as it reads when every race went the canonical way (`pairs` must not hold
    both (a, b) and (b, a))."""
    out = list(frames)
    swapped = True
    while swapped:
        swapped = False
        for index in range(len(out) - 1):
            if (event_key(out[index + 1]), event_key(out[index])) in pairs:
                out[index], out[index + 1] = out[index + 1], out[index]
                swapped = True
    return out


def in_pairs(frames: list[Frame], pairs: dict[tuple[str, str], set[str]]
             ) -> dict[int, set[str]]:
    """Positions of events that form one of `pairs` with their successor (canonical order),
    mapped to that pair's racy headers."""
    found: dict[int, set[str]] = {}
    for index in range(len(frames) - 1):
        racy = pairs.get((event_key(frames[index]), event_key(frames[index + 1])))
        if racy is not None:
            found[index] = found[index + 1] = racy
    return found


def event_source(event: Any) -> str:
    """The FreeSWITCH thread an event without a channel comes from: one per event name or
    custom subclass, and for mod_callcenter one per agent (CC-Agent) beside the queue's."""
    name = event.get("Event-Subclass") or event.get("Event-Name") or "?"
    agent = event.get("CC-Agent")
    return f"{name} {agent}" if agent else name


def event_sequences(frames: list[Frame], skip: set[str]) -> dict[str, list[Frame]]:
    """Events grouped by where FreeSWITCH fixes their order: each channel runs in its own
    thread, and events without a channel come from per-source threads
    (`non-channel events (source)`). Only the order within a group is protocol; the
    interleaving across groups is thread timing. Channels are labelled by their name (without the host) and
    the order of first appearance among channels of that name (`loopback/esl_cc-a #1`),
    since channels that only show up at `hupall` appear in any order."""
    events = [f for f in frames if f.content_type in EVENT_TYPES and event_key(f) not in skip]
    names: dict[str, str] = {}
    for frame in events:
        event = frame.event
        assert event is not None
        uuid = event.get("Unique-ID")
        if uuid and not names.get(uuid):
            # the host part (`@192.0.2.2:5071`) is deployment, the endpoint and user are not
            names[uuid] = (event.get("Channel-Name") or "").split("@")[0]
    groups: dict[str, list[Frame]] = {}
    labels: dict[str, str] = {}
    for frame in events:
        event = frame.event
        assert event is not None
        uuid = event.get("Unique-ID")
        if uuid:
            if uuid not in labels:
                same = sum(1 for other in labels if names[other] == names[uuid])
                labels[uuid] = f"channel {names[uuid] or '?'} #{same + 1}"
            label = labels[uuid]
        else:
            label = f"non-channel events ({event_source(event)})"
        groups.setdefault(label, []).append(frame)
    return groups
