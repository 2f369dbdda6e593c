"""Builders for what the client sends to FreeSWITCH (ESL_PROTOCOL.md §2.3, §4-§11, §14).

Every builder returns the complete bytes of one command, blank-line terminated, exactly as
the captured client sent them (see tests/fixtures/esl/*.sent.bin). `originate()`,
`uuid_*()` return the API argument string, to be wrapped by `api()` or `bgapi()`.
Anything that would break the framing (a newline in a command line or header) is refused
with a ValueError naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from engine.esl.dialstring import (
    dial_string,
    escape_var_value,
    originate,
    quote_arg,
    single_line,
    single_word,
)

__all__ = [
    "api", "auth", "bgapi", "connect", "divert_events", "event", "exit_", "filter_",
    "filter_delete", "hangup", "linger", "log", "myevents", "nixevent", "noevents", "nolinger",
    "nolog", "originate", "dial_string", "escape_var_value", "quote_arg", "resume",
    "sendevent", "sendmsg", "execute", "uuid_answer", "uuid_break", "uuid_bridge",
    "uuid_broadcast", "uuid_exists", "uuid_getvar", "uuid_kill", "uuid_record",
    "uuid_recv_dtmf", "uuid_send_dtmf", "uuid_setvar", "uuid_transfer",
]

FORMATS = ("plain", "json", "xml")
# Above this an execute argument goes in the body (§11.3) rather than a header line.
BODY_ARG_THRESHOLD = 2048


def _frame(first_line: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b"") -> bytes:
    lines = [single_line(first_line, "command")]
    for name, value in headers:
        lines.append(f"{single_line(name, 'header name')}: {single_line(value, name)}")
    if body:
        lines.append(f"content-length: {len(body)}")
    return ("\n".join(lines) + "\n\n").encode("utf-8") + body


# -- connection-level commands ------------------------------------------------------------------
def auth(password: str) -> bytes:
    """`auth <password>`: the first thing an inbound client sends."""
    return _frame(f"auth {single_line(password, 'password')}")


def connect() -> bytes:
    """`connect`: the first thing an outbound-socket client sends."""
    return _frame("connect")


def exit_() -> bytes:
    """`exit`: FreeSWITCH replies `+OK bye`, sends the disconnect notice and closes."""
    return _frame("exit")


def api(command: str) -> bytes:
    """`api <command>`: blocking API call answered by one `api/response`."""
    return _frame(f"api {command}")


def bgapi(command: str, job_uuid: str | None = None) -> bytes:
    """`bgapi <command>` with an optional client-chosen `Job-UUID` header (honoured by FS)."""
    headers = [("Job-UUID", single_word(job_uuid, "job_uuid"))] if job_uuid else []
    return _frame(f"bgapi {command}", headers)


def _event_words(names: Iterable[str]) -> list[str]:
    """Event names then every CUSTOM subclass (everything after CUSTOM is a subclass, §6.1)."""
    plain: list[str] = []
    subclasses: list[str] = []
    for name in names:
        words = name.split()
        if not words:
            raise ValueError("event names must not be empty")
        if words[0].upper() == "CUSTOM":
            subclasses.extend(words[1:])
        else:
            plain.extend(words)
    if subclasses or any(name.upper() == "CUSTOM" for name in plain):
        plain = [name for name in plain if name.upper() != "CUSTOM"]
        return plain + ["CUSTOM"] + subclasses
    return plain


def event(names: Iterable[str], fmt: str = "plain") -> bytes:
    """`event <fmt> NAME ... [CUSTOM sub::class ...]`; accepts `"CUSTOM a::b"` entries."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    words = _event_words(names)
    if not words:
        raise ValueError("event needs at least one event name")
    return _frame(f"event {fmt} {' '.join(words)}")


def nixevent(names: Iterable[str]) -> bytes:
    """`nixevent NAME ...`: stop receiving those events."""
    return _frame(f"nixevent {' '.join(_event_words(names))}")


def noevents() -> bytes:
    """`noevents`: drop every subscription."""
    return _frame("noevents")


def filter_(header: str, value: str) -> bytes:
    """`filter <Header> <value>`; prefix value with `-` for a negative filter (§7)."""
    return _frame(f"filter {single_word(header, 'filter header')} {single_line(value, 'filter value')}")


