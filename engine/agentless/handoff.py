"""Handing an answered agentless call to the engine's ACD queue (press 1, timeout-to-agent).

The call's outbound socket is adopted by the Engine the way an inbound call's is
(``Engine.adopt_socket``), so the queue's commands (answer, MOH, bridge) travel over it, and the
call becomes a ``customer`` call: a hangup while waiting counts as the queue's abandon.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from engine.clock import utc_datetime
from engine.esl.outbound import OutboundCall

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger(__name__)


class EngineQueueHandoff:
    """:class:`engine.agentless.call.QueueHandoff` over the live Engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def enqueue(self, socket: OutboundCall, queue: str) -> bool:
        engine = self.engine
        call = engine.adopt_socket(socket)
        call.role = "customer"
        if not engine.flow.enqueue(call, queue):
            engine.release_socket(call.uuid)
            log.warning("queue %s refused call_uuid=%s", queue, call.uuid)
            return False
        return True

    def done(self, socket: OutboundCall) -> None:
        self.engine.release_socket(socket.uuid or "")

    def agent_for(self, call_uuid: str) -> tuple[int, dt.datetime] | None:
        call = self.engine.calls.get(call_uuid)
        if call is None or call.agent_id is None or call.bridged_at is None:
            return None
        return call.agent_id, utc_datetime(call.bridged_at)
