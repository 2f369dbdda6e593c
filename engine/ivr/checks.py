"""Checks the schema cannot express: targets, dead ends, loops with no way out, prompts, limits.

Each check takes schema-valid flow data and yields `Finding`s addressed by document path;
the loader turns paths into file positions.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.ivr import template
from engine.ivr.flow import CONTINUATION_FIELD, TERMINAL_TYPES, Node
from engine.ivr.schema import flow_defaults

MAX_SAY_CHARS = 500
MAX_SURVEY_ANSWERS = 10
PROMPT_FIELDS = ("prompt", "invalid_prompt", "greeting")
TEMPLATE_FIELDS = ("target", "queue", "box", "url")


@dataclass(frozen=True)
class Finding:
    """A semantic problem at a document path."""

    path: tuple[str | int, ...]
    message: str
    severity: str = "error"
    at_key: bool = False


def check_flow(data: dict[str, Any], nodes: dict[str, Node], sounds_dir: Path) -> list[Finding]:
    """Run every semantic check over a schema-valid flow."""
    findings: list[Finding] = []
    findings += _check_targets(data, nodes)
    findings += _check_reachability(data, nodes)
    fallback = data.get("fallback", flow_defaults()["fallback"])
    findings += _check_prompt(fallback, ("fallback",), sounds_dir, "flow")
    for node in nodes.values():
        findings += _check_node(node, sounds_dir)
    return findings


def _in_node(node_id: str, message: str) -> str:
    return f"node '{node_id}': {message}"


def _check_targets(data: dict[str, Any], nodes: dict[str, Node]) -> Iterator[Finding]:
    if data["start"] not in nodes:
        yield Finding(("start",), f"start: unknown node '{data['start']}'")
    for node in nodes.values():
        for edge in node.edges():
            if edge.target not in nodes:
                yield Finding(edge.path, _in_node(node.id, f"unknown target '{edge.target}'"))
        needed = CONTINUATION_FIELD.get(node.type)
        if needed and not node.get(needed):
            yield Finding(
                ("nodes", node.id),
                _in_node(node.id, f"dead end: a {node.type} node needs '{needed}' "
                         "or the caller is left stuck"),
                at_key=True,
            )


def _exits(node: Node) -> bool:
    """True if the flow can end at this node (the call leaves the IVR)."""
    if node.type == "voicemail":
        return not node.get("next")
    return node.type in TERMINAL_TYPES


def _already_reported(node: Node, nodes: dict[str, Node]) -> bool:
    needed = CONTINUATION_FIELD.get(node.type)
    if needed and not node.get(needed):
        return True
    return any(edge.target not in nodes for edge in node.edges())


def _check_reachability(data: dict[str, Any], nodes: dict[str, Node]) -> Iterator[Finding]:
    graph = {nid: [e.target for e in node.edges() if e.target in nodes] for nid, node in nodes.items()}
    reachable: set[str] = set()
    stack = [data["start"]] if data["start"] in nodes else []
    while stack:
        current = stack.pop()
        if current not in reachable:
            reachable.add(current)
            stack.extend(graph[current])
    for nid in nodes:
        if nid not in reachable:
            yield Finding(("nodes", nid), _in_node(nid, f"unreachable from start '{data['start']}'"),
                          severity="warning", at_key=True)
    # Backwards from every exit: who can still end the call?
    reverse: dict[str, list[str]] = {nid: [] for nid in nodes}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].append(source)
    can_end: set[str] = set()
    # Nodes already reported (dead end, unknown target) count as exits here: one cause, one error.
    stack = [nid for nid, node in nodes.items() if _exits(node) or _already_reported(node, nodes)]
    while stack:
        current = stack.pop()
        if current not in can_end:
            can_end.add(current)
            stack.extend(reverse[current])
    for nid in nodes:
        if nid in reachable and nid not in can_end:
            yield Finding(("nodes", nid), _in_node(
                nid, "caller stuck: no path from here to hangup, transfer, queue or voicemail"),
                at_key=True)


def _check_node(node: Node, sounds_dir: Path) -> Iterator[Finding]:
    base = ("nodes", node.id)
    if node.type == "play" and node.get("file"):
        yield from _check_prompt(node.get("file"), (*base, "file"), sounds_dir, node.id)
    if node.type == "say":
        yield from _check_say(node.get("text"), (*base, "text"), node.id)
    for name in PROMPT_FIELDS:
        if name in node.spec:
            yield from _check_prompt(node.spec[name], (*base, name), sounds_dir, node.id)
    for name in TEMPLATE_FIELDS:
        if isinstance(node.spec.get(name), str):
            yield from _check_template(node.spec[name], (*base, name), node.id)
    for mapping_name in ("vars", "body"):
        for key, value in (node.spec.get(mapping_name) or {}).items():
            if isinstance(value, str):
                yield from _check_template(value, (*base, mapping_name, key), node.id)
    if node.get("no_input") == node.id:
        yield Finding((*base, "no_input"), _in_node(
            node.id, "no_input repeats this node forever for a silent caller (retries already "
                     "repeat the prompt); send them somewhere that ends"), severity="warning")
    checker = _TYPE_CHECKS.get(node.type)
    if checker:
        yield from checker(node, base)


def _check_prompt(prompt: Any, path: tuple[str | int, ...], sounds_dir: Path, owner: str) -> Iterator[Finding]:
    where = "flow" if owner == "flow" else f"node '{owner}'"
    if isinstance(prompt, dict) and "say" in prompt:
        yield from _check_say(prompt["say"], (*path, "say"), owner)
        return
    file_name = prompt.get("file") if isinstance(prompt, dict) else prompt
    if isinstance(file_name, str) and not (sounds_dir / file_name).is_file():
        file_path = (*path, "file") if isinstance(prompt, dict) else path
        yield Finding(file_path, f"{where}: prompt file '{file_name}' not found in {sounds_dir}")


def _check_say(text: Any, path: tuple[str | int, ...], owner: str) -> Iterator[Finding]:
    if not isinstance(text, str):
        return
    length = template.static_length(text)
    if length > MAX_SAY_CHARS:
        yield Finding(path, _in_node(owner, f"say text is {length} characters without variables "
                                            f"(at most {MAX_SAY_CHARS})"))
    yield from _check_template(text, path, owner)


def _check_template(text: str, path: tuple[str | int, ...], owner: str) -> Iterator[Finding]:
    problem = template.syntax_problem(text)
    if problem:
        yield Finding(path, _in_node(owner, f"bad template: {problem}"))


def _check_regex(pattern: str, path: tuple[str | int, ...], owner: str) -> Iterator[Finding]:
    try:
        re.compile(pattern)
    except re.error as exc:
        yield Finding(path, _in_node(owner, f"bad regular expression {pattern!r}: {exc}"))


def _check_collect(node: Node, base: tuple[str | int, ...]) -> Iterator[Finding]:
    if node.get("min_digits") > node.get("max_digits"):
        yield Finding((*base, "min_digits"), _in_node(node.id, "min_digits is above max_digits"))
    if node.get("pattern"):
        yield from _check_regex(node.get("pattern"), (*base, "pattern"), node.id)


def _check_survey(node: Node, base: tuple[str | int, ...]) -> Iterator[Finding]:
    answers = node.survey_answers()
    if len(answers) > MAX_SURVEY_ANSWERS:
        yield Finding((*base, "answers"), _in_node(
            node.id, f"{len(answers)} survey answers (at most {MAX_SURVEY_ANSWERS})"))
        return  # keys wrap around past ten; one error is enough
    seen: set[str] = set()
    for i, answer in enumerate(answers):
        if answer.key in seen:
            yield Finding((*base, "answers", i), _in_node(node.id, f"survey key '{answer.key}' is used twice"))
        seen.add(answer.key)


def _check_branch(node: Node, base: tuple[str | int, ...]) -> Iterator[Finding]:
    for i, condition in enumerate(node.get("conditions", [])):
        path = (*base, "conditions", i)
        op, value = condition["op"], condition.get("value")
        if op not in ("empty", "present") and value is None:
            yield Finding(path, _in_node(node.id, f"condition '{op}' needs a value"))
        elif op == "in" and not isinstance(value, list):
            yield Finding((*path, "value"), _in_node(node.id, "condition 'in' needs a list value"))
        elif op == "matches" and isinstance(value, str):
            yield from _check_regex(value, (*path, "value"), node.id)
        elif op != "in" and isinstance(value, list):
            yield Finding((*path, "value"), _in_node(node.id, f"condition '{op}' needs a single value"))


def _check_time(node: Node, base: tuple[str | int, ...]) -> Iterator[Finding]:
    try:
        zoneinfo.ZoneInfo(node.get("timezone"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        yield Finding((*base, "timezone"), _in_node(node.id, f"unknown timezone '{node.get('timezone')}'"))
    for i, schedule in enumerate(node.get("schedules", [])):
        if schedule["from"] >= schedule["to"]:
            yield Finding((*base, "schedules", i, "to"), _in_node(
                node.id, f"schedule ends ({schedule['to']}) before it starts ({schedule['from']})"))
    for i, holiday in enumerate(node.get("holidays", [])):
        try:
            date.fromisoformat(holiday if len(holiday) == 10 else f"2000-{holiday}")
        except ValueError:
            yield Finding((*base, "holidays", i), _in_node(node.id, f"'{holiday}' is not a real date"))


_TYPE_CHECKS = {
    "collect": _check_collect,
    "survey": _check_survey,
    "branch": _check_branch,
    "time": _check_time,
}