def filter_delete(header: str, value: str | None = None) -> bytes:
    """`filter delete <Header> [<value>]`; header `all` removes every filter."""
    tail = f" {single_line(value, 'filter value')}" if value else ""
    return _frame(f"filter delete {single_word(header, 'filter header')}{tail}")


def myevents(uuid: str | None = None, fmt: str | None = None) -> bytes:
    """`myevents [<uuid>] [plain|json|xml]` (uuid only on inbound sockets)."""
    words = ["myevents"]
    if uuid:
        words.append(single_word(uuid, "uuid"))
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
        words.append(fmt)
    return _frame(" ".join(words))


def linger(seconds: int | None = None) -> bytes:
    """`linger [N]`: keep the socket after hangup (forever without N)."""
    if seconds is None:
        return _frame("linger")
    if seconds <= 0:
        raise ValueError(f"linger seconds must be positive, not {seconds}")
    return _frame(f"linger {int(seconds)}")


def nolinger() -> bytes:
    """`nolinger`."""
    return _frame("nolinger")


def resume() -> bytes:
    """`resume`: the channel continues its dialplan when the socket closes."""
    return _frame("resume")


def divert_events(on: bool) -> bytes:
    """`divert_events on|off`."""
    return _frame(f"divert_events {'on' if on else 'off'}")


def log(level: int | str = 7) -> bytes:
    """`log <level>` (0-7 or CONSOLE..DEBUG)."""
    return _frame(f"log {single_word(str(level), 'log level')}")


def nolog() -> bytes:
    """`nolog`."""
    return _frame("nolog")


