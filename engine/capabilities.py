"""What each FreeSWITCH node can do, asked of the node rather than assumed.

A stock FreeSWITCH build has no mod_amd (the shared test bundle has mod_avmd only), and
executing a missing application over ESL hangs the channel up with
DESTINATION_OUT_OF_ORDER ("Invalid Application amd" in the switch's log). So the engine
asks each node at start, after a reconnect and on reload:

* ``api module_exists mod_amd`` -> ``true`` / ``false`` (no newline);
* ``api show application as json`` -> ``{"row_count": N, "rows": [{"name": ..., "ikey":
  <module>}, ...]}`` (``{"row_count": 0}`` when empty).

:func:`probe` turns the replies into a :class:`SwitchCapabilities`; it takes the node's
``api`` function, so it runs against a real switch, simswitch or a fake alike.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from engine.esl.errors import ESLError

log = logging.getLogger(__name__)

PROBED_MODULES = ("mod_amd", "mod_avmd", "mod_conference")


@dataclass(frozen=True)
class SwitchCapabilities:
    """One node's loaded modules (of those probed) and its dialplan applications."""

    node: str
    modules: frozenset[str]
    applications: frozenset[str]

    def has_application(self, name: str) -> bool:
        return name in self.applications

    def view(self) -> dict[str, Any]:
        """JSON-friendly form (``Engine.snapshot()["switches"][node]``)."""
        return {"modules": sorted(self.modules), "applications": sorted(self.applications)}

    @classmethod
    def from_view(cls, node: str, view: Mapping[str, Any]) -> SwitchCapabilities:
        return cls(node, frozenset(view.get("modules") or ()), frozenset(view.get("applications") or ()))


def module_loaded(reply: str) -> bool:
    """``module_exists`` answers exactly ``true`` when the module is loaded."""
    return reply.strip() == "true"


def application_names(reply: str) -> frozenset[str]:
    """Names from ``show application as json``; ValueError for anything else (an ``-ERR``)."""
    data = json.loads(reply)
    if not isinstance(data, dict) or "row_count" not in data:
        raise ValueError(f"not a show application reply: {reply[:80]!r}")
    return frozenset(str(row["name"]) for row in data.get("rows") or () if isinstance(row, dict) and "name" in row)


def probe(node: str, api: Callable[[str], str]) -> SwitchCapabilities:
    """Ask one node what it has; raises what ``api`` raises, ValueError for a bad reply."""
    modules = frozenset(name for name in PROBED_MODULES if module_loaded(api(f"module_exists {name}")))
    applications = application_names(api("show application as json"))
    log.info("switch capabilities node=%s modules=%s applications=%d", node, ",".join(sorted(modules)) or "-",
             len(applications))
    return SwitchCapabilities(node, modules, applications)


class _Node(Protocol):
    @property
    def connected(self) -> bool: ...

    def api(self, command: str, timeout: float | None = ...) -> str: ...


class SwitchTable(Mapping[str, SwitchCapabilities]):
    """The last answer of each node (``Engine.capabilities``): asked at connect, again after a
    reconnect, and on every :meth:`refresh` with ``changed_only=False`` (reload)."""

    def __init__(self) -> None:
        self._found: dict[str, SwitchCapabilities] = {}
        self._current: dict[str, bool] = {}  # asked since the node's last (re)connect

    def __getitem__(self, node: str) -> SwitchCapabilities:
        return self._found[node]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def ask(self, name: str, node: _Node) -> SwitchCapabilities | None:
        """Probe one node; one that cannot answer keeps its last known capabilities."""
        try:
            found = probe(name, lambda command: node.api(command, timeout=10))
        except (ESLError, OSError, TimeoutError, ValueError) as exc:
            log.error("capability check failed node=%s: %s", name, exc)
            return self._found.get(name)
        self._found[name] = found
        self._current[name] = True
        return found

    def refresh(self, nodes: Mapping[str, _Node], *, changed_only: bool = False) -> None:
        """Ask every connected node again; with ``changed_only`` only those that reconnected."""
        for name, node in nodes.items():
            if not node.connected:
                self._current[name] = False
            elif not changed_only or not self._current.get(name):
                self.ask(name, node)

    def view(self) -> dict[str, dict[str, Any]]:
        return {name: found.view() for name, found in self._found.items()}
