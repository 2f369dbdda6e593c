"""Runs one flow over one call's `CallChannel`, step by step, never leaving the caller stuck.

Every node visit becomes a `StepRecord` (node, type, start time, duration, result). Any error
(switch failure, TTS failure, webhook crash, a bug) plays the flow's fallback prompt and hangs
up cleanly; so does a flow that runs more than `max_steps` steps (a loop).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.ivr import template
from engine.ivr.channel import CallChannel, CallerHungUp
from engine.ivr.errors import FlowAborted, StepLimit
from engine.ivr.flow import Flow, Node, default_sounds_dir
from engine.ivr.steps import HANDLERS, Outcome
from engine.ivr.tts import TtsCache
from engine.ivr.webhook import HttpClient, request_json

log = logging.getLogger(__name__)

SurveyCallback = Callable[[str, str, str], None]
VoicemailCallback = Callable[[str, str], None]


@dataclass(frozen=True)
class StepRecord:
    """One node visit: what ran, when (epoch seconds), for how long, and how it ended."""

    node: str
    type: str
    started: float
    duration: float
    result: str
    next: str | None = None


@dataclass
class RunResult:
    """How a run ended: `end` is hangup, transfer, queue, voicemail, caller_hangup, error or
    max_steps; `error` says what went wrong for the last two."""

    steps: list[StepRecord]
    end: str
    variables: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Interpreter:
    """Drives `flow` over `channel`; call `run()` once per call.

    `variables` are the contact's fields (first_name, ...) and override the flow's `vars`.
    `on_step` gets each StepRecord as it finishes, `on_survey_answer(question, key, label)`
    each survey answer, `on_voicemail(box, path)` each voicemail message.
    """

    def __init__(
        self,
        flow: Flow,
        channel: CallChannel,
        *,
        variables: Mapping[str, Any] | None = None,
        tts: TtsCache | None = None,
        http: HttpClient = request_json,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        recordings_dir: str | Path = "recordings",
        on_step: Callable[[StepRecord], None] | None = None,
        on_survey_answer: SurveyCallback | None = None,
        on_voicemail: VoicemailCallback | None = None,
    ) -> None:
        self.flow = flow
        self.channel = channel
        self.vars: dict[str, Any] = {**flow.vars, **(variables or {})}
        self.tts = tts
        self.http = http
        self.now = now
        self.recordings_dir = Path(recordings_dir)
        self.sounds_dir = flow.sounds_dir or default_sounds_dir()
        self.on_step = on_step
        self.on_survey_answer = on_survey_answer
        self.on_voicemail = on_voicemail
        self.steps: list[StepRecord] = []

    # -- services the node handlers use -------------------------------------------------

    def lookup(self, name: str) -> Any:
        """A variable: flow/contact variables first, then the channel's."""
        if name in self.vars:
            return self.vars[name]
        return self.channel.get_var(name)

    def render(self, text: str) -> str:
        """Fill `{variables}` into `text`."""
        return template.render(text, self.lookup)

    def set_var(self, name: str, value: Any) -> None:
        """Set a flow variable and mirror it on the channel (visible in CDRs and dialplan)."""
        self.vars[name] = value
        self.channel.set_var(name, "" if value is None else str(value))

    def say_path(self, text: str, voice: str | None, language: str | None) -> str:
        """Render TTS text (variables filled in) and return the WAV path."""
        if self.tts is None:
            raise FlowAborted("this flow speaks text but no TTS renderer was given")
        rendered = self.tts.render_template(
            text, self.lookup, voice or self.flow.voice, language or self.flow.language
        )
        return str(rendered)

    def playable(self, prompt: Any) -> str:
        """A prompt (file name, {file}, {tone} or {say}) as something `playback` accepts."""
        if isinstance(prompt, str):
            return str((self.sounds_dir / prompt).resolve())
        if "file" in prompt:
            return self.playable(prompt["file"])
        if "tone" in prompt:
            tone = prompt["tone"]
            return tone if tone.startswith("tone_stream://") else f"tone_stream://{tone}"
        return self.say_path(prompt["say"], prompt.get("voice"), prompt.get("language"))

    def play(self, prompt: Any) -> None:
        """Play a prompt if one is given."""
        if prompt:
            self.channel.playback(self.playable(prompt))

    def notify(self, callback: Callable[..., None] | None, *args: Any) -> None:
        """Call a reporting callback; its failure is logged, never felt by the caller."""
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # noqa: BLE001 - a store/report failure must not end the call
            log.exception("ivr %s call %s: callback %s failed", self.flow.name,
                          self.channel.uuid, getattr(callback, "__name__", callback))

    def recording_path(self, node: Node) -> str:
        """A fresh file name for a recording made at `node`."""
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        stamp = self.now().strftime("%Y%m%dT%H%M%S")
        name = f"{self.flow.name}-{self.channel.uuid}-{node.id}-{stamp}.wav"
        return str((self.recordings_dir / name).resolve())

    # -- the run --------------------------------------------------------------------------

    def _record(self, node: Node, started: float, began: float, outcome: Outcome) -> None:
        step = StepRecord(node.id, node.type, started, time.monotonic() - began,
                          outcome.result, outcome.next)
        self.steps.append(step)
        log.info("ivr %s call %s step %s (%s) %.3fs: %s", self.flow.name, self.channel.uuid,
                 node.id, node.type, step.duration, step.result)
        self.notify(self.on_step, step)

    def run(self) -> RunResult:
        """Run the flow to its end; never raises for flow or channel errors."""
        node_id: str | None = self.flow.start
        end = "hangup"
        try:
            self.channel.answer()
            while node_id is not None:
                if len(self.steps) >= self.flow.max_steps:
                    raise StepLimit(f"more than {self.flow.max_steps} steps (a loop?)")
                node = self.flow.nodes[node_id]
                started, began = time.time(), time.monotonic()
                try:
                    outcome = HANDLERS[node.type](self, node)
                except CallerHungUp:
                    self._record(node, started, began, Outcome(None, "caller hung up"))
                    raise
                self._record(node, started, began, outcome)
                if outcome.next is None:
                    end = outcome.end or "hangup"
                elif self.channel.hungup:
                    raise CallerHungUp()
                node_id = outcome.next
        except CallerHungUp:
            return RunResult(self.steps, "caller_hangup", dict(self.vars))
        except StepLimit as exc:
            return self._fail("max_steps", str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure must end the call cleanly
            log.exception("ivr %s call %s failed", self.flow.name, self.channel.uuid)
            return self._fail("error", f"{type(exc).__name__}: {exc}")
        return RunResult(self.steps, end, dict(self.vars))

    def _fail(self, kind: str, message: str) -> RunResult:
        """Play the fallback prompt and hang up, tolerating a channel that is already gone."""
        log.warning("ivr %s call %s: %s; playing fallback", self.flow.name, self.channel.uuid, message)
        started, began = time.time(), time.monotonic()
        result = f"fallback after {kind}: {message}"
        try:
            if not self.channel.hungup:
                self.channel.set_var("fscc_ivr_error", message[:200])
                self.play(self.flow.fallback)
        except Exception as exc:  # noqa: BLE001 - the fallback itself may fail; hang up anyway
            result += f" (fallback prompt failed: {exc})"
        try:
            if not self.channel.hungup:
                self.channel.hangup("NORMAL_CLEARING")
        except Exception as exc:  # noqa: BLE001 - nothing more to do for this call
            log.warning("ivr %s call %s: hangup after error failed: %s",
                        self.flow.name, self.channel.uuid, exc)
        step = StepRecord("(fallback)", "fallback", started, time.monotonic() - began, result)
        self.steps.append(step)
        self.notify(self.on_step, step)
        return RunResult(self.steps, kind, dict(self.vars), error=message)
