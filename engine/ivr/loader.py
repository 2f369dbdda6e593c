"""Load and validate flow files: YAML with marks, jsonschema, then semantic checks.

A flow with any error never loads: `load_flow` raises `InvalidFlow` and the caller keeps
whatever flow it had before. Warnings (unreachable nodes) are kept on `Flow.warnings`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.ivr.checks import check_flow
from engine.ivr.errors import FlowError, InvalidFlow
from engine.ivr.flow import Flow, Node, default_sounds_dir
from engine.ivr.graph import to_graph
from engine.ivr.marks import MarkedDocument, YamlSyntaxError, load_marked
from engine.ivr.schema import flow_defaults, schema_problems

__all__ = ["FlowError", "InvalidFlow", "default_sounds_dir", "load_flow", "to_graph", "validate_files"]

log = logging.getLogger(__name__)

MAX_FLOW_BYTES = 1_000_000


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(part) for part in path)


def _context(path: tuple[str | int, ...]) -> str:
    if len(path) >= 2 and path[0] == "nodes":
        rest = _dotted(path[2:])
        return f"node '{path[1]}': " + (f"field '{rest}': " if rest else "")
    return f"field '{_dotted(path)}': " if path else ""


def _duplicate_message(path: tuple[str | int, ...]) -> str:
    if len(path) == 2 and path[0] == "nodes":
        return f"duplicate node id '{path[1]}'"
    return f"{_context(path[:-1])}duplicate key '{path[-1]}'"


def _analyse(path: Path, sounds_dir: Path) -> tuple[list[FlowError], Flow | None]:
    """All problems of one file, and the Flow when there is no error."""
    shown = str(path)

    def error(at: tuple[int, int], field: str, message: str, severity: str = "error") -> FlowError:
        return FlowError(shown, at[0], at[1], field, message, severity)

    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [error((1, 1), "", f"cannot read: {exc.strerror or exc}")], None
    if len(raw) > MAX_FLOW_BYTES:
        return [error((1, 1), "", f"file is larger than {MAX_FLOW_BYTES} bytes")], None
    try:
        doc = load_marked(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return [error((1, 1), "", f"not UTF-8 text: {exc.reason}")], None
    except YamlSyntaxError as exc:
        return [error((exc.mark.line, exc.mark.column), "", exc.message)], None

    def at(path_: tuple[str | int, ...], key: bool = False) -> tuple[int, int]:
        mark = doc.mark(path_, key=key)
        return mark.line, mark.column

    errors = [error(at(p, key=True), _dotted(p), _duplicate_message(p)) for p, _ in doc.duplicates]
    if not isinstance(doc.data, dict):
        errors.append(error((1, 1), "", "a flow file must be a YAML mapping with name, start and nodes"))
        return errors, None
    problems = schema_problems(doc.data)
    errors += [
        error(at(p.path, p.at_key), _dotted(p.field or p.path),
              _context(p.path[:-1] if p.at_key else p.path) + p.message)
        for p in problems
    ]
    if problems:
        return sorted(errors, key=lambda e: (e.line, e.column)), None
    nodes = _build_nodes(doc)
    for finding in check_flow(doc.data, nodes, sounds_dir):
        errors.append(error(at(finding.path, finding.at_key), _dotted(finding.path),
                            finding.message, finding.severity))
    errors.sort(key=lambda e: (e.line, e.column))
    if any(not e.is_warning for e in errors):
        return errors, None
    settings = {**flow_defaults(), **doc.data}
    flow = Flow(
        name=settings["name"], start=settings["start"], nodes=nodes,
        vars=dict(settings.get("vars") or {}), language=settings["language"],
        voice=settings["voice"], fallback=settings["fallback"], max_steps=settings["max_steps"],
        description=settings.get("description", ""), path=path, sounds_dir=sounds_dir,
        warnings=errors,
    )  # fmt: skip
    return errors, flow


def _build_nodes(doc: MarkedDocument) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for node_id, raw in doc.data["nodes"].items():
        mark = doc.mark(("nodes", node_id), key=True)
        nodes[node_id] = Node.from_yaml(node_id, raw, mark.line, mark.column)
    return nodes


def load_flow(path: str | os.PathLike[str], sounds_dir: str | os.PathLike[str] | None = None) -> Flow:
    """Load one flow file, or raise `InvalidFlow` listing every error (file:line:col: ...)."""
    sounds = Path(sounds_dir) if sounds_dir is not None else default_sounds_dir()
    errors, flow = _analyse(Path(path), sounds)
    if flow is None:
        raise InvalidFlow([e for e in errors if not e.is_warning])
    for warning in flow.warnings:
        log.warning("ivr flow %s", warning)
    return flow


def validate_files(
    paths: Iterable[str | os.PathLike[str]], sounds_dir: str | os.PathLike[str] | None = None
) -> list[FlowError]:
    """Errors and warnings of every file (empty when all are clean); never raises for bad flows."""
    sounds = Path(sounds_dir) if sounds_dir is not None else default_sounds_dir()
    found: list[FlowError] = []
    for path in paths:
        found += _analyse(Path(path), sounds)[0]
    return found


def flow_summary(flow: Flow) -> dict[str, Any]:
    """A small description of a flow for listings (name, start, node count by type)."""
    counts: dict[str, int] = {}
    for node in flow.nodes.values():
        counts[node.type] = counts.get(node.type, 0) + 1
    return {"name": flow.name, "start": flow.start, "nodes": len(flow.nodes), "types": counts}
