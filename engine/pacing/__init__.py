"""engine/pacing: pure pacing maths -- pacers, estimators and a virtual-time simulator.

The dialer needs only::

    from engine.pacing import CallOutcome, PacingSnapshot, make_pacer
"""

from engine.pacing.base import (
    PACER_MODES,
    CallOutcome,
    Pacer,
    PacingError,
    PacingSnapshot,
    make_pacer,
)

__all__ = ["PACER_MODES", "CallOutcome", "Pacer", "PacingError", "PacingSnapshot", "make_pacer"]
