"""Between one campaign's dialer and its pacer: outcomes in, decisions and estimates out.

:class:`PacingFeed` turns the dialer's call events into the pacer's
:class:`engine.pacing.CallOutcome` records, following the pacer's contract: an answered
human is reported twice, ``phase="ring"`` as soon as it is known to be a human (so the
answer rate and ring-to-answer estimates do not wait for the talk), then ``phase="done"``
once talk *and* wrap-up are known; unanswered calls and machines are reported once. The
wrap-up ends when the agent is ready again (:meth:`PacingFeed.agents_ready`), when the
campaign reserves the agent for its next call, or, for an agent who went on break or to
another campaign, after :data:`WRAP_GIVE_UP_SECONDS` (reported without a wrap time).

It also keeps the last pacing decision and builds :meth:`PacingFeed.status`, the dict the
engine's ``campaign_pacing``, ``/metrics`` and the campaign page show. Times are epoch
seconds (:func:`engine.campaigns.live.seconds`).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.campaigns.live import LiveCall, seconds
from engine.campaigns.outcomes import AbandonRates
from engine.pacing.base import CallOutcome, Pacer, PacingError, PacingSnapshot
from engine.pacing.estimators import AnswerRateEstimator, DurationEstimator

log = logging.getLogger(__name__)

WRAP_GIVE_UP_SECONDS = 600.0
SETTLE_EXTRA_SECONDS = 10.0  # the predictive pacer counts launches older than ring timeout + this


@dataclass
class _Wrapping:
    """A connected call that ended; its done report waits for the agent's wrap-up to end."""

    hung_up_at: float
    ring_seconds: float
    talk_seconds: float | None


