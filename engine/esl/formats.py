"""The three event serializations FreeSWITCH writes: plain, JSON and XML (ESL_PROTOCOL.md §6).

Each format has a full parser (`bytes -> Parsed`) and a `peek` that pulls one header's raw
value straight out of the bytes without parsing the rest. The reader greenlet only needs
the routing headers (Event-Name, Unique-ID, Job-UUID, Event-Subclass), so peeking keeps
the full parse off the reader and in whichever greenlet actually reads the event.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote
from xml.sax.saxutils import unescape as _xml_unescape

from engine.esl.errors import ESLProtocolError

__all__ = [
    "Parsed",
    "PARSERS",
    "PEEKERS",
    "LIMITS",
    "DECODERS",
    "UNKNOWN",
    "content_length",
    "decode_all",
    "decode_value",
    "find_duplicates",
    "parse_header_block",
]

ARRAY_PREFIX = "ARRAY::"
UNKNOWN = object()  # peek could not tell; do the full parse
_XML_ENTITIES = {"&quot;": '"', "&apos;": "'"}
_XML_HEADER = re.compile(r"<([^<>\s/]+)>([^<]*)</\1>")
_XML_LENGTH = re.compile(r"<Content-Length>(\d+)</Content-Length>")


class Parsed(NamedTuple):
    """Result of a full parse: raw header values, repeated headers, body bytes."""

    headers: dict[str, Any]
    duplicates: dict[str, list[str]] | None
    body: bytes


def decode_value(raw: str) -> str:
    """Percent-decode plain header text (`%20` -> space, `+` stays `+`), UTF-8 aware.

    FreeSWITCH encodes every `\\` and every `%` not followed by two hex digits, so
    `%XX` -> `\\xXX` and the C-level escape decoder do the work; anything unexpected
    (a raw backslash, a stray `%`) goes through urllib's unquote instead.
    """
    if "%" not in raw:
        return raw
    if "\\" not in raw:
        try:
            decoded: bytes = codecs.escape_decode(raw.encode("utf-8").replace(b"%", b"\\x"))[0]
            return decoded.decode("utf-8", "replace")
        except ValueError:
            pass
    return unquote(raw)


def xml_decode(raw: str) -> str:
    """Decode one XML header value: XML-unescape, then percent-decode."""
    if "&" in raw:
        raw = _xml_unescape(raw, _XML_ENTITIES)
    return decode_value(raw)


def json_value(value: object) -> str:
    """JSON values are strings already; arrays become FreeSWITCH's `ARRAY::a|:b` form."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ARRAY_PREFIX + "|:".join(str(v) for v in value)
    return str(value)


DECODERS: dict[str, Callable[[Any], str]] = {
    "plain": decode_value,
    "xml": xml_decode,
    "json": json_value,
}


def decode_all(fmt: str, raw: Mapping[str, Any]) -> dict[str, str]:
    """Every header of an event decoded at once (what `Event.headers` returns).

    Plain/XML: the encoded values are joined with LF (never present raw in an encoded
    value), decoded in one call and split again; if decoding produced an LF of its own
    (`%0A`), fall back to one value at a time.
    """
    decoder = DECODERS[fmt]
    if fmt == "json":
        return {name: v if v.__class__ is str else decoder(v) for name, v in raw.items()}
    names = [name for name, value in raw.items() if "%" in value or "&" in value]
    decoded = dict(raw)
    if names:
        joined = decoder("\n".join(raw[name] for name in names))
        values = joined.split("\n")
        if len(values) != len(names):
            values = [decoder(raw[name]) for name in names]
        decoded.update(zip(names, values, strict=True))
    return decoded


def content_length(value: str, where: str) -> int:
    """Validate a Content-Length value; the error names where it was found."""
    try:
        length = int(value)
    except ValueError:
        raise ESLProtocolError(f"{where}: Content-Length {value!r} is not a number") from None
    if length < 0:
        raise ESLProtocolError(f"{where}: Content-Length {length} is negative")
    return length


def parse_header_block(text: str, where: str = "header block") -> list[tuple[str, str]]:
    """Split `Name: value` lines (LF separated, no final blank line) into ordered pairs.

    Split at the first `:` and skip the spaces after it, as FreeSWITCH does; a line
    without a colon is a protocol error naming the line.
    """
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    for number, line in enumerate(text.split("\n"), 1):
        name, sep, value = line.partition(": ")
        if sep:
            append((name, value))
            continue
        name, sep, value = line.partition(":")
        if sep:
            append((name, value.lstrip(" ")))
        elif line.strip():
            raise ESLProtocolError(f"{where} line {number}: no ':' in {line[:80]!r}")
    return pairs


def find_duplicates(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]] | None:
    """Every value of each header that occurs more than once, or None."""
    seen: dict[str, list[str]] = {}
    for name, value in pairs:
        seen.setdefault(name, []).append(value)
    repeated = {name: values for name, values in seen.items() if len(values) > 1}
    return repeated or None


# -- plain -----------------------------------------------------------------------------------
def parse_plain(data: bytes) -> Parsed:
    """Header block, then (if the event has one) `Content-Length: N`, a blank line, N bytes."""
    end = data.find(b"\n\n")
    block = (data if end < 0 else data[:end]).decode("utf-8", "replace")
    # Plain values are percent-encoded, so no value holds ": " or LF: one split does it.
    parts = block.replace("\n", ": ").split(": ")
    if len(parts) == 2 * (block.count("\n") + 1):
        pairs: Sequence[tuple[str, str]] = list(zip(parts[::2], parts[1::2], strict=True))
    else:
        pairs = parse_header_block(block, "plain event")
    headers = dict(pairs)
    duplicates = find_duplicates(pairs) if len(headers) != len(pairs) else None
    body = b""
    if end >= 0:
        body = data[end + 2 :]
        # The serializer's Content-Length is the last one; a sendevent'ed one may precede it.
        length = headers.get("Content-Length")
        if length is not None:
            body = body[: content_length(length, "plain event")]
    return Parsed(headers, duplicates, body)


