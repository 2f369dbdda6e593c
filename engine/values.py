"""Small parsers for values typed by people (forms, YAML, environment, API bodies)."""
from __future__ import annotations

from typing import Any

TRUE_WORDS = frozenset(("1", "true", "yes", "on", "y"))
FALSE_WORDS = frozenset(("0", "false", "no", "off", "n", ""))


def parse_bool(value: Any) -> bool:
    """``True``/``False`` from a bool or a yes/no word; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is not yes/no")
