"""`CallChannel` over an ESL outbound-socket call (`engine.esl.outbound.OutboundCall`).

Each operation is one `execute` of a FreeSWITCH application, waited on until its
CHANNEL_EXECUTE_COMPLETE; results come back in that event's `variable_<name>` headers.
Agents and numbers are reached with `bridge` (dial strings configurable); queues are the
engine's own ACD, so a queue transfer is handed to `on_queue` (or, without one, recorded in
the `fscc_queue` channel variable for the engine to pick up when the flow returns).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from engine.esl.errors import ESLCallGone, ESLError
from engine.ivr.channel import CallerHungUp, ChannelError

log = logging.getLogger(__name__)

DIGITS_VAR = "fscc_ivr_digits"
DEFAULT_DIALSTRINGS = {"agent": "user/{target}", "number": "sofia/gateway/default/{target}"}
APP_TIMEOUT_S = 3600.0  # a guard against a wedged switch; hangups end waits much sooner


class OutboundCallLike(Protocol):
    """The part of `engine.esl.outbound.OutboundCall` this adapter uses."""

    uuid: str | None
    hungup: bool

    def execute(self, app: str, arg: str | None = None, *, event_lock: bool = True,
                wait: bool = True, timeout: float | None = None) -> Any: ...

    def hangup(self, cause: str = "NORMAL_CLEARING") -> str: ...

    def get_var(self, name: str, default: str | None = None) -> str | None: ...

    def api(self, command: str, timeout: float | None = 30.0) -> str: ...


def _single_line(value: str) -> str:
    # An execute argument is one header value: a newline would end the message early.
    return value.replace("\r", " ").replace("\n", " ")


class EslCallChannel:
    """Adapts one `OutboundCall` to the interpreter's `CallChannel` protocol."""

    def __init__(
        self,
        call: OutboundCallLike,
        *,
        dialstrings: Mapping[str, str] | None = None,
        on_queue: Callable[[str], bool] | None = None,
        app_timeout: float = APP_TIMEOUT_S,
    ) -> None:
        self.call = call
        self.dialstrings = {**DEFAULT_DIALSTRINGS, **(dialstrings or {})}
        self.on_queue = on_queue
        self.app_timeout = app_timeout
        self._vars: dict[str, str] = {}

    @property
    def uuid(self) -> str:
        """The channel UUID from the connect reply."""
        return self.call.uuid or "unknown"

    @property
    def hungup(self) -> bool:
        """True once FreeSWITCH reported the hangup (or the socket went away)."""
        return bool(self.call.hungup)

    def _execute(self, app: str, arg: str = "") -> Any:
        if self.call.hungup:
            raise CallerHungUp(f"call {self.uuid} is gone")
        try:
            event = self.call.execute(app, _single_line(arg) or None, timeout=self.app_timeout)
        except ESLCallGone as exc:
            raise CallerHungUp(str(exc)) from exc
        except (ESLError, TimeoutError) as exc:
            raise ChannelError(f"{app} {arg}: {exc}") from exc
        if self.call.hungup:
            raise CallerHungUp(f"call {self.uuid} hung up during {app}")
        return event

    def answer(self) -> None:
        """`answer` (harmless on an answered channel)."""
        self._execute("answer")

    def playback(self, path_or_tone: str) -> None:
        """`playback <file or tone_stream://...>`."""
        self._execute("playback", path_or_tone)

    def play_and_get_digits(
        self, min_digits: int, max_digits: int, tries: int, timeout_ms: int,
        terminators: str, prompt: str, invalid_prompt: str, regex: str,
    ) -> str:  # fmt: skip
        """`play_and_get_digits`; the digits come back as `variable_fscc_ivr_digits`."""
        if " " in regex or " " in prompt or " " in invalid_prompt:
            raise ChannelError("play_and_get_digits arguments cannot contain spaces")
        arg = (f"{min_digits} {max_digits} {tries} {timeout_ms} {terminators or 'none'} "
               f"{prompt} {invalid_prompt} {DIGITS_VAR} {regex}")
        event = self._execute("play_and_get_digits", arg)
        digits = event.get(f"variable_{DIGITS_VAR}") if event is not None else None
        return digits or ""

    def record(self, path: str, max_seconds: int) -> None:
        """`record <path> <max seconds>`."""
        self._execute("record", f"{path} {int(max_seconds)}")

    def transfer(self, kind: str, target: str) -> bool:
        """Queue via `on_queue`; agent/number via `bridge`; True if it went through."""
        if kind == "queue":
            if self.on_queue is not None:
                return self.on_queue(target)
            self.set_var("fscc_queue", target)
            return True
        template = self.dialstrings.get(kind)
        if template is None:
            raise ChannelError(f"no dial string for transfer kind {kind!r}")
        event = self._execute("bridge", template.format(target=target))
        disposition = event.get("variable_originate_disposition") if event is not None else None
        if disposition in ("SUCCESS", "ANSWER"):
            return True
        log.info("call %s: bridge to %s %s failed: %s", self.uuid, kind, target, disposition)
        return False

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """`sendmsg hangup` with the cause."""
        if self.call.hungup:
            return
        try:
            self.call.hangup(cause)
        except ESLCallGone:
            pass  # already gone: the goal is reached
        except ESLError as exc:
            raise ChannelError(f"hangup: {exc}") from exc

    def set_var(self, name: str, value: str) -> None:
        """`set name=value` on the channel (and remembered for `get_var`)."""
        self._vars[name] = value
        self._execute("set", f"{name}={value}")

    def get_var(self, name: str) -> str | None:
        """Our own `set` values, else `uuid_getvar`, else the value at connect."""
        if name in self._vars:
            return self._vars[name]
        try:
            reply = self.call.api(f"uuid_getvar {self.uuid} {name}", timeout=10)
        except (ESLError, TimeoutError):
            return self.call.get_var(name)
        value = reply.strip()
        if not value or value == "_undef_" or value.startswith("-ERR"):
            return self.call.get_var(name)
        return value
