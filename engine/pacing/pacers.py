"""The simple pacers: preview, progressive and power dialing."""

from __future__ import annotations

import math

from engine.pacing.base import Pacer, PacingError, PacingSnapshot, progressive_lines


class PreviewPacer(Pacer):
    """Preview dialing: the agent reads the lead and dials by hand; the pacer never dials."""

    mode = "preview"

    def decide(self, snapshot: PacingSnapshot) -> int:
        return 0


class ProgressivePacer(Pacer):
    """One line per free agent not already covered by a ringing call.

    ``n = max(0, ready - waiting - ringing)``: an answer can never find every agent busy,
    so progressive dialing never abandons (with zero reaction time), at the price of agents
    idling through every unanswered ring.
    """

    mode = "progressive"

    def decide(self, snapshot: PacingSnapshot) -> int:
        return progressive_lines(snapshot)


class PowerPacer(Pacer):
    """Power dialing: a fixed number of lines per idle agent.

    Give either ``ratio`` (1 to 9 lines per idle agent) or ``percent`` (100 to 300, i.e.
    1.0 to 3.0 lines per idle agent). Calls ringing count against the target:
    ``n = max(0, round(ratio * (ready - waiting)) - ringing)``.
    """

    mode = "power"

    def __init__(self, ratio: float | None = None, percent: float | None = None) -> None:
        if (ratio is None) == (percent is None):
            raise PacingError("ratio", "give exactly one of ratio (1-9) or percent (100-300)")
        if ratio is not None:
            if not (math.isfinite(ratio) and 1 <= ratio <= 9):
                raise PacingError("ratio", f"must be between 1 and 9, got {ratio}")
            self.ratio = float(ratio)
        else:
            assert percent is not None
            if not (math.isfinite(percent) and 100 <= percent <= 300):
                raise PacingError("percent", f"must be between 100 and 300, got {percent}")
            self.ratio = float(percent) / 100.0

    def decide(self, snapshot: PacingSnapshot) -> int:
        idle = max(0, snapshot.agents_ready - snapshot.calls_waiting)
        wanted = int(round(self.ratio * idle)) - int(snapshot.calls_ringing.size)
        return max(0, min(wanted, snapshot.line_headroom()))

    def describe(self) -> dict[str, float]:
        return {"ratio": self.ratio}
