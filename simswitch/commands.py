"""ESL command handling (ESL_PROTOCOL.md §3-§11): reply texts exactly as FreeSWITCH's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event as Flag

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



def dispatch(session: ESLSession, command: str, headers: dict[str, str],
             raw: list[tuple[str, str]], body: bytes) -> bytes | None:
    """Run one command; return the reply frame (None = no reply)."""
    lower = command.lower()
    if not session.authed:
        if lower.startswith("auth "):
            if command[5:] == session.switch.password:
                session.authed = True
                return _reply("+OK accepted")
            session._close_after = True
            return _reply("-ERR invalid")
        if lower.startswith(("exit", "...")):
            session._close_after = True
            return _reply("+OK bye")
        return NOT_FOUND
    if session.outbound and not session.connected:
        session.connected = True
        if not lower.startswith("connect"):
            dispatch(session, command, headers, raw, body)
            return None
    if session.outbound and session.control != "full" and not lower.startswith(_SESSION_ALWAYS):
        return NOT_FOUND
    for prefix, handler in _TABLE:
        if lower.startswith(prefix):
            return handler(session, command, headers, raw, body)
    return NOT_FOUND

def _exit(session: ESLSession, *_: Any) -> bytes:
    session._close_after = True
    return _reply("+OK bye")

def _connect(session: ESLSession, *_: Any) -> bytes:
    if session.channel is None:
        return NOT_FOUND
    return session.switch.channel_data(session.channel, session.socket_mode, session.control)

def _getvar(session: ESLSession, command: str, *_: Any) -> bytes:
    name = command[6:].strip()
    value = session.channel.variables.get(name) if session.channel and name else None
    return _reply(value) if value else NOT_FOUND

def _resume(session: ESLSession, *_: Any) -> bytes:
    session.resume = True
    return _reply("+OK")

def _event(session: ESLSession, command: str, *_: Any) -> bytes:
    tokens = [t for t in command.split(" ")[1:] if t]
    if tokens and tokens[0].lower() in ("plain", "json", "xml"):
        session.fmt = tokens.pop(0).lower()
    known = False
    custom_mode = False
    for token in tokens:
        if custom_mode:
            session.custom.add(token)
            known = True
            continue
        name = _event_name(token)
        if name == "ALL":
            session.all_events = True
            session.nixed.clear()
            known = True
        elif name == "CUSTOM":
            custom_mode = True
            known = True
        elif name in EVENT_TYPES:
            session.types.add(name)
            session.nixed.discard(name)
            known = True
    if not known:
        return _reply("-ERR no keywords supplied")
    return _reply(f"+OK event listener enabled {session.fmt}")

def _nixevent(session: ESLSession, command: str, *_: Any) -> bytes:
    tokens = [t for t in command.split(" ")[1:] if t]
    if not tokens:
        return _reply("-ERR no keywords supplied")
    custom_mode = False
    for token in tokens:
        if custom_mode:
            session.custom.discard(token)
            continue
        name = _event_name(token)
        if name == "ALL":
            session.all_events = False
            session.types.clear()
            session.custom.clear()
            session.nixed.clear()
        elif name == "CUSTOM":
            custom_mode = True
        else:
            session.types.discard(name)
            if session.all_events:
                session.nixed.add(name)
    return _reply("+OK events nixed")

def _noevents(session: ESLSession, *_: Any) -> bytes:
    if not (session.all_events or session.types or session.custom):
        return _reply("-ERR not listening for events")
    session.all_events = False
    session.types.clear()
    session.custom.clear()
    session.nixed.clear()
    session._pending.clear()
    return _reply("+OK no longer listening for events")

def _filter(session: ESLSession, command: str, *_: Any) -> bytes:
    from simswitch.session import Filter

    rest = command[7:].lstrip(" ")
    if rest.lower().startswith("delete"):
        args = rest[6:].strip(" ")
        if args.lower() == "all" or not args:
            session.filters.clear()
            return _reply("+OK filter deleted. [all][]")
        header, _sep, value = args.partition(" ")
        session.filters = [f for f in session.filters if not (
            f.header.lower() == header.lower() and (not value or f.raw == value))]
        return _reply(f"+OK filter deleted. [{header}][{value}]")
    if rest.lower().startswith("add "):
        rest = rest[4:].lstrip(" ")
    header, _sep, value = rest.partition(" ")
    if not header or not value:
        return _reply("-ERR invalid syntax")
    session.filters.append(Filter(header, value))
    return _reply(f"+OK filter added. [{header}]=[{value}]")

def _myevents(session: ESLSession, command: str, *_: Any) -> bytes:
    from simswitch.session import MYEVENTS_TYPES

    if session.myevents_uuid is not None:
        return _reply("-ERR aready enabled.")
    tokens = [t for t in command.split(" ")[1:] if t]
    uuid = session.channel.uuid if session.channel else None
    if not session.outbound and tokens:
        uuid = tokens.pop(0)
        if uuid not in session.switch.channels:
            return _reply("-ERR invalid uuid")
    if tokens and tokens[0].lower() in ("plain", "json", "xml"):
        session.fmt = tokens[0].lower()
    if uuid is None:
        return _reply("-ERR invalid uuid")
    session.myevents_uuid = uuid
    session.types |= MYEVENTS_TYPES
    return _reply("+OK Events Enabled")

def _divert(session: ESLSession, command: str, *_: Any) -> bytes:
    if session.myevents_uuid is None:
        return _reply("-ERR not controlling a session.")
    arg = command[len("divert_events"):].strip().lower()
    if not arg:
        return _reply("-ERR missing value.")
    session.divert = arg in ("on", "true", "yes")
    return _reply("+OK events diverted" if session.divert else "+OK events not diverted")

def _linger(session: ESLSession, command: str, *_: Any) -> bytes:
    if not session.outbound and session.myevents_uuid is None:
        return _reply("-ERR not controlling a session")
    arg = command[6:].strip()
    if arg.lstrip("-").isdigit() and int(arg) > 0:
        session.linger = int(arg)
        return _reply(f"+OK will linger {session.linger} seconds")
    session.linger = -1
    return _reply("+OK will linger")

def _nolinger(session: ESLSession, *_: Any) -> bytes:
    if not session.outbound and session.myevents_uuid is None:
        return _reply("-ERR not controlling a session")
    session.linger = None
    return _reply("+OK will not linger")

def _log(session: ESLSession, command: str, *_: Any) -> bytes:
    arg = command[3:].strip()
    if not arg:
        session.log_level = 7
        return _reply("+OK log level  [7]")
    level = int(arg) if arg.isdigit() else LOG_LEVELS.get(arg.lower())
    if level is None or level > 7:
        return _reply("-ERR invalid log level")
    session.log_level = level
    return _reply(f"+OK log level {arg} [{level}]")

def _nolog(session: ESLSession, *_: Any) -> bytes:
    if session.log_level is None:
        return _reply("-ERR not loging")
    session.log_level = None
    return _reply("+OK no longer logging")

def _sendmsg(session: ESLSession, command: str, headers: dict[str, str],
             raw: list[tuple[str, str]], body: bytes) -> bytes:
    uuid = command[7:].strip() or headers.get("session-id", "")
    if not uuid and session.channel is not None:
        uuid = session.channel.uuid
    channel = session.switch.channels.get(uuid) if uuid else None
    if channel is None:
        return _reply(f"-ERR invalid session id [{uuid}]")
    call_command = headers.get("call-command", "").lower()
    if call_command == "execute":
        arg = headers.get("execute-app-arg")
        if arg is None and body and headers.get("content-type", "").lower() == "text/plain":
            arg = body.decode("utf-8", errors="replace")
        loops = headers.get("loops", "1")
        msg = Message(headers.get("execute-app-name", ""), arg or "",
                      int(loops) if loops.lstrip("-").isdigit() else 1,
                      headers.get("event-uuid"), headers.get("event-uuid-name"),
                      event_lock=headers.get("event-lock", "").lower() in ("true", "yes", "on"))
        # A static (non-async) socket runs the application inline: +OK after it (§10.3).
        inline = (session.outbound and session.socket_mode == "static"
                  and channel is session.channel
                  and headers.get("async", "").lower() != "true")
        if inline:
            msg.done = Flag()
        channel.messages.put(msg)
        gevent.sleep(0)  # the channel's own thread picks the message up right away
        if inline:
            msg.done.wait()
    elif call_command == "hangup":
        channel.hangup(parse_cause(headers.get("hangup-cause")))
    return _reply("+OK")


def _sendevent(session: ESLSession, command: str, headers: dict[str, str],
               raw: list[tuple[str, str]], body: bytes) -> bytes:
    name = _event_name(command[9:].strip() or "CUSTOM")
    bus = session.switch.bus
    event_uuid = session.switch.new_uuid()
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

def _api(session: ESLSession, command: str, *_: Any) -> bytes:
    line = command[4:]
    name, _sep, args = line.partition(" ")
    return wire.api_response(session.switch.apis.run(name, args, session))


def _bgapi(session: ESLSession, command: str, headers: dict[str, str], *_: Any) -> bytes:
    line = command[6:]
    name, _sep, args = line.partition(" ")
    job_uuid = headers.get("job-uuid") or session.switch.new_uuid()
    owner = session.channel.uuid if session.channel else None
    gevent.spawn(session.switch.apis.background, name, args, job_uuid, owner, session)
    return wire.command_reply(f"+OK Job-UUID: {job_uuid}", [("Job-UUID", job_uuid)])


def bus_site_sendevent() -> tuple[str, str, int]:
    """Where FreeSWITCH fires a sendevent event from."""
    return ("mod_event_socket.c", "parse_command", 2283)


_TABLE: list[tuple[str, Any]] = [
    ("exit", _exit), ("...", _exit),
    ("filter ", _filter), ("resume", _resume),
    ("connect", _connect), ("getvar", _getvar),
    ("myevents", _myevents), ("divert_events", _divert),
    ("sendmsg", _sendmsg), ("sendevent", _sendevent),
    ("api ", _api), ("bgapi ", _bgapi),
    ("linger", _linger), ("nolinger", _nolinger),
    ("nolog", _nolog), ("log", _log),
    ("event", _event), ("nixevent", _nixevent),
    ("noevents", _noevents),
]
