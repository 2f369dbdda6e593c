"""An in-memory CallChannel that scripts the caller: DTMF answers, transfers, hangups."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.ivr.channel import CallerHungUp, ChannelError


def _short(prompt: str) -> str:
    """File prompts by their name, tone/silence streams as given."""
    return Path(prompt).name if prompt.startswith("/") else prompt


@dataclass
class FakeChannel:
    """Each play_and_get_digits call pops the next scripted input (\"\" = nothing valid pressed).

    `hang_up_after` ends the call after that many media operations; `fail_on` makes one
    operation name raise ChannelError; `transfers` answers transfer requests in turn
    (accepted once the script runs out).
    """

    dtmf: Iterable[str] = ()
    transfers: Iterable[bool] = ()
    hang_up_after: int | None = None
    fail_on: str | None = None
    uuid: str = "0b6c5a6e-0000-4000-8000-000000000001"
    ops: list[tuple] = field(default_factory=list)
    channel_vars: dict[str, str] = field(default_factory=dict)
    hungup: bool = False
    hangup_cause: str | None = None

    def __post_init__(self) -> None:
        self._dtmf = deque(self.dtmf)
        self._transfers = deque(self.transfers)

    def _op(self, *op: object) -> None:
        if self.hungup:
            raise CallerHungUp()
        if self.fail_on == op[0]:
            raise ChannelError(f"{op[0]} failed")
        self.ops.append(op)
        if self.hang_up_after is not None and len(self.ops) >= self.hang_up_after:
            self.hungup = True
            self.hangup_cause = "NORMAL_CLEARING (caller)"
            raise CallerHungUp()

    def answer(self) -> None:
        self._op("answer")

    def playback(self, path_or_tone: str) -> None:
        self._op("playback", path_or_tone)

    def play_and_get_digits(self, min_digits, max_digits, tries, timeout_ms, terminators,
                            prompt, invalid_prompt, regex) -> str:
        self._op("pagd", min_digits, max_digits, tries, timeout_ms, terminators,
                 _short(prompt), _short(invalid_prompt), regex)
        return self._dtmf.popleft() if self._dtmf else ""

    def record(self, path: str, max_seconds: int) -> None:
        self._op("record", path, max_seconds)
        Path(path).write_bytes(b"RIFF-recording")

    def transfer(self, kind: str, target: str) -> bool:
        self._op("transfer", kind, target)
        return self._transfers.popleft() if self._transfers else True

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self._op("hangup", cause)
        self.hungup = True
        self.hangup_cause = cause

    def set_var(self, name: str, value: str) -> None:
        self.channel_vars[name] = value

    def get_var(self, name: str) -> str | None:
        return self.channel_vars.get(name)

    def names(self) -> list[str]:
        """Operation names in order, e.g. ['answer', 'playback', 'pagd', 'transfer']."""
        return [op[0] for op in self.ops]
