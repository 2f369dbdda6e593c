"""The engine's set of flows, loaded from a directory and reloaded without ever losing one.

`dialplans/` also holds other YAML (inbound routes), so a file counts as a flow when its
top-level mapping has `nodes`. On reload, a file that now has errors keeps its previous
good version (the errors are returned and logged); a file that disappeared is dropped.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.ivr.errors import FlowError, InvalidFlow
from engine.ivr.flow import Flow
from engine.ivr.loader import load_flow

log = logging.getLogger(__name__)


def is_flow_file(path: Path) -> bool:
    """True for YAML whose top level is a mapping with `nodes` (unparsable YAML counts as
    a flow so that its syntax error is reported, not silently skipped)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    except yaml.YAMLError:
        return True
    return isinstance(data, dict) and "nodes" in data


def flow_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The flow files (`*.yaml`, `*.yml` with `nodes`) directly inside `directory`, sorted."""
    folder = Path(directory)
    candidates = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return [path for path in candidates if path.is_file() and is_flow_file(path)]


@dataclass
class _Loaded:
    flow: Flow
    mtime_ns: int


class FlowRegistry:
    """Flows by name from one directory; `reload()` is safe to call at any time."""

    def __init__(
        self, directory: str | os.PathLike[str], sounds_dir: str | os.PathLike[str] | None = None
    ) -> None:
        self.directory = Path(directory)
        self.sounds_dir = sounds_dir
        self._by_path: dict[Path, _Loaded] = {}
        self._by_name: dict[str, Flow] = {}

    def get(self, name: str) -> Flow | None:
        """The current flow called `name`, if any."""
        return self._by_name.get(name)

    def names(self) -> list[str]:
        """Names of the loaded flows, sorted."""
        return sorted(self._by_name)

    def reload(self, *, only_changed: bool = False) -> list[FlowError]:
        """Re-read the directory; returns the errors (the flows they hit keep their old
        version). With `only_changed`, files whose mtime did not move are not re-read."""
        errors: list[FlowError] = []
        loaded: dict[Path, _Loaded] = {}
        for path in flow_files(self.directory):
            mtime = path.stat().st_mtime_ns
            previous = self._by_path.get(path)
            if only_changed and previous is not None and previous.mtime_ns == mtime:
                loaded[path] = previous
                continue
            try:
                loaded[path] = _Loaded(load_flow(path, sounds_dir=self.sounds_dir), mtime)
            except InvalidFlow as exc:
                errors.extend(exc.errors)
                for error in exc.errors:
                    log.error("ivr flow not loaded: %s", error)
                if previous is not None:
                    log.warning("ivr flow %s: keeping the previous version", previous.flow.name)
                    loaded[path] = previous
        by_name: dict[str, Flow] = {}
        for path, entry in loaded.items():
            other = by_name.get(entry.flow.name)
            if other is not None:
                errors.append(FlowError(str(path), 1, 1, "name", f"flow name '{entry.flow.name}' "
                                        f"is already used by {other.path}"))
                continue
            by_name[entry.flow.name] = entry.flow
        # Swap in one step: readers see the old set or the new one, never a mix.
        self._by_path, self._by_name = loaded, by_name
        return errors
