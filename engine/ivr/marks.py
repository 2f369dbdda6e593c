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


MAX_VALUES = 100_000  # aliases can make a small file expand enormously ("billion laughs")
MAX_DEPTH = 50


def load_marked(text: str) -> MarkedDocument:
    """Parse one YAML document into plain data with marks (safe tags only)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlSyntaxError(f"invalid YAML: {exc.problem or exc}", where) from exc
    except RecursionError as exc:
        raise YamlSyntaxError("invalid YAML: nested too deeply", Mark(1, 1)) from exc
    finally:
        loader.dispose()
    doc = MarkedDocument(data=None)
    if root is not None:
        doc.data = _Builder(doc, loader).build(root, ())
    return doc


class _Builder:
    """Turns composed nodes into plain data, recording marks; refuses what flows never need."""

    def __init__(self, doc: MarkedDocument, loader: yaml.SafeLoader) -> None:
        self.doc = doc
        self.loader = loader
        self.count = 0
        self.open_nodes: list[yaml.Node] = []  # ancestors, to catch recursive aliases

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise YamlSyntaxError(f"invalid YAML: more than {MAX_VALUES} values (alias expansion?)",
                                  _to_mark(node))
        if len(self.open_nodes) > MAX_DEPTH or any(node is open_ for open_ in self.open_nodes):
            raise YamlSyntaxError("invalid YAML: nested too deeply or a recursive alias",
                                  _to_mark(node))
        self.doc.values[path] = _to_mark(node)
        if node.tag not in _PLAIN_TAGS:
            raise YamlSyntaxError(f"invalid YAML: unsupported tag {node.tag!r}", _to_mark(node))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            self.open_nodes.append(node)
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            finally:
                self.open_nodes.pop()
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
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
                self.doc.duplicates.append((child, _to_mark(key_node)))
            self.doc.keys[child] = _to_mark(key_node)
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if (
            node.tag == _TIMESTAMP
            or (node.tag == _INT and ":" in str(node.value))
            or (node.tag == _BOOL and str(node.value).lower() not in ("true", "false"))
        ):
            # `2026-12-25`, `18:00` (YAML 1.1 base-60!) and `Yes`/`No`/`on` (YAML 1.1
            # booleans, common as survey labels) stay the text the author wrote, as in YAML 1.2.
            return str(node.value)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise YamlSyntaxError(f"invalid YAML: {exc.problem or exc}", _to_mark(node)) from exc
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # e.g. `!!float abc`: PyYAML's constructors raise plain errors for bad values.
            raise YamlSyntaxError(f"invalid YAML: bad {node.tag.rsplit(':', 1)[-1]} value "
                                  f"{node.value!r}", _to_mark(node)) from exc
