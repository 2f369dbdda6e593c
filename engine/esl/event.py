"""`Event`: one FreeSWITCH event, whatever serialization it came in.

Plain and XML values arrive percent-encoded (ESL_PROTOCOL.md §6.2/§6.5); each is decoded
once, on first access. JSON values arrive decoded and are never touched, so a literal `%41`
sent in a JSON event stays `%41`. The header block itself is parsed on first use; until
then the routing headers are peeked straight from the bytes (see engine.esl.formats).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from engine.esl.formats import (
    ARRAY_PREFIX,
    DECODERS,
    LIMITS,
    PARSERS,
    PEEKERS,
    UNKNOWN,
    decode_all,
    find_duplicates,
    parse_plain_decoded,
    plain_body,
)

__all__ = ["Event"]

# Headers the dispatcher needs; peeking them avoids parsing the whole event on the reader.
_PEEKABLE = frozenset({"Event-Name", "Unique-ID", "Job-UUID", "Event-Subclass"})


class Event:
    """One FreeSWITCH event; header names are case-sensitive, as FreeSWITCH sends them.

    `get`/`[]` return decoded values; for a repeated header (e.g. `Content-Length` in a
    `sendevent` with a body) they return the last one and `get_all` returns every one.
    """

    __slots__ = (
        "format", "_data", "_raw", "_duplicates", "_body", "_cache", "_decoder", "_all", "_limit"
    )

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        fmt: str = "plain",
        duplicates: dict[str, list[str]] | None = None,
    ) -> None:
        if fmt not in PARSERS:
            raise ValueError(f"fmt must be one of {sorted(PARSERS)}, not {fmt!r}")
        self.format = fmt
        self._data: bytes | None = None
        self._raw: Mapping[str, Any] | None = dict(headers or {})
        self._duplicates = duplicates
        self._body: bytes | None = body
        self._cache: dict[str, str] = {}
        self._decoder = DECODERS[fmt]
        self._all: Mapping[str, str] | None = None
        self._limit = -1

    @classmethod
    def parse(cls, data: bytes, fmt: str = "plain") -> Event:
        """An event over a serialized body (`text/event-<fmt>`); parsed on first use."""
        if fmt not in PARSERS:
            raise ValueError(f"fmt must be one of {sorted(PARSERS)}, not {fmt!r}")
        event = cls.__new__(cls)
        event.format = fmt
        event._data = data
        event._raw = event._duplicates = event._body = None
        event._cache = {}
        event._decoder = DECODERS[fmt]
        event._all = None
        event._limit = -1
        return event

    @classmethod
    def from_pairs(cls, pairs: Sequence[tuple[str, str]], *, fmt: str = "plain") -> Event:
        """An event from ordered (name, raw value) pairs, keeping repeated headers."""
        return cls(dict(pairs), fmt=fmt, duplicates=find_duplicates(pairs))

    def _load(self) -> Mapping[str, Any]:
        raw = self._raw
        if raw is None:
            assert self._data is not None
            raw, self._duplicates, body = PARSERS[self.format](self._data)
            self._body = body if self._body is None else self._body
            self._raw = raw
            self._data = None
        return raw

    # -- lookups --------------------------------------------------------------------------
    def get(self, name: str, default: str | None = None) -> str | None:
        """Decoded value of header `name`, or `default` when absent."""
        value = self._cache.get(name)
        if value is not None:
            return value
        if self._all is not None:
            return default  # every header is already decoded in the cache
        raw = self._raw
        if raw is None:
            if name in _PEEKABLE:
                data = self._data
                assert data is not None
                if self._limit < 0:
                    self._limit = LIMITS[self.format](data)
                found = PEEKERS[self.format](data, name, self._limit)
                if found is None:
                    return default
                if found is not UNKNOWN:
                    value = self._cache[name] = self._decoder(found)
                    return value
            raw = self._load()
        found = raw.get(name)
        if found is None:
            return default
        value = self._cache[name] = self._decoder(found)
        return value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return name in (self._all if self._all is not None else self._load())

    def get_all(self, name: str) -> list[str]:
        """Every decoded value of a header that may appear more than once."""
        self._load()
        if self._duplicates and name in self._duplicates:
            return [self._decoder(value) for value in self._duplicates[name]]
        value = self.get(name)
        return [] if value is None else [value]

    def get_array(self, name: str) -> list[str]:
        """Values of a multi-valued header (`ARRAY::a|:b`); a single value gives `[value]`."""
        value = self.get(name)
        if value is None:
            return []
        if value.startswith(ARRAY_PREFIX):
            return value[len(ARRAY_PREFIX) :].split("|:")
        return [value]

    def raw(self, name: str) -> str | None:
        """The value as it was on the wire (still percent-encoded for plain/XML)."""
        value = self._load().get(name)
        return None if value is None else DECODERS["json"](value)

    @property
    def headers(self) -> Mapping[str, str]:
        """All headers, decoded, in wire order (last value wins for repeated ones); read-only."""
        if self._all is None:
            decoded = None
            if self._raw is None and self.format == "plain":
                assert self._data is not None
                decoded = parse_plain_decoded(self._data)
            if decoded is None:
                decoded = decode_all(self.format, self._load())
            self._cache = decoded
            self._all = MappingProxyType(decoded)
        return self._all

    @property
    def variables(self) -> dict[str, str]:
        """Channel variables (`variable_*` headers) keyed without the prefix."""
        headers = self.headers
        return {name[9:]: value for name, value in headers.items() if name.startswith("variable_")}

    @property
    def body_bytes(self) -> bytes:
        """The event body as sent (BACKGROUND_JOB result, sendevent body, ...)."""
        if self._body is None:
            if self.format == "plain" and self._data is not None:
                self._body = plain_body(self._data)
            else:
                self._load()
        assert self._body is not None
        return self._body

    @property
    def body(self) -> str:
        """The event body as text."""
        return self.body_bytes.decode("utf-8", "replace")

    # -- the usual suspects -----------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """`Event-Name`, e.g. `CHANNEL_ANSWER` or `CUSTOM`."""
        return self.get("Event-Name")

    @property
    def subclass(self) -> str | None:
        """`Event-Subclass` of a CUSTOM event, e.g. `conference::maintenance`."""
        return self.get("Event-Subclass")

    @property
    def uuid(self) -> str | None:
        """The channel's `Unique-ID`."""
        return self.get("Unique-ID")

    @property
    def job_uuid(self) -> str | None:
        """`Job-UUID` of a BACKGROUND_JOB."""
        return self.get("Job-UUID")

    @property
    def dispatch_key(self) -> str | None:
        """`"CUSTOM <subclass>"` for custom events, else the event name."""
        name = self.get("Event-Name")
        if name == "CUSTOM":
            subclass = self.get("Event-Subclass")
            return f"CUSTOM {subclass}" if subclass else name
        return name

    def __repr__(self) -> str:
        return f"<Event {self.dispatch_key} uuid={self.uuid} fmt={self.format}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return dict(self.headers) == dict(other.headers) and self.body_bytes == other.body_bytes

    __hash__ = None  # type: ignore[assignment]