def sendevent(
    name: str, headers: Mapping[str, str] | Sequence[tuple[str, str]] = (), body: str = ""
) -> bytes:
    """`sendevent <NAME>` with headers (e.g. Event-Subclass) and an optional body."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    data = body.encode("utf-8")
    if data:
        # FreeSWITCH reads any-case Content-Length; the capture used this exact spelling.
        frame = _frame(f"sendevent {single_word(name, 'event name')}", pairs)
        return frame[:-1] + f"Content-Length: {len(data)}\n\n".encode() + data
    return _frame(f"sendevent {single_word(name, 'event name')}", pairs)


# -- sendmsg ------------------------------------------------------------------------------
def sendmsg(
    uuid: str | None, headers: Sequence[tuple[str, str]], body: str = ""
) -> bytes:
    """A raw `sendmsg [<uuid>]` with the given headers (uuid None = the outbound channel)."""
    first = f"sendmsg {single_word(uuid, 'uuid')}" if uuid else "sendmsg"
    data = body.encode("utf-8")
    if data:
        headers = [*headers, ("content-type", "text/plain")]
    return _frame(first, headers, data)


def execute(
    app: str,
    arg: str | None = None,
    *,
    uuid: str | None = None,
    event_lock: bool = False,
    event_uuid: str | None = None,
    loops: int | None = None,
    in_body: bool | None = None,
) -> bytes:
    """`sendmsg` with `call-command: execute` (§11).

    `event_uuid` comes back as `Application-UUID` on CHANNEL_EXECUTE(_COMPLETE). The
    argument goes in the body (`content-type: text/plain`) when `in_body` is true, or by
    default when it holds a line break or is longer than BODY_ARG_THRESHOLD.
    """
    headers = [("call-command", "execute"), ("execute-app-name", single_word(app, "app"))]
    if in_body is None:
        in_body = arg is not None and ("\n" in arg or len(arg) > BODY_ARG_THRESHOLD)
    body = ""
    if arg is not None and in_body:
        body = arg
    elif arg is not None:
        headers.append(("execute-app-arg", single_line(arg, "execute-app-arg")))
    if loops is not None:
        headers.append(("loops", str(int(loops))))
    if event_lock:
        headers.append(("event-lock", "true"))
    if event_uuid:
        headers.append(("Event-UUID", single_word(event_uuid, "event_uuid")))
    return sendmsg(uuid, headers, body)


def hangup(cause: str = "NORMAL_CLEARING", *, uuid: str | None = None) -> bytes:
    """`sendmsg` with `call-command: hangup` and `hangup-cause`."""
    headers = [("call-command", "hangup"), ("hangup-cause", single_word(cause, "hangup cause"))]
    return sendmsg(uuid, headers)


# -- uuid_* API arguments -----------------------------------------------------------------------
def uuid_kill(uuid: str, cause: str | None = None) -> str:
    """`uuid_kill <uuid> [cause]` -> `+OK` / `-ERR No such channel!`."""
    return f"uuid_kill {single_word(uuid, 'uuid')}" + (f" {single_word(cause, 'cause')}" if cause else "")


def uuid_bridge(uuid: str, other_uuid: str) -> str:
    """`uuid_bridge <a> <b>` -> `+OK <b>`."""
    return f"uuid_bridge {single_word(uuid, 'uuid')} {single_word(other_uuid, 'other_uuid')}"


def uuid_transfer(
    uuid: str, destination: str, *, leg: str | None = None,
    dialplan: str | None = None, context: str | None = None,
) -> str:
    """`uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]`."""
    words = ["uuid_transfer", single_word(uuid, "uuid")]
    if leg:
        if leg not in ("-bleg", "-both"):
            raise ValueError(f"leg must be '-bleg' or '-both', not {leg!r}")
        words.append(leg)
    words.append(single_word(destination, "destination"))
    if context and not dialplan:
        dialplan = "XML"
    words.extend(single_word(w, "dialplan/context") for w in (dialplan, context) if w)
    return " ".join(words)


def uuid_broadcast(uuid: str, path: str, leg: str = "aleg") -> str:
    """`uuid_broadcast <uuid> <path> [aleg|bleg|holdb|both]` (path quoted if it has spaces)."""
    if leg not in ("aleg", "bleg", "holdb", "both"):
        raise ValueError(f"leg must be aleg, bleg, holdb or both, not {leg!r}")
    return f"uuid_broadcast {single_word(uuid, 'uuid')} {quote_arg(path)} {leg}"


def uuid_record(uuid: str, action: str, path: str, limit_seconds: int | None = None) -> str:
    """`uuid_record <uuid> start|stop|mask|unmask|pause|resume <path> [<limit>]`."""
    if action not in ("start", "stop", "mask", "unmask", "pause", "resume"):
        raise ValueError(f"uuid_record action {action!r} is not known")
    tail = f" {int(limit_seconds)}" if limit_seconds is not None else ""
    return f"uuid_record {single_word(uuid, 'uuid')} {action} {single_word(path, 'path')}{tail}"


def uuid_getvar(uuid: str, name: str) -> str:
    """`uuid_getvar <uuid> <var>` -> value, or `_undef_`."""
    return f"uuid_getvar {single_word(uuid, 'uuid')} {single_word(name, 'variable')}"


def uuid_setvar(uuid: str, name: str, value: str | None = None) -> str:
    """`uuid_setvar <uuid> <var> [<value>]` (no value unsets); the value may hold spaces."""
    tail = f" {single_line(value, 'value')}" if value is not None else ""
    return f"uuid_setvar {single_word(uuid, 'uuid')} {single_word(name, 'variable')}{tail}"


def uuid_answer(uuid: str) -> str:
    """`uuid_answer <uuid>`."""
    return f"uuid_answer {single_word(uuid, 'uuid')}"


def uuid_exists(uuid: str) -> str:
    """`uuid_exists <uuid>` -> `true` / `false`."""
    return f"uuid_exists {single_word(uuid, 'uuid')}"


def uuid_break(uuid: str, all_: bool = False) -> str:
    """`uuid_break <uuid> [all]`: stop the current (or every queued) playback."""
    return f"uuid_break {single_word(uuid, 'uuid')}" + (" all" if all_ else "")


def uuid_recv_dtmf(uuid: str, digits: str) -> str:
    """`uuid_recv_dtmf <uuid> <digits>`: inject DTMF as if the caller pressed it."""
    return f"uuid_recv_dtmf {single_word(uuid, 'uuid')} {single_word(digits, 'digits')}"


def uuid_send_dtmf(uuid: str, digits: str) -> str:
    """`uuid_send_dtmf <uuid> <digits>`: send DTMF to the far end."""
    return f"uuid_send_dtmf {single_word(uuid, 'uuid')} {single_word(digits, 'digits')}"
