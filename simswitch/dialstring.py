"""Dial strings: `{global}<global>[per-leg]endpoint` with `,` (together) and `|` (failover).

ESL_PROTOCOL.md §14.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simswitch.apps import Message


@dataclass
class Leg:
    """One endpoint of a dial string with its variables ({} merged with [])."""

    endpoint: str
    variables: dict[str, str] = field(default_factory=dict)


def split_vars(text: str) -> dict[str, str]:
    """`a=1,b='x,y',c=z\\,w` → dict (comma escapes and single quotes honoured)."""
    sep = ","
    if text.startswith("^^") and len(text) > 2:
        sep, text = text[2], text[3:]
    out: dict[str, str] = {}
    item, quoted, i = "", False, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] == sep:
            item += sep
            i += 2
            continue
        if char == "'":
            quoted = not quoted
        elif char == sep and not quoted:
            _add_var(out, item)
            item = ""
        else:
            item += char
        i += 1
    _add_var(out, item)
    return out


def _add_var(out: dict[str, str], item: str) -> None:
    name, eq, value = item.partition("=")
    if eq and name.strip():
        out[name.strip()] = value


def parse_dial_string(dial: str) -> list[list[Leg]]:
    """Failover groups (`|`, `:_:`) in order, each a list of legs rung together (`,`)."""
    global_vars: dict[str, str] = {}
    while dial[:1] in ("{", "<"):
        close = "}" if dial[0] == "{" else ">"
        end = dial.find(close)
        if end < 0:
            break
        global_vars.update(split_vars(dial[1:end]))
        dial = dial[end + 1:]
    groups: list[list[Leg]] = []
    for group in dial.replace(":_:", "|").split("|"):
        legs: list[Leg] = []
        for part in _split_top(group, ","):
            local = dict(global_vars)
            part = part.strip()
            if part.startswith("["):
                end = part.find("]")
                if end > 0:
                    local.update(split_vars(part[1:end]))
                    part = part[end + 1:]
            if part:
                legs.append(Leg(part, local))
        if legs:
            groups.append(legs)
    return groups


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, item = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == sep and depth == 0:
            parts.append(item)
            item = ""
        else:
            item += char
    parts.append(item)
    return parts


def parse_target(target: str) -> list[Message]:
    """`&app(args)` → one message; anything else is an extension for the dialplan."""
    if target.startswith("&"):
        body = target[1:]
        name, _, rest = body.partition("(")
        args = rest[:-1] if rest.endswith(")") else rest
        return [Message(name, args)]
    return []
