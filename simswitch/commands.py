"""ESL command handling (ESL_PROTOCOL.md §3-§11): reply texts exactly as FreeSWITCH's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gevent

from simswitch import wire
from simswitch.apps import Message
from simswitch.causes import parse_cause

if TYPE_CHECKING:
    from simswitch.session import ESLSession

EVENT_TYPES = frozenset(
    "CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_ANSWER "
    "CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD "
    "CHANNEL_UNHOLD CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA "
    "CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK CHANNEL_APPLICATION CHANNEL_ORIGINATE "
    "CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN STARTUP SHUTDOWN PUBLISH UNPUBLISH TALK "
    "NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD DTMF MESSAGE PRESENCE_IN NOTIFY_IN "
    "PRESENCE_OUT PRESENCE_PROBE MESSAGE_WAITING MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB "
    "DETECTED_SPEECH DETECTED_TONE PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE "
    "EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE "
    "SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT "
    "CLIENT_DISCONNECTED SERVER_DISCONNECTED SEND_INFO RECV_INFO RECV_RTCP_MESSAGE "
    "SEND_RTCP_MESSAGE CALL_SECURE NAT RECORD_START RECORD_STOP PLAYBACK_START PLAYBACK_STOP "
    "CALL_UPDATE FAILURE SOCKET_DATA MEDIA_BUG_START MEDIA_BUG_STOP CONFERENCE_DATA_QUERY "
    "CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT CALL_DETAIL DEVICE_STATE TEXT "
    "SHUTDOWN_REQUESTED CERT_RELOAD".split()
)
LOG_LEVELS = {"console": 0, "alert": 1, "crit": 2, "err": 3, "error": 3, "warning": 4,
              "notice": 5, "info": 6, "debug": 7}
NOT_FOUND = wire.command_reply("-ERR command not found")
# Commands a session socket without `full` still accepts (§10.3).
_SESSION_ALWAYS = ("exit", "...", "filter ", "resume", "connect", "getvar", "myevents",
                   "divert_events", "sendmsg")


def _reply(text: str) -> bytes:
    return wire.command_reply(text)


def _event_name(token: str) -> str:
    name = token.upper()
    return name[len("SWITCH_EVENT_"):] if name.startswith("SWITCH_EVENT_") else name


class CommandsMixin:
    """`dispatch` and one method per ESL command; mixed into ESLSession."""

    def dispatch(self: ESLSession, command: str, headers: dict[str, str],
                 raw: list[tuple[str, str]], body: bytes) -> bytes | None:
        """Run one command; return the reply frame (None = no reply)."""
        lower = command.lower()
        if not self.authed:
            if lower.startswith("auth "):
                if command[5:] == self.switch.password:
                    self.authed = True
                    return _reply("+OK accepted")
                self._close_after = True
                return _reply("-ERR invalid")
            if lower.startswith(("exit", "...")):
                self._close_after = True
                return _reply("+OK bye")
            return NOT_FOUND
        if self.outbound and not self.connected:
            self.connected = True
            if not lower.startswith("connect"):
                self.dispatch(command, headers, raw, body)
                return None
        if self.outbound and self.control != "full" and not lower.startswith(_SESSION_ALWAYS):
            return NOT_FOUND
        for prefix, handler in _TABLE:
            if lower.startswith(prefix):
                return handler(self, command, headers, raw, body)
        return NOT_FOUND

    def _exit(self: ESLSession, *_: Any) -> bytes:
        self._close_after = True
        return _reply("+OK bye")

    def _connect(self: ESLSession, *_: Any) -> bytes:
        if self.channel is None:
            return NOT_FOUND
        return self.switch.channel_data(self.channel, self.socket_mode, self.control)

    def _getvar(self: ESLSession, command: str, *_: Any) -> bytes:
        name = command[6:].strip()
        value = self.channel.variables.get(name) if self.channel and name else None
        return _reply(value) if value else NOT_FOUND

    def _resume(self: ESLSession, *_: Any) -> bytes:
        self.resume = True
        return _reply("+OK")

    def _event(self: ESLSession, command: str, *_: Any) -> bytes:
        tokens = [t for t in command.split(" ")[1:] if t]
        if tokens and tokens[0].lower() in ("plain", "json", "xml"):
            self.fmt = tokens.pop(0).lower()
        known = False
        custom_mode = False
        for token in tokens:
            if custom_mode:
                self.custom.add(token)
                known = True
                continue
            name = _event_name(token)
            if name == "ALL":
                self.all_events = True
                self.nixed.clear()
                known = True
            elif name == "CUSTOM":
                custom_mode = True
                known = True
            elif name in EVENT_TYPES:
                self.types.add(name)
                self.nixed.discard(name)
                known = True
        if not known:
            return _reply("-ERR no keywords supplied")
        return _reply(f"+OK event listener enabled {self.fmt}")

    def _nixevent(self: ESLSession, command: str, *_: Any) -> bytes:
        tokens = [t for t in command.split(" ")[1:] if t]
        if not tokens:
            return _reply("-ERR no keywords supplied")
        custom_mode = False
        for token in tokens:
            if custom_mode:
                self.custom.discard(token)
                continue
            name = _event_name(token)
            if name == "ALL":
                self.all_events = False
                self.types.clear()
                self.custom.clear()
                self.nixed.clear()
            elif name == "CUSTOM":
                custom_mode = True
            else:
                self.types.discard(name)
                if self.all_events:
                    self.nixed.add(name)
        return _reply("+OK events nixed")

    def _noevents(self: ESLSession, *_: Any) -> bytes:
        if not (self.all_events or self.types or self.custom):
            return _reply("-ERR not listening for events")
        self.all_events = False
        self.types.clear()
        self.custom.clear()
        self.nixed.clear()
        self._pending.clear()
        return _reply("+OK no longer listening for events")

    def _filter(self: ESLSession, command: str, *_: Any) -> bytes:
        from simswitch.session import Filter

        rest = command[7:].lstrip(" ")
        if rest.lower().startswith("delete"):
            args = rest[6:].strip(" ")
            if args.lower() == "all" or not args:
                self.filters.clear()
                return _reply("+OK filter deleted. [all][]")
            header, _, value = args.partition(" ")
            self.filters = [f for f in self.filters if not (
                f.header.lower() == header.lower() and (not value or f.raw == value))]
            return _reply(f"+OK filter deleted. [{header}][{value}]")
        if rest.lower().startswith("add "):
            rest = rest[4:].lstrip(" ")
        header, _, value = rest.partition(" ")
        if not header or not value:
            return _reply("-ERR invalid syntax")
        self.filters.append(Filter(header, value))
        return _reply(f"+OK filter added. [{header}]=[{value}]")

    def _myevents(self: ESLSession, command: str, *_: Any) -> bytes:
        from simswitch.session import MYEVENTS_TYPES

        if self.myevents_uuid is not None:
            return _reply("-ERR aready enabled.")
        tokens = [t for t in command.split(" ")[1:] if t]
        uuid = self.channel.uuid if self.channel else None
        if not self.outbound and tokens:
            uuid = tokens.pop(0)
            if uuid not in self.switch.channels:
                return _reply("-ERR invalid uuid")
        if tokens and tokens[0].lower() in ("plain", "json", "xml"):
            self.fmt = tokens[0].lower()
        if uuid is None:
            return _reply("-ERR invalid uuid")
        self.myevents_uuid = uuid
        self.types |= MYEVENTS_TYPES
        return _reply("+OK Events Enabled")

    def _divert(self: ESLSession, command: str, *_: Any) -> bytes:
        if self.myevents_uuid is None:
            return _reply("-ERR not controlling a session.")
        arg = command[len("divert_events"):].strip().lower()
        if not arg:
            return _reply("-ERR missing value.")
        self.divert = arg in ("on", "true", "yes")
        return _reply("+OK events diverted" if self.divert else "+OK events not diverted")

    def _linger(self: ESLSession, command: str, *_: Any) -> bytes:
        if not self.outbound and self.myevents_uuid is None:
            return _reply("-ERR not controlling a session")
        arg = command[6:].strip()
        if arg.lstrip("-").isdigit() and int(arg) > 0:
            self.linger = int(arg)
            return _reply(f"+OK will linger {self.linger} seconds")
        self.linger = -1
        return _reply("+OK will linger")

    def _nolinger(self: ESLSession, *_: Any) -> bytes:
        if not self.outbound and self.myevents_uuid is None:
            return _reply("-ERR not controlling a session")
        self.linger = None
        return _reply("+OK will not linger")

    def _log(self: ESLSession, command: str, *_: Any) -> bytes:
        arg = command[3:].strip()
        if not arg:
            self.log_level = 7
            return _reply("+OK log level  [7]")
        level = int(arg) if arg.isdigit() else LOG_LEVELS.get(arg.lower())
        if level is None or level > 7:
            return _reply("-ERR invalid log level")
        self.log_level = level
        return _reply(f"+OK log level {arg} [{level}]")

    def _nolog(self: ESLSession, *_: Any) -> bytes:
        if self.log_level is None:
            return _reply("-ERR not loging")
        self.log_level = None
        return _reply("+OK no longer logging")

    def _sendmsg(self: ESLSession, command: str, headers: dict[str, str],
                 raw: list[tuple[str, str]], body: bytes) -> bytes:
        uuid = command[7:].strip() or headers.get("session-id", "")
        if not uuid and self.channel is not None:
            uuid = self.channel.uuid
        channel = self.switch.channels.get(uuid) if uuid else None
        if channel is None:
            return _reply(f"-ERR invalid session id [{uuid}]")
        call_command = headers.get("call-command", "").lower()
        if call_command == "execute":
            arg = headers.get("execute-app-arg")
            if arg is None and body and headers.get("content-type", "").lower() == "text/plain":
                arg = body.decode("utf-8", errors="replace")
            loops = headers.get("loops", "1")
            channel.messages.put(Message(
                headers.get("execute-app-name", ""), arg or "",
                int(loops) if loops.lstrip("-").isdigit() else 1,
                headers.get("event-uuid"), headers.get("event-uuid-name")))
            gevent.sleep(0)  # the channel's own thread picks the message up right away
        elif call_command == "hangup":
            channel.hangup(parse_cause(headers.get("hangup-cause")))
        return _reply("+OK")

    def _sendevent(self: ESLSession, command: str, headers: dict[str, str],
                   raw: list[tuple[str, str]], body: bytes) -> bytes:
        name = _event_name(command[9:].strip() or "CUSTOM")
        bus = self.switch.bus
        event_uuid = self.switch.new_uuid()
        subclass = headers.get("event-subclass")
        own = [(k, v) for k, v in raw if k.lower() == "event-subclass"]
        own.append(("Command", command))
        own += [(k, v) for k, v in raw if k.lower() != "event-subclass"]
        own.append(("Event-UUID", event_uuid))
        std = [h for h in bus.standard_headers(name, bus_site_sendevent())
               if h[0] != "Event-Subclass"]
        from simswitch.events import Event

        text = body.decode("utf-8", errors="replace") if body else None
        bus.fire(Event(name, own + std, text, subclass))
        return _reply(f"+OK {event_uuid}")

    def _api(self: ESLSession, command: str, *_: Any) -> bytes:
        line = command[4:]
        name, _, args = line.partition(" ")
        return wire.api_response(self.switch.apis.run(name, args, self))

    def _bgapi(self: ESLSession, command: str, headers: dict[str, str], *_: Any) -> bytes:
        line = command[6:]
        name, _, args = line.partition(" ")
        job_uuid = headers.get("job-uuid") or self.switch.new_uuid()
        owner = self.channel.uuid if self.channel else None
        gevent.spawn(self.switch.apis.background, name, args, job_uuid, owner, self)
        return wire.command_reply(f"+OK Job-UUID: {job_uuid}", [("Job-UUID", job_uuid)])


def bus_site_sendevent() -> tuple[str, str, int]:
    """Where FreeSWITCH fires a sendevent event from."""
    return ("mod_event_socket.c", "parse_command", 2283)


_TABLE: list[tuple[str, Any]] = [
    ("exit", CommandsMixin._exit), ("...", CommandsMixin._exit),
    ("filter ", CommandsMixin._filter), ("resume", CommandsMixin._resume),
    ("connect", CommandsMixin._connect), ("getvar", CommandsMixin._getvar),
    ("myevents", CommandsMixin._myevents), ("divert_events", CommandsMixin._divert),
    ("sendmsg", CommandsMixin._sendmsg), ("sendevent", CommandsMixin._sendevent),
    ("api ", CommandsMixin._api), ("bgapi ", CommandsMixin._bgapi),
    ("linger", CommandsMixin._linger), ("nolinger", CommandsMixin._nolinger),
    ("nolog", CommandsMixin._nolog), ("log", CommandsMixin._log),
    ("event", CommandsMixin._event), ("nixevent", CommandsMixin._nixevent),
    ("noevents", CommandsMixin._noevents),
]
