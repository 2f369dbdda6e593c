"""Errors raised by the campaign package; each names the field (or row) at fault."""
from __future__ import annotations

from collections.abc import Iterable


class CampaignError(ValueError):
    """One invalid field of a campaign (or a contact); ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class CampaignValidationError(ValueError):
    """Several field errors found in one pass, so a form can show them all at once."""

    def __init__(self, errors: Iterable[CampaignError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    def as_dict(self) -> dict[str, str]:
        """``{field: message}`` for JSON bodies and form re-rendering (first error per field)."""
        out: dict[str, str] = {}
        for error in self.errors:
            out.setdefault(error.field, error.message)
        return out


class LifecycleError(ValueError):
    """A status change that is not allowed now; the message says why."""

    def __init__(self, current: str, target: str, reason: str) -> None:
        super().__init__(f"status: cannot go from {current} to {target}: {reason}")
        self.current = current
        self.target = target
        self.reason = reason
