"""The loaded flow: nodes with their fields (schema defaults filled in) and where they came from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.ivr.schema import node_defaults


def default_sounds_dir() -> Path:
    """`FSCC_SOUNDS_DIR`, else the project's `sounds/` directory (prompts and the TTS cache)."""
    configured = os.environ.get("FSCC_SOUNDS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "sounds"


# Node types that end the flow (the call leaves the IVR) unless a failure target is taken.
TERMINAL_TYPES = frozenset({"transfer", "queue", "voicemail", "hangup"})
# Node type -> the field that must name where the caller goes next (else: dead end).
CONTINUATION_FIELD = {
    "play": "next", "say": "next", "collect": "next", "survey": "next", "record": "next",
    "webhook": "next", "set": "next", "goto": "next", "menu": "no_input",
}  # fmt: skip


@dataclass(frozen=True)
class Edge:
    """One way out of a node: the label shown on graphs, the target id and the field path."""

    label: str
    target: str
    path: tuple[str | int, ...]


@dataclass(frozen=True)
class SurveyAnswer:
    """One answer to a survey question: the DTMF key, its label, an optional own target."""

    key: str
    label: str
    next: str | None = None


@dataclass
class Node:
    """One node of a flow; `spec` is the YAML mapping with the schema defaults filled in."""

    id: str
    type: str
    spec: dict[str, Any]
    line: int = 0
    column: int = 0

    @classmethod
    def from_yaml(cls, node_id: str, raw: dict[str, Any], line: int = 0, column: int = 0) -> Node:
        """Build a node from its validated mapping."""
        spec = {**node_defaults(raw["type"]), **raw}
        return cls(id=node_id, type=raw["type"], spec=spec, line=line, column=column)

    def get(self, name: str, default: Any = None) -> Any:
        """A field of the node (with schema defaults)."""
        return self.spec.get(name, default)

    def edges(self) -> list[Edge]:
        """Every target this node may send the caller to, in field order."""
        base: tuple[str | int, ...] = ("nodes", self.id)
        found: list[Edge] = []
        for name in ("next", "no_input", "on_failure", "on_error", "holiday", "closed", "default"):
            if isinstance(self.spec.get(name), str):
                found.append(Edge(name, self.spec[name], (*base, name)))
        if self.type == "menu":
            for key, target in self.spec.get("choices", {}).items():
                found.append(Edge(key, target, (*base, "choices", key)))
        elif self.type == "branch":
            for i, condition in enumerate(self.spec.get("conditions", [])):
                label = f"{condition.get('var')} {condition.get('op')} {condition.get('value', '')}"
                found.append(Edge(label.strip(), condition["next"], (*base, "conditions", i, "next")))
        elif self.type == "time":
            for i, schedule in enumerate(self.spec.get("schedules", [])):
                label = f"{','.join(schedule['days'])} {schedule['from']}-{schedule['to']}"
                found.append(Edge(label, schedule["next"], (*base, "schedules", i, "next")))
        elif self.type == "survey" and isinstance(self.spec.get("answers"), list):
            for i, answer in enumerate(self.spec["answers"]):
                if isinstance(answer, dict) and answer.get("next"):
                    found.append(Edge(answer["label"], answer["next"], (*base, "answers", i, "next")))
        return found

    def survey_answers(self) -> list[SurveyAnswer]:
        """The answers of a survey node with their keys: a list counts up from first_key."""
        answers = self.spec.get("answers", [])
        if isinstance(answers, dict):
            return [SurveyAnswer(str(key), label) for key, label in answers.items()]
        result: list[SurveyAnswer] = []
        key = int(self.spec.get("first_key", 1))
        for item in answers:
            if isinstance(item, str):
                result.append(SurveyAnswer(str(key % 10), item))
            else:
                explicit = item.get("key")
                result.append(SurveyAnswer(explicit or str(key % 10), item["label"], item.get("next")))
                key = int(explicit) if explicit and explicit.isdigit() else key
            key += 1
        return result


@dataclass
class Flow:
    """A validated flow, ready for the interpreter."""

    name: str
    start: str
    nodes: dict[str, Node]
    vars: dict[str, Any] = field(default_factory=dict)
    language: str = "en"
    voice: str = "female"
    fallback: Any = "fallback.wav"
    max_steps: int = 500
    description: str = ""
    path: Path | None = None
    sounds_dir: Path | None = None
    warnings: list[Any] = field(default_factory=list)
