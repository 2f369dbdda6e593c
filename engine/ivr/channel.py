"""The small call-control surface the interpreter needs from one call.

`engine/ivr/esl_channel.py` adapts the ESL outbound socket to it; tests use an in-memory fake.
Methods block until the media operation ends (gevent makes that cheap). When the caller
hangs up, methods raise `CallerHungUp` and `hungup` becomes true.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class CallerHungUp(Exception):
    """The caller (or the switch) ended the call; the flow stops without further media."""


class ChannelError(Exception):
    """A channel operation failed (switch error, refused transfer, timeout)."""


@runtime_checkable
class CallChannel(Protocol):
    """One call, seen by an IVR flow."""

    @property
    def uuid(self) -> str:
        """The channel's UUID (used in logs and recording names)."""
        ...

    @property
    def hungup(self) -> bool:
        """True once the call has ended."""
        ...

    def answer(self) -> None:
        """Answer the call if it is not answered yet."""

    def playback(self, path_or_tone: str) -> None:
        """Play a file (absolute path) or a `tone_stream://` spec to the end."""

    def play_and_get_digits(
        self,
        min_digits: int,
        max_digits: int,
        tries: int,
        timeout_ms: int,
        terminators: str,
        prompt: str,
        invalid_prompt: str,
        regex: str,
    ) -> str:
        """FreeSWITCH's play_and_get_digits: the digits matching `regex`, or "" after `tries`."""
        ...

    def record(self, path: str, max_seconds: int) -> None:
        """Record the caller into `path` (WAV) for at most `max_seconds`."""

    def transfer(self, kind: str, target: str) -> bool:
        """Hand the call to an agent, queue or number (`kind`); False if refused."""
        ...

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """End the call with a FreeSWITCH hangup cause."""

    def set_var(self, name: str, value: str) -> None:
        """Set a channel variable."""

    def get_var(self, name: str) -> str | None:
        """A channel variable, or None when unset."""
        ...
