"""Sans-I/O parser for what FreeSWITCH writes on an event socket (like h11: bytes in, frames out).

A frame is a header block ending in a blank line, then exactly `Content-Length` body bytes
if that header is present (ESL_PROTOCOL.md §2.1). The parser keeps no socket and no clock:
`ESLParser().feed(chunk)` returns every frame completed by `chunk`, whatever the chunking.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.esl.errors import ESLProtocolError
from engine.esl.event import Event
from engine.esl.formats import content_length, decode_value, parse_header_block

__all__ = ["ESLParser", "Frame", "FrameHeaders"]

AUTH_REQUEST = "auth/request"
COMMAND_REPLY = "command/reply"
API_RESPONSE = "api/response"
EVENT_PLAIN = "text/event-plain"
EVENT_JSON = "text/event-json"
EVENT_XML = "text/event-xml"
LOG_DATA = "log/data"
DISCONNECT_NOTICE = "text/disconnect-notice"
RUDE_REJECTION = "text/rude-rejection"

_EVENT_FORMATS = {EVENT_PLAIN: "plain", EVENT_JSON: "json", EVENT_XML: "xml"}

_MAX_HEADER_BLOCK = 10 * 1024 * 1024  # FreeSWITCH's own limit for a header block


class FrameHeaders(Mapping[str, str]):
    """Outer headers of a frame, values exactly as sent; names case-sensitive.

    `get_ci` looks a name up case-insensitively; `get_all` returns every value of a
    repeated header.
    """

    __slots__ = ("_pairs", "_map")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._map = dict(pairs)

    def __getitem__(self, name: str) -> str:
        return self._map[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def get(self, name: str, default: Any = None) -> Any:
        """The value sent for `name` (the last one if repeated), or `default`."""
        return self._map.get(name, default)

    def get_all(self, name: str) -> list[str]:
        """Every value sent for `name`, in order."""
        return [value for key, value in self._pairs if key == name]

    def get_ci(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive lookup (FreeSWITCH itself compares names that way)."""
        lowered = name.lower()
        for key, value in self._pairs:
            if key.lower() == lowered:
                return value
        return default

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The headers as ordered (name, value) pairs, duplicates kept."""
        return list(self._pairs)


class Frame:
    """One message from FreeSWITCH: outer headers plus the raw body bytes."""

    __slots__ = ("headers", "body", "_event")

    def __init__(self, headers: FrameHeaders, body: bytes = b"") -> None:
        self.headers = headers
        self.body = body
        self._event: Event | None | bool = False  # False = not parsed yet

    @property
    def content_type(self) -> str | None:
        """Outer `Content-Type` (`command/reply`, `text/event-json`, ...)."""
        return self.headers.get("Content-Type")

    @property
    def is_channel_data(self) -> bool:
        """True for the outbound `connect` reply: a serialized CHANNEL_DATA event."""
        return "Event-Name" in self.headers and self.content_type == COMMAND_REPLY

    @property
    def reply_text(self) -> str | None:
        """`Reply-Text`, percent-decoded in the `connect` reply (`%2BOK%0A` -> `+OK\\n`)."""
        text = self.headers.get("Reply-Text")
        if text is not None and self.is_channel_data:
            return decode_value(text)
        return text

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (api/response, log/data, notices)."""
        return self.body.decode("utf-8", "replace")

    @property
    def event(self) -> Event | None:
        """The event carried by this frame (events and the `connect` reply), else None."""
        if self._event is False:
            fmt = _EVENT_FORMATS.get(self.content_type or "")
            if fmt is not None:
                self._event = Event.parse(self.body, fmt)
            elif self.is_channel_data:
                self._event = Event.from_pairs(self.headers.pairs, fmt="plain")
            else:
                self._event = None
        return self._event  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frame):
            return NotImplemented
        return self.headers.pairs == other.headers.pairs and self.body == other.body

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Frame {self.content_type} body={len(self.body)}B>"


class ESLParser:
    """Incremental frame parser: `feed(bytes) -> list[Frame]`, any chunking."""

    __slots__ = ("_buffer", "_pending", "_scan_from")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pending: tuple[FrameHeaders, int] | None = None
        self._scan_from = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes from the socket; return the frames they complete, in order."""
        buffer = self._buffer
        buffer += data
        frames: list[Frame] = []
        pos = 0
        size = len(buffer)
        while True:
            pending = self._pending
            if pending is None:
                while pos < size and buffer[pos] == 10:  # stray blank lines between frames
                    pos += 1
                end = buffer.find(b"\n\n", max(pos, self._scan_from))
                if end < 0:
                    self._scan_from = max(pos, size - 1)
                    if size - pos > _MAX_HEADER_BLOCK:
                        raise ESLProtocolError("header block longer than 10 MiB")
                    break
                self._scan_from = 0
                headers = FrameHeaders(
                    parse_header_block(buffer[pos:end].decode("utf-8", "replace"), "frame")
                )
                pos = end + 2
                length_text = headers.get("Content-Length")
                if length_text is None:
                    frames.append(Frame(headers))
                    continue
                pending = self._pending = (headers, content_length(length_text, "frame"))
            headers, length = pending
            if size - pos < length:
                break
            frames.append(Frame(headers, bytes(buffer[pos : pos + length])))
            pos += length
            self._pending = None
        if pos:
            del buffer[:pos]
            self._scan_from = max(0, self._scan_from - pos)
        return frames
