"""Phone feature codes: agents log in/out and go ready/break by dialing from their phone.

The default-context dialplan (config/freeswitch/dialplan/default/00_fscc_features.xml)
hands ``*22``-``*25`` to the engine's outbound socket; the caller's number is the agent's
extension. Codes can be changed with ``extra.feature_codes`` in the settings.
"""
from __future__ import annotations

from collections.abc import Mapping

DEFAULT_FEATURE_CODES: dict[str, str] = {"*22": "login", "*23": "logout", "*24": "ready", "*25": "break"}
ACTIONS = frozenset(DEFAULT_FEATURE_CODES.values())


def feature_codes(configured: Mapping[str, str] | None = None) -> dict[str, str]:
    """The code -> action map; a configured map replaces the default and is validated."""
    if not configured:
        return dict(DEFAULT_FEATURE_CODES)
    codes = {}
    for code, action in configured.items():
        if action not in ACTIONS:
            raise ValueError(f"extra.feature_codes.{code}: unknown action {action!r}; expected one of {sorted(ACTIONS)}")
        codes[str(code)] = str(action)
    return codes