def parse_plain_decoded(data: bytes) -> dict[str, str] | None:
    """Every header of a plain event, decoded, in one pass; None when that is not safe.

    Decoding the whole block at once is only exact when no value decodes to a line break
    or to ": " and no header repeats; the caller then falls back to `parse_plain`.
    """
    end = data.find(b"\n\n")
    block = (data if end < 0 else data[:end]).decode("utf-8", "replace")
    if "%0A" in block or "%0a" in block:
        return None
    text = decode_value(block)
    parts = text.replace("\n", ": ").split(": ")
    if len(parts) != 2 * (text.count("\n") + 1):
        return None
    headers = dict(zip(parts[::2], parts[1::2], strict=True))
    return headers if 2 * len(headers) == len(parts) else None


def plain_body(data: bytes) -> bytes:
    """The body of a plain event without parsing its headers (last Content-Length wins)."""
    end = data.find(b"\n\n")
    if end < 0:
        return b""
    length = peek_plain(data, "Content-Length", end)
    body = data[end + 2 :]
    return body if length is None else body[: content_length(str(length), "plain event")]


def plain_limit(data: bytes) -> int:
    """End of a plain event's header block (peeks never look into the body)."""
    end = data.find(b"\n\n")
    return len(data) if end < 0 else end


def peek_plain(data: bytes, name: str, limit: int) -> object:
    """Raw value of `name` in a plain event (last occurrence), None if absent."""
    key = b"\n" + name.encode() + b": "
    start = data.rfind(key, 0, limit)
    if start >= 0:
        start += len(key)
    elif data.startswith(key[1:]):
        start = len(key) - 1
    else:
        return None
    stop = data.find(b"\n", start, limit)
    return data[start : limit if stop < 0 else stop].decode("utf-8", "replace")


# -- json ------------------------------------------------------------------------------------
def parse_json(data: bytes) -> Parsed:
    """One flat object; the body is under `_body`; values stay as JSON gave them."""
    try:
        obj = json.loads(data)
    except ValueError as exc:
        raise ESLProtocolError(f"json event: {exc}") from exc
    if not isinstance(obj, dict):
        raise ESLProtocolError(f"json event: expected an object, got {type(obj).__name__}")
    body = obj.pop("_body", "")
    return Parsed(obj, None, json_value(body).encode("utf-8"))


def peek_json(data: bytes, name: str, limit: int) -> object:
    """Raw value of `name` when it is a string without escapes; UNKNOWN if it is not.

    Inside a JSON string every quote is escaped, so `"Name":"` only matches a real key.
    """
    key = b'"' + name.encode() + b'":'
    start = data.rfind(key, 0, limit)
    if start < 0:
        return None
    start += len(key)
    if data[start : start + 1] != b'"':
        return UNKNOWN
    stop = data.find(b'"', start + 1)
    value = data[start + 1 : stop]
    if stop < 0 or b"\\" in value:
        return UNKNOWN
    return value.decode("utf-8", "replace")


# -- xml -------------------------------------------------------------------------------------
def parse_xml(data: bytes) -> Parsed:
    """`<event><headers><Name>value</Name>...</headers>[<Content-Length/><body/>]</event>`."""
    text = data.decode("utf-8", "replace")
    start = text.find("<headers>")
    stop = text.find("</headers>")
    if start < 0 or stop < start:
        raise ESLProtocolError("xml event: no <headers>...</headers> element")
    pairs = _XML_HEADER.findall(text, start + 9, stop)
    headers = dict(pairs)
    duplicates = find_duplicates(pairs) if len(headers) != len(pairs) else None
    body = b""
    body_start = text.find("<body>", stop)
    if body_start >= 0:
        body_end = text.rfind("</body>")
        body = _xml_unescape(text[body_start + 6 : body_end], _XML_ENTITIES).encode("utf-8")
        match = _XML_LENGTH.search(text, stop)
        # The pretty-printer adds "\n  " before </body>; Content-Length says what is real.
        if match:
            body = body[: int(match.group(1))]
    return Parsed(headers, duplicates, body)


def xml_limit(data: bytes) -> int:
    """End of the `<headers>` element."""
    stop = data.find(b"</headers>")
    return len(data) if stop < 0 else stop


def peek_xml(data: bytes, name: str, limit: int) -> object:
    """Raw value of `<name>...</name>` inside `<headers>`, None if absent."""
    key = b"<" + name.encode() + b">"
    start = data.rfind(key, 0, limit)
    if start < 0:
        return None
    start += len(key)
    end = data.find(b"<", start)
    return data[start:end].decode("utf-8", "replace")


PARSERS: dict[str, Callable[[bytes], Parsed]] = {
    "plain": parse_plain,
    "json": parse_json,
    "xml": parse_xml,
}
LIMITS: dict[str, Callable[[bytes], int]] = {
    "plain": plain_limit,
    "json": len,
    "xml": xml_limit,
}
PEEKERS: dict[str, Callable[[bytes, str, int], object]] = {
    "plain": peek_plain,
    "json": peek_json,
    "xml": peek_xml,
}
