"""`{variable}` templates used by say text, set values, transfer targets and webhooks.

Deliberately not ``str.format``: only plain names are substituted (no attribute or index
access), an unknown variable becomes empty text, and ``{{`` / ``}}`` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STRAY_BRACE = re.compile(r"\{\{|\}\}|\{[A-Za-z_][A-Za-z0-9_]*\}|[{}]")

Lookup = Callable[[str], object]


def render(text: str, lookup: Lookup) -> str:
    """Replace each `{name}` with ``lookup(name)`` (``None`` renders as empty text)."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = lookup(match.group(1))
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(substitute, text)


def placeholders(text: str) -> list[str]:
    """Variable names used by `text`, in order of appearance."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1)]


def static_length(text: str) -> int:
    """Length of `text` without its placeholders (the ≤500 character rule for TTS)."""
    return len(_PLACEHOLDER.sub(lambda m: "" if m.group(1) else "{", text))


def syntax_problem(text: str) -> str | None:
    """Describe a malformed template (a lone brace or `{not a name}`), else None."""
    for match in _STRAY_BRACE.finditer(text):
        if match.group(0) in ("{", "}"):
            return f"stray '{match.group(0)}' at offset {match.start()} (write {{{{ or }}}} for a literal brace)"
    return None
