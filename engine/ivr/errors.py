"""Flow errors that name the file, line, column and field."""

from __future__ import annotations


class FlowError(Exception):
    """One problem in a flow file, printed as ``menu.yaml:14:7: node 'sales': unknown target 'salse'``.

    `field` is the dotted path of the offending value (``nodes.sales.choices.2``); `severity`
    is ``"error"`` (the flow does not load) or ``"warning"`` (it loads; worth a look).
    """

    def __init__(
        self,
        file: str,
        line: int,
        column: int,
        field: str,
        message: str,
        severity: str = "error",
    ) -> None:
        super().__init__(file, line, column, field, message)
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        self.severity = severity

    @property
    def is_warning(self) -> bool:
        """True for problems that do not stop the flow from loading."""
        return self.severity == "warning"

    def __str__(self) -> str:
        prefix = "warning: " if self.is_warning else ""
        return f"{self.file}:{self.line}:{self.column}: {prefix}{self.message}"

    def __repr__(self) -> str:
        return (
            f"FlowError({self.file!r}, {self.line}, {self.column}, {self.field!r}, "
            f"{self.message!r}, severity={self.severity!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FlowError) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


class InvalidFlow(FlowError):
    """Raised by `load_flow` when a file has errors; `errors` holds all of them (first one
    also fills this exception's own file/line/column/field/message)."""

    def __init__(self, errors: list[FlowError]) -> None:
        if not errors:
            raise ValueError("InvalidFlow needs at least one error")
        first = errors[0]
        super().__init__(first.file, first.line, first.column, first.field, first.message)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class FlowAborted(Exception):
    """At run time, the flow cannot go on (no TTS renderer, refused transfer without
    on_failure); the interpreter plays the fallback and hangs up."""


class StepLimit(FlowAborted):
    """The flow ran `max_steps` steps: almost certainly a loop."""
