"""Events as FreeSWITCH builds them: standard headers, sequence numbers, the bus, the clock.

An `Event` is an ordered header list plus an optional body. The `EventBus` stamps the
standard headers of ESL_PROTOCOL.md §6.3 in the real order and hands the event to every
listening ESL session. Events nobody listens to are never built (`EventBus.wants`), which is
what keeps thousands of simulated channels cheap.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Iterable
from typing import Protocol

import gevent

from simswitch.wire import SERIALIZERS, Headers, event_frame

# (file, function, line) that fired each event in the real captures.
CALL_SITES: dict[str, tuple[str, str, int]] = {
    "API": ("switch_loadable_module.c", "switch_api_execute", 3140),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1580),
    "CALL_UPDATE": ("switch_channel.c", "switch_channel_flip_cid", 3279),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3848),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1810),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 302),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1588),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2949),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2972),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3447),
    "CHANNEL_HANGUP_COMPLETE": (
        "switch_core_state_machine.c",
        "switch_core_session_reporting_state",
        943,
    ),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1213),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3507),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3562),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2409),
    "CHANNEL_HOLD": ("switch_channel.c", "switch_channel_perform_set_flag_value", 1307),
    "CHANNEL_UNHOLD": ("switch_channel.c", "switch_channel_perform_clear_flag", 1456),
    "CODEC": ("switch_core_codec.c", "switch_core_session_set_read_codec", 300),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 678),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 95),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1556),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2011),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1316),
    "RECORD_STOP": ("switch_ivr_async.c", "record_callback", 1432),
    "CUSTOM": ("mod_event_socket.c", "parse_command", 2283),
}
_DEFAULT_SITE = ("switch_event.c", "switch_event_fire_detailed", 2050)


class Clock:
    """Simulated time: `speed` simulated seconds pass per real second."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed

    def now_us(self) -> int:
        """Simulated epoch microseconds."""
        return int(self.now() * 1_000_000)

    def sleep(self, sim_seconds: float) -> None:
        """Block the calling greenlet for `sim_seconds` of simulated time."""
        gevent.sleep(max(0.0, sim_seconds) / self.speed)

    def uptime(self) -> float:
        """Simulated seconds since the switch started."""
        return (time.monotonic() - self._mono0) * self.speed


class Event:
    """One FreeSWITCH event: ordered headers, optional body, cached serializations."""

    __slots__ = ("name", "subclass", "headers", "body", "_cache", "_lookup")

    def __init__(self, name: str, headers: Headers, body: str | None = None,
                 subclass: str | None = None) -> None:
        self.name = name
        self.subclass = subclass
        self.headers = headers
        self.body = body
        self._cache: dict[str, bytes] = {}
        self._lookup: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        """First value of header `name` (case-insensitive), or None."""
        if self._lookup is None:
            lookup: dict[str, str] = {}
            for key, value in self.headers:
                lookup.setdefault(key.lower(), value)
            self._lookup = lookup
        return self._lookup.get(name.lower())

    def frame(self, fmt: str) -> bytes:
        """The complete outer frame in `fmt` (plain/json/xml), built once per format."""
        cached = self._cache.get(fmt)
        if cached is None:
            cached = event_frame(fmt, SERIALIZERS[fmt](self.headers, self.body))
            self._cache[fmt] = cached
        return cached


class Listener(Protocol):
    """What the bus needs from an ESL session."""

    def wants(self, name: str, subclass: str | None) -> bool: ...

    def offer(self, event: Event) -> None: ...


class EventBus:
    """Numbers, stamps and fans out events to listeners."""

    def __init__(self, clock: Clock, hostname: str, ipv4: str, ipv6: str) -> None:
        self.clock = clock
        self.core_uuid = str(uuidlib.uuid4())
        self.hostname = hostname
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.sequence = 0
        self.listeners: list[Listener] = []
        self._date_cache: tuple[int, str, str] = (-1, "", "")

    def wants(self, name: str, subclass: str | None = None) -> bool:
        """True when at least one listener would receive an event of this type."""
        return any(listener.wants(name, subclass) for listener in self.listeners)

    def _dates(self, now: float) -> tuple[str, str]:
        second = int(now)
        if self._date_cache[0] != second:
            local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            gmt = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second))
            self._date_cache = (second, local, gmt)
        return self._date_cache[1], self._date_cache[2]

    def standard_headers(self, name: str, site: tuple[str, str, int] | None = None,
                         subclass: str | None = None) -> Headers:
        """Headers 1-14 of §6.3, consuming one sequence number."""
        self.sequence += 1
        now = self.clock.now()
        local, gmt = self._dates(now)
        file, func, line = site or CALL_SITES.get(name, _DEFAULT_SITE)
        headers: Headers = [
            ("Event-Name", name),
            ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname),
            ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", self.ipv4),
            ("FreeSWITCH-IPv6", self.ipv6),
            ("Event-Date-Local", local),
            ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", file),
            ("Event-Calling-Function", func),
            ("Event-Calling-Line-Number", str(line)),
            ("Event-Sequence", str(self.sequence)),
        ]
        if subclass:
            headers.append(("Event-Subclass", subclass))
        return headers

    def make(self, name: str, specific: Iterable[tuple[str, str]] = (), body: str | None = None,
             site: tuple[str, str, int] | None = None, subclass: str | None = None) -> Event:
        """Build an event: standard headers then `specific` headers."""
        headers = self.standard_headers(name, site, subclass)
        headers.extend(specific)
        return Event(name, headers, body, subclass)

    def fire(self, event: Event) -> None:
        """Offer the event to every listener (each applies its own subscription/filters)."""
        for listener in list(self.listeners):
            if listener.wants(event.name, event.subclass):
                listener.offer(event)

    def emit(self, name: str, specific: Iterable[tuple[str, str]] = (), body: str | None = None,
             site: tuple[str, str, int] | None = None, subclass: str | None = None) -> None:
        """Build and fire, skipping all the work when nobody listens."""
        if not self.wants(name, subclass):
            self.sequence += 1
            return
        self.fire(self.make(name, specific, body, site, subclass))
