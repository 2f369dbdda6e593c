"""A flow as a graph, in Graphviz DOT or Mermaid text."""

from __future__ import annotations

import re

from engine.ivr.flow import Flow, Node

_SHAPES_DOT = {
    "menu": "diamond", "branch": "diamond", "time": "diamond", "survey": "diamond",
    "collect": "parallelogram", "hangup": "doublecircle", "transfer": "box3d",
    "queue": "box3d", "voicemail": "box3d",
}  # fmt: skip


def _caption(node: Node) -> str:
    detail = ""
    if node.type == "play":
        detail = node.get("file") or node.get("tone") or ""
    elif node.type in ("transfer",):
        detail = f"{node.get('to')} {node.get('target')}"
    elif node.type == "queue":
        detail = str(node.get("queue"))
    elif node.type == "survey":
        detail = str(node.get("question"))
    elif node.type == "hangup":
        detail = str(node.get("cause"))
    return f"{node.id}\\n{node.type}" + (f": {detail}" if detail else "")


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n") + '"'


def _to_dot(flow: Flow) -> str:
    lines = [f"digraph {_dot_quote(flow.name)} {{", "  rankdir=LR;", "  node [shape=box];",
             '  "__start__" [shape=point];', f"  \"__start__\" -> {_dot_quote(flow.start)};"]
    for node in flow.nodes.values():
        shape = _SHAPES_DOT.get(node.type, "box")
        lines.append(f"  {_dot_quote(node.id)} [label={_dot_quote(_caption(node))}, shape={shape}];")
    for node in flow.nodes.values():
        for edge in node.edges():
            lines.append(f"  {_dot_quote(node.id)} -> {_dot_quote(edge.target)} "
                         f"[label={_dot_quote(edge.label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(node_id: str) -> str:
    # Mermaid ids cannot contain '-' safely and some words (end) are reserved.
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\\n", "<br/>").replace("|", "#124;")


def _to_mermaid(flow: Flow) -> str:
    lines = ["flowchart LR", f"  start_(( )) --> {_mermaid_id(flow.start)}"]
    for node in flow.nodes.values():
        caption = _mermaid_text(_caption(node))
        if node.type in ("menu", "branch", "time", "survey"):
            lines.append(f'  {_mermaid_id(node.id)}{{"{caption}"}}')
        else:
            lines.append(f'  {_mermaid_id(node.id)}["{caption}"]')
    for node in flow.nodes.values():
        for edge in node.edges():
            lines.append(f'  {_mermaid_id(node.id)} -->|"{_mermaid_text(edge.label)}"| '
                         f"{_mermaid_id(edge.target)}")
    return "\n".join(lines) + "\n"


def to_graph(flow: Flow, fmt: str = "dot") -> str:
    """Render `flow` as Graphviz DOT (``fmt="dot"``) or a Mermaid flowchart (``"mermaid"``)."""
    if fmt == "dot":
        return _to_dot(flow)
    if fmt == "mermaid":
        return _to_mermaid(flow)
    raise ValueError(f"unknown graph format {fmt!r} (use 'dot' or 'mermaid')")
