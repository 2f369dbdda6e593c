"""What each node type does on a call. One function per type, registered in `HANDLERS`.

A handler gets the running `Interpreter` (variables, prompts, channel, callbacks) and its
node, does the media work, and returns an `Outcome`: the next node id, or None when the
call has left the flow (hangup, transfer, queue, voicemail).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.ivr import template
from engine.ivr.errors import FlowAborted
from engine.ivr.flow import Node
from engine.ivr.schedule import pick_target
from engine.ivr.webhook import WebhookError, dig

if TYPE_CHECKING:
    from engine.ivr.interpreter import Interpreter

BEEP = "tone_stream://%(500,0,800)"
SILENCE = "silence_stream://250"


@dataclass(frozen=True)
class Outcome:
    """Where the caller goes next (None: the call has left the flow) and what happened."""

    next: str | None
    result: str
    end: str | None = None


def _play(run: Interpreter, node: Node) -> Outcome:
    if node.get("file"):
        run.play(node.get("file"))
        return Outcome(node.get("next"), f"played {node.get('file')}")
    run.play({"tone": node.get("tone")})
    return Outcome(node.get("next"), f"played tone {node.get('tone')}")


def _say(run: Interpreter, node: Node) -> Outcome:
    path = run.say_path(node.get("text"), node.get("voice"), node.get("language"))
    run.channel.playback(path)
    return Outcome(node.get("next"), f"said {len(run.render(node.get('text')))} characters")


def _keys_regex(keys: list[str]) -> str:
    return "^(" + "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True)) + ")$"


def _get_digits(run: Interpreter, node: Node, min_digits: int, max_digits: int,
                terminators: str, regex: str) -> str:
    invalid = node.get("invalid_prompt")
    return run.channel.play_and_get_digits(
        min_digits, max_digits, int(node.get("retries")), int(float(node.get("timeout")) * 1000),
        terminators, run.playable(node.get("prompt")),
        run.playable(invalid) if invalid else SILENCE, regex,
    )  # fmt: skip


def _choice_keys(keys: list[str]) -> tuple[int, int, str]:
    """min digits, max digits and terminator for DTMF choices ('#' unless it is a choice)."""
    lengths = [len(key) for key in keys]
    terminator = "" if any("#" in key for key in keys) else "#"
    return min(lengths), max(lengths), terminator


def _menu(run: Interpreter, node: Node) -> Outcome:
    choices: dict[str, str] = node.get("choices")
    low, high, terminator = _choice_keys(list(choices))
    digits = _get_digits(run, node, low, high, terminator, _keys_regex(list(choices)))
    if digits in choices:
        if node.get("into"):
            run.set_var(node.get("into"), digits)
        return Outcome(choices[digits], f"key {digits}")
    return Outcome(node.get("no_input"), "no valid input")


def _collect(run: Interpreter, node: Node) -> Outcome:
    low, high = int(node.get("min_digits")), int(node.get("max_digits"))
    regex = node.get("pattern") or f"^[0-9*]{{{low},{high}}}$"
    digits = _get_digits(run, node, low, high, node.get("terminator"), regex)
    run.set_var(node.get("into"), digits)
    if digits:
        return Outcome(node.get("next"), f"collected {len(digits)} digits")
    return Outcome(node.get("no_input") or node.get("next"), "no valid input")


def _survey(run: Interpreter, node: Node) -> Outcome:
    answers = {answer.key: answer for answer in node.survey_answers()}
    low, high, terminator = _choice_keys(list(answers))
    digits = _get_digits(run, node, low, high, terminator, _keys_regex(list(answers)))
    answer = answers.get(digits)
    if answer is None:
        return Outcome(node.get("no_input") or node.get("next"), "no answer")
    run.set_var(node.get("into") or f"survey_{node.id}", answer.key)
    run.notify(run.on_survey_answer, node.get("question"), answer.key, answer.label)
    return Outcome(answer.next or node.get("next"), f"answer {answer.key} ({answer.label})")


def _record_message(run: Interpreter, node: Node, prompt: Any, beep: bool, seconds: int) -> str:
    run.play(prompt)
    if beep:
        run.channel.playback(BEEP)
    path = run.recording_path(node)
    run.channel.record(path, seconds)
    return path


def _record(run: Interpreter, node: Node) -> Outcome:
    path = _record_message(run, node, node.get("prompt"), bool(node.get("beep")),
                           int(node.get("max_seconds")))
    run.set_var(node.get("into"), path)
    return Outcome(node.get("next"), f"recorded {path}")


def _hand_over(run: Interpreter, node: Node, kind: str, target_template: str) -> Outcome:
    run.play(node.get("prompt"))
    target = run.render(target_template).strip()
    if target and run.channel.transfer(kind, target):
        return Outcome(None, f"{kind} {target}", end="queue" if kind == "queue" else "transfer")
    if node.get("on_failure"):
        return Outcome(node.get("on_failure"), f"{kind} {target!r} refused")
    raise FlowAborted(f"{kind} {target!r} refused and node '{node.id}' has no on_failure")


def _transfer(run: Interpreter, node: Node) -> Outcome:
    return _hand_over(run, node, node.get("to"), node.get("target"))


def _queue(run: Interpreter, node: Node) -> Outcome:
    run.set_var("fscc_queue_priority", node.get("priority"))
    return _hand_over(run, node, "queue", node.get("queue"))


def _voicemail(run: Interpreter, node: Node) -> Outcome:
    box = run.render(node.get("box"))
    path = _record_message(run, node, node.get("greeting"), True, int(node.get("max_seconds")))
    run.set_var("voicemail_path", path)
    run.notify(run.on_voicemail, box, path)
    if node.get("next"):
        return Outcome(node.get("next"), f"voicemail for {box}: {path}")
    run.channel.hangup("NORMAL_CLEARING")
    return Outcome(None, f"voicemail for {box}: {path}", end="voicemail")


def _url_quoted(value: Any) -> str:
    return "" if value is None else urllib.parse.quote(str(value), safe="")


def _webhook(run: Interpreter, node: Node) -> Outcome:
    # Values go into the URL percent-encoded: a variable cannot add a path or a parameter.
    url = template.render(node.get("url"), lambda name: _url_quoted(run.lookup(name)))
    body = {key: run.render(value) if isinstance(value, str) else value
            for key, value in (node.get("body") or {}).items()}
    try:
        status, payload = run.http(node.get("method"), url, body, float(node.get("timeout")))
    except WebhookError as exc:
        if node.get("status_into"):
            run.set_var(node.get("status_into"), "error")
        return Outcome(node.get("on_error") or node.get("next"), f"webhook failed: {exc}")
    if node.get("status_into"):
        run.set_var(node.get("status_into"), status)
    for var, dotted in (node.get("result") or {}).items():
        value = dig(payload, dotted)
        run.set_var(var, "" if value is None else value)
    return Outcome(node.get("next"), f"HTTP {status}")


def _set(run: Interpreter, node: Node) -> Outcome:
    for name, value in node.get("vars").items():
        run.set_var(name, run.render(value) if isinstance(value, str) else value)
    return Outcome(node.get("next"), "set " + ", ".join(node.get("vars")))


def _as_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def condition_holds(op: str, actual: Any, expected: Any) -> bool:
    """One branch condition; numbers compare as numbers when both sides are numeric."""
    text = "" if actual is None else str(actual)
    if op == "empty":
        return text == ""
    if op == "present":
        return text != ""
    if op == "in":
        return text in [str(item) for item in expected]
    if op == "matches":
        return re.search(str(expected), text) is not None
    left, right = _as_number(text), _as_number(expected)
    pair: tuple[Any, Any] = (left, right) if left is not None and right is not None else (text, str(expected))
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    }  # fmt: skip
    return comparisons[op](*pair)


def _branch(run: Interpreter, node: Node) -> Outcome:
    for condition in node.get("conditions"):
        actual = run.lookup(condition["var"])
        if condition_holds(condition["op"], actual, condition.get("value")):
            return Outcome(condition["next"], f"{condition['var']}={actual!r} {condition['op']} "
                                              f"{condition.get('value', '')}".rstrip())
    return Outcome(node.get("default"), "default")


def _time(run: Interpreter, node: Node) -> Outcome:
    target, reason = pick_target(node.spec, run.now())
    return Outcome(target, reason)


def _goto(run: Interpreter, node: Node) -> Outcome:
    return Outcome(node.get("next"), "goto")


def _hangup(run: Interpreter, node: Node) -> Outcome:
    run.play(node.get("prompt"))
    run.channel.hangup(node.get("cause"))
    return Outcome(None, f"hangup {node.get('cause')}", end="hangup")


HANDLERS: dict[str, Callable[[Interpreter, Node], Outcome]] = {
    "play": _play, "say": _say, "menu": _menu, "collect": _collect, "survey": _survey,
    "record": _record, "transfer": _transfer, "queue": _queue, "voicemail": _voicemail,
    "webhook": _webhook, "set": _set, "branch": _branch, "time": _time, "goto": _goto,
    "hangup": _hangup,
}  # fmt: skip
