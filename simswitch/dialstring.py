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


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def separate(text: str, delim: str, maxsplit: int = -1) -> list[str]:
    """switch_separate_string: split on `delim` outside single quotes and `\\x` escapes,
    skip repeated delimiters, then drop the quotes and resolve the escapes in each part
    (`\\n \\r \\t \\s` → newline, CR, tab, space; `\\x` → x)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if char == "'" and (quoted or "'" in text[i + 1:]):
            quoted = not quoted
            current.append(char)
        elif char == delim and not quoted and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append("".join(current))
            current = []
            while i + 1 < len(text) and text[i + 1] == delim:
                i += 1
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return [_cleanup(part) for part in parts if part or len(parts) == 1]


def _cleanup(part: str) -> str:
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(part):
        char = part[i]
        if char == "\\" and i + 1 < len(part):
            out.append(_ESCAPES.get(part[i + 1], part[i + 1]))
            i += 2
            continue
        if char == "'" and (quoted or "'" in part[i + 1:]):
            quoted = not quoted
        else:
            out.append(char)
        i += 1
    return "".join(out)


def split_vars(text: str) -> dict[str, str]:
    """A `{}`/`[]` block: `a=1,b='x,y',c=z\\,w` → dict (FreeSWITCH's escapes and quotes;
    `^^:` at the start picks another separator)."""
    sep = ","
    if text.startswith("^^") and len(text) > 2:
        sep, text = text[2], text[3:]
    out: dict[str, str] = {}
    for item in separate(text, sep):
        pair = separate(item, "=", maxsplit=1)
        if len(pair) == 2 and pair[0].strip():
            out[pair[0].strip()] = pair[1]
    return out


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
