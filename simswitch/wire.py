"""Bytes FreeSWITCH's mod_event_socket writes: value encoding, event serializers, frames.

Pure functions only (no sockets). Formats follow the real transcripts in
tests/fixtures/esl/ and ESL_PROTOCOL.md sections 2, 4, 6 and 9:
plain events URL-encode values, JSON events carry raw strings, XML events URL-encode
then XML-escape, and the outer frame of an event starts with Content-Length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

Headers = list[tuple[str, str]]

GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

# Bytes FreeSWITCH's switch_url_encode leaves alone (everything else becomes %XX).
_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!$'()*,-./_~"
)
_PLAIN_RE = re.compile(r"[A-Za-z0-9!$'()*,\-./_~]*\Z")
_HEX_UPPER = frozenset(b"0123456789ABCDEF")
_ENC_CACHE: dict[str, str] = {}


def url_encode(value: str) -> str:
    """Percent-encode ``value`` the way FreeSWITCH's plain serializer does.

    A ``%`` already followed by two upper-case hex digits is kept (no double encoding).
    """
    cached = _ENC_CACHE.get(value)
    if cached is not None:
        return cached
    if _PLAIN_RE.match(value):
        if len(value) < 40:  # short literal values (names, numbers) repeat a lot
            _ENC_CACHE[value] = value
        return value
    raw = value.encode("utf-8")
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        byte = raw[i]
        if byte in _SAFE:
            out.append(chr(byte))
        elif byte == 0x25 and i + 2 < n and raw[i + 1] in _HEX_UPPER and raw[i + 2] in _HEX_UPPER:
            out.append("%")
        else:
            out.append(f"%{byte:02X}")
        i += 1
    encoded = "".join(out)
    if len(_ENC_CACHE) > 50_000:
        _ENC_CACHE.clear()
    _ENC_CACHE[value] = encoded
    return encoded


def serialize_plain(headers: Headers, body: str | None) -> bytes:
    """Plain event text: ``Name: encoded``, ``_undef_`` for empty, nested body."""
    lines = [f"{name}: {url_encode(value) if value else '_undef_'}\n" for name, value in headers]
    if body:
        raw = body.encode("utf-8")
        lines.append(f"Content-Length: {len(raw)}\n\n")
        return "".join(lines).encode("utf-8") + raw
    lines.append("\n")
    return "".join(lines).encode("utf-8")


def serialize_json(headers: Headers, body: str | None) -> bytes:
    """Unformatted JSON object, all values strings, duplicate keys kept, ``_body`` last."""
    dumps = json.dumps
    parts = [
        f"{dumps(name, ensure_ascii=False)}:{dumps(value, ensure_ascii=False)}"
        for name, value in headers
    ]
    if body:
        parts.append(f'"Content-Length":"{len(body.encode("utf-8"))}"')
        parts.append(f'"_body":{dumps(body, ensure_ascii=False)}')
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def _xml_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def serialize_xml(headers: Headers, body: str | None) -> bytes:
    """Pretty-printed ``<event>`` document like switch_event_xmlize + switch_xml_toxml."""
    lines = ["<event>\n  <headers>\n"]
    for name, value in headers:
        lines.append(f"    <{name}>{_xml_escape(url_encode(value))}</{name}>\n")
    lines.append("  </headers>\n")
    if body:
        lines.append(f"  <Content-Length>{len(body.encode('utf-8'))}</Content-Length>\n")
        tail = "  " if body.endswith("\n") else ""
        lines.append(f"  <body>{_xml_escape(body)}{tail}</body>\n")
    lines.append("</event>\n")
    return "".join(lines).encode("utf-8")


SERIALIZERS = {"plain": serialize_plain, "json": serialize_json, "xml": serialize_xml}


def event_frame(fmt: str, payload: bytes) -> bytes:
    """Outer frame of an event: Content-Length first, then Content-Type."""
    return b"Content-Length: %d\nContent-Type: text/event-%s\n\n%s" % (
        len(payload),
        fmt.encode(),
        payload,
    )


def command_reply(text: str, extra: Iterable[tuple[str, str]] = ()) -> bytes:
    """``command/reply`` frame (Reply-Text not encoded, no body)."""
    lines = ["Content-Type: command/reply\n", f"Reply-Text: {text}\n"]
    lines.extend(f"{name}: {value}\n" for name, value in extra)
    lines.append("\n")
    return "".join(lines).encode("utf-8")


def api_response(body: str) -> bytes:
    """``api/response`` frame: Content-Type then Content-Length then the raw body."""
    raw = body.encode("utf-8")
    return b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(raw), raw)


def disconnect_notice(
    session_uuid: str | None = None,
    linger: str | None = None,
    channel_name: str = "",
) -> bytes:
    """``text/disconnect-notice``; with ``linger`` set it is the 0-byte linger notice."""
    lines = ["Content-Type: text/disconnect-notice\n"]
    if session_uuid:
        lines.append(f"Controlled-Session-UUID: {session_uuid}\n")
        if linger is not None:
            lines.append("Content-Disposition: linger\n")
            lines.append(f"Channel-Name: {channel_name}\n")
            lines.append(f"Linger-Time: {linger}\n")
            lines.append("Content-Length: 0\n\n")
            return "".join(lines).encode("utf-8")
        lines.append("Content-Disposition: disconnect\n")
    lines.append(f"Content-Length: {len(GOODBYE)}\n\n")
    return "".join(lines).encode("utf-8") + GOODBYE


def log_frame(level: int, file: str, func: str, line: int, text: str) -> bytes:
    """``log/data`` frame with the header order seen in transcript j."""
    raw = text.encode("utf-8")
    head = (
        f"Content-Type: log/data\nContent-Length: {len(raw)}\nLog-Level: {level}\n"
        f"Text-Channel: 3\nLog-File: {file}\nLog-Func: {func}\nLog-Line: {line}\n"
        "User-Data: \n\n"
    )
    return head.encode("utf-8") + raw


def connect_reply(headers: Headers, socket_mode: str, control: str) -> bytes:
    """Outbound ``connect`` reply: a CHANNEL_DATA plain block carrying command/reply."""
    tail: Headers = [
        ("Content-Type", "command/reply"),
        ("Reply-Text", "+OK\n"),
        ("Socket-Mode", socket_mode),
        ("Control", control),
    ]
    return serialize_plain(list(headers) + tail, None)


def parse_command(block: bytes) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """Split one client command block into (first line, lower-cased headers, raw headers)."""
    text = block.decode("utf-8", errors="replace").replace("\r", "")
    lines = text.split("\n")
    command = lines[0]
    raw: list[tuple[str, str]] = []
    for line in lines[1:]:
        if ":" not in line:
            continue
        name, value = line.split(":", 1)
        raw.append((name, value.lstrip(" ")))
    return command, {name.lower(): value for name, value in raw}, raw
