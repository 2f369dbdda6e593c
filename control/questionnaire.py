"""The campaign's questionnaire: questions the agent answers on the screen pop.

Kept in ``Campaign.settings["questionnaire"]`` as a list of
``{"key": "interest", "label": "Interested?", "options": ["yes", "no"], "required": true}``
(``options`` omitted: free text). Answers are stored with the disposition.
"""
from __future__ import annotations

import re
from typing import Any

from control.forms import FieldError

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS = 50
MAX_ANSWER = 500


def check_questionnaire(settings: Any) -> None:
    """Raise FieldError("settings", ...) naming the bad question; nothing when absent."""
    items = (settings or {}).get("questionnaire") if isinstance(settings, dict) else None
    if items is None:
        return
    if not isinstance(items, list) or len(items) > MAX_QUESTIONS:
        raise FieldError("settings", f"questionnaire must be a list of at most {MAX_QUESTIONS} questions")
    seen = set()
    for i, item in enumerate(items):
        where = f"questionnaire[{i}]"
        if not isinstance(item, dict):
            raise FieldError("settings", f"{where}: must be an object with key and label")
        unknown = set(item) - {"key", "label", "options", "required"}
        if unknown:
            raise FieldError("settings", f"{where}: unknown field {sorted(unknown)[0]!r}")
        key = item.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            raise FieldError("settings", f"{where}.key: use a-z, 0-9 and _ (starting with a letter), at most 40")
        if key in seen:
            raise FieldError("settings", f"{where}.key: {key!r} is used twice")
        seen.add(key)
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            raise FieldError("settings", f"{where}.label: is required")
        options = item.get("options")
        if options is not None and (not isinstance(options, list) or not options
                                    or not all(isinstance(o, str) and o for o in options)):
            raise FieldError("settings", f"{where}.options: must be a non-empty list of texts")


def questions(settings: Any) -> list[dict[str, Any]]:
    """The questionnaire as stored (already checked on save)."""
    items = (settings or {}).get("questionnaire") if isinstance(settings, dict) else None
    return [q for q in items or [] if isinstance(q, dict) and "key" in q]


def clean_answers(settings: Any, answers: Any) -> dict[str, str]:
    """Answers checked against the questionnaire: known keys, allowed options, required ones given."""
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise FieldError("answers", "must be an object of question key -> answer")
    asked = {q["key"]: q for q in questions(settings)}
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        if key not in asked:
            raise FieldError(f"answers.{key}", "is not a question of this campaign")
        text = str(value).strip() if value is not None else ""
        if len(text) > MAX_ANSWER:
            raise FieldError(f"answers.{key}", f"must be at most {MAX_ANSWER} characters")
        options = asked[key].get("options")
        if text and options and text not in options:
            raise FieldError(f"answers.{key}", f"must be one of {', '.join(options)}")
        if text:
            cleaned[key] = text
    for key, question in asked.items():
        if question.get("required") and key not in cleaned:
            raise FieldError(f"answers.{key}", "is required")
    return cleaned