class PacingFeed:
    """Feeds one campaign's pacer and remembers its last decision; see the module docstring."""

    def __init__(self, pacer: Pacer | None) -> None:
        self.pacer = pacer
        self.last_decision: dict[str, Any] | None = None
        self.observed = {"human": 0, "unanswered": 0, "machine": 0, "abandoned": 0, "talk": 0, "wrap": 0}
        self._wrapping: dict[int, _Wrapping] = {}

    # ----- decisions --------------------------------------------------------------------
    def decided(self, snapshot: PacingSnapshot, lines: int) -> None:
        """Remember what the pacer saw and answered (``lines``: after the campaign's caps)."""
        numbers = self.pacer.describe() if self.pacer is not None else {}
        self.last_decision = {
            "at": snapshot.now, "lines": int(lines), "launched": 0, "agents_ready": snapshot.agents_ready,
            "agents_logged_in": snapshot.agents_logged_in, "agents_in_call": int(snapshot.agents_in_call.size),
            "agents_wrap_up": int(snapshot.agents_wrap_up.size), "calls_ringing": int(snapshot.calls_ringing.size),
            "calls_waiting": snapshot.calls_waiting, "calls_in_progress": snapshot.calls_in_progress,
            "pacer": {k: float(v) for k, v in numbers.items()},
        }

    def launched(self, count: int) -> None:
        if self.last_decision is not None:
            self.last_decision["launched"] = int(count)

    # ----- outcomes ---------------------------------------------------------------------
    def _observe(self, outcome: CallOutcome) -> None:
        if self.pacer is None:
            return
        try:
            self.pacer.observe(outcome)
        except PacingError as exc:  # a record the pacer refuses must not lose the call's hangup
            log.error("pacer refused an outcome %s: %s", outcome, exc)

    def human(self, call: LiveCall) -> None:
        """The call's answer is a human's: report its ring phase now (once per call)."""
        if call.ring_reported or call.answered_at is None:
            return
        call.ring_reported = True
        self.observed["human"] += 1
        ring = max(0.0, (call.answered_at - call.launched_at).total_seconds())
        self._observe(CallOutcome(at=seconds(call.answered_at), answered=True, ring_seconds=ring, phase="ring"))

    def ended(self, call: LiveCall, outcome: str, at: float, ring_seconds: float) -> None:
        """The call hung up with ``outcome``; a connected call's report waits for the wrap-up."""
        ring_seconds = max(0.0, ring_seconds)
        human = call.answered_at is not None and outcome != "machine"
        if not human:
            self.observed["machine" if outcome == "machine" else "unanswered"] += 1
            self._observe(CallOutcome(at=at, answered=False, ring_seconds=ring_seconds, machine=outcome == "machine"))
            return
        self.human(call)
        abandoned = call.abandoned
        self.observed["abandoned"] += int(abandoned)
        if call.connected_at is None or call.agent_id is None or self.pacer is None:
            self._observe(CallOutcome(at=at, answered=True, ring_seconds=ring_seconds, abandoned=abandoned))
            return
        talk = max(0.0, at - seconds(call.connected_at))
        previous = self._wrapping.pop(call.agent_id, None)
        if previous is not None:  # the agent's last wrap-up ended unseen before this call
            self._done(previous, None)
        self._wrapping[call.agent_id] = _Wrapping(at, ring_seconds, talk)

    def _done(self, pending: _Wrapping, wrap_seconds: float | None) -> None:
        self.observed["talk"] += int(pending.talk_seconds is not None)
        self.observed["wrap"] += int(wrap_seconds is not None)
        self._observe(CallOutcome(at=pending.hung_up_at + (wrap_seconds or 0.0), answered=True,
                                  ring_seconds=pending.ring_seconds, talk_seconds=pending.talk_seconds,
                                  wrap_seconds=wrap_seconds))

    def wrapping(self) -> bool:
        return bool(self._wrapping)

    def agents_ready(self, agent_ids: Iterable[int], now: float) -> None:
        """These agents are free again (ready, or reserved for a new call): their wrap-up is over."""
        for agent_id in agent_ids:
            pending = self._wrapping.pop(agent_id, None)
            if pending is not None:
                self._done(pending, max(0.0, now - pending.hung_up_at))
        for agent_id, pending in list(self._wrapping.items()):
            if now - pending.hung_up_at > WRAP_GIVE_UP_SECONDS:  # on break or elsewhere: no wrap time
                del self._wrapping[agent_id]
                self._done(pending, None)

    # ----- status -----------------------------------------------------------------------
    def estimates(self, now: float, ring_timeout: float) -> dict[str, Any]:
        """The pacer's current estimates (predictive pacers only; ``{}`` otherwise)."""
        pacer = self.pacer
        answer = getattr(pacer, "answer_rate", None)
        durations = {name: getattr(pacer, attr, None) for name, attr in
                     (("ring_to_answer", "ring_to_answer"), ("talk", "talk"), ("wrap", "wrap"))}
        if not isinstance(answer, AnswerRateEstimator) or not all(
                isinstance(d, DurationEstimator) for d in durations.values()):
            return {}
        means = {f"mean_{name}_seconds": round(d.mean(now), 2) for name, d in durations.items()
                 if isinstance(d, DurationEstimator)}
        observations = {name: d.observations for name, d in durations.items() if isinstance(d, DurationEstimator)}
        ready = getattr(pacer, "ready", None)
        return {
            "answer_probability": round(answer.estimate(now, settle=ring_timeout + SETTLE_EXTRA_SECONDS), 4),
            **means, "observations": {"answer": answer.observations, **observations},
            "ready": bool(ready()) if callable(ready) else True,
        }

    def status(self, mode: str, now: float, ring_timeout: float, rates: AbandonRates,
               target: float) -> dict[str, Any]:
        """Everything the campaign page and metrics show about this campaign's pacing."""
        return {
            "mode": mode, "pacer": self.pacer.mode if self.pacer is not None else "",
            "decision": dict(self.last_decision) if self.last_decision is not None else None,
            "estimates": self.estimates(now, ring_timeout),
            "observed": dict(self.observed),
            "abandon": {**rates.as_dict(), "target": target},
        }
