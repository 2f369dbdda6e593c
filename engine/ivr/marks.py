"""YAML loading that remembers where every value came from.

PyYAML's composer gives nodes with start marks; we build plain Python data from those nodes
ourselves so that every value (and every mapping key) keeps its 1-based line and column,
addressed by its path from the document root, e.g. ``("nodes", "sales", "next")``.
Duplicate mapping keys, which PyYAML silently accepts, are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    """A 1-based position in a source file."""

    line: int
    column: int


@dataclass
class MarkedDocument:
    """Plain data plus the position of each value and each mapping key, by path."""

    data: Any
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)
    duplicates: list[tuple[Path, Mark]] = field(default_factory=list)

    def mark(self, path: Path, *, key: bool = False) -> Mark:
        """Position of `path` (its key if `key`), else of the nearest enclosing value."""
        if key and path in self.keys:
            return self.keys[path]
        probe = tuple(path)
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Mark(1, 1))


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; carries the position PyYAML reported."""

    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"


def _to_mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def load_marked(text: str) -> MarkedDocument:
    """Parse one YAML document into plain data with marks (safe tags only)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlSyntaxError(f"invalid YAML: {exc.problem or exc}", where) from exc
    finally:
        loader.dispose()
    doc = MarkedDocument(data=None)
    if root is None:
        return doc
    doc.data = _build(root, (), doc, loader)
    return doc


def _build(node: yaml.Node, path: Path, doc: MarkedDocument, loader: yaml.SafeLoader) -> Any:
    doc.values[path] = _to_mark(node)
    if node.tag not in _PLAIN_TAGS:
        raise YamlSyntaxError(f"invalid YAML: unsupported tag {node.tag!r}", _to_mark(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSyntaxError("YAML merge keys (<<) are not supported", _to_mark(key_node))
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlSyntaxError("mapping keys must be plain scalars", _to_mark(key_node))
            # Keys as written: YAML 1.1 would read `01` as 1 and `yes` as True, but flows
            # address DTMF keys and node ids as text.
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                doc.duplicates.append((child, _to_mark(key_node)))
            doc.keys[child] = _to_mark(key_node)
            result[key] = _build(value_node, child, doc, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, loader) for i, item in enumerate(node.value)]
    if (
        node.tag == _TIMESTAMP
        or (node.tag == _INT and ":" in str(node.value))
        or (node.tag == _BOOL and str(node.value).lower() not in ("true", "false"))
    ):
        # `2026-12-25`, `18:00` (YAML 1.1 base-60!) and `Yes`/`No`/`on` (YAML 1.1 booleans,
        # common as survey labels) stay the text the author wrote, as in YAML 1.2.
        return str(node.value)
    return loader.construct_object(node, deep=True)
