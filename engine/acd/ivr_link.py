"""Runs an IVR flow (engine.ivr) on a customer call routed to ``ivr``; a flow's ``queue``
node hands the caller back to the ACD (with the customer type the flow set, if any)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.calls import Call

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger(__name__)


class IvrLink:
    """``Engine.ivr_runner``: flows from ``dialplans_dir``, run over the call's outbound socket."""

    def __init__(self, engine: Engine) -> None:
        from engine.ivr.registry import FlowRegistry

        self.engine = engine
        self.flows = FlowRegistry(engine.settings.dialplans_dir, sounds_dir=engine.settings.sounds_dir)
        for error in self.flows.reload():
            log.error("IVR flow not loaded: %s", error)

    def __call__(self, engine: Engine, call: Call, flow_name: str) -> None:
        from engine.ivr.esl_channel import EslCallChannel
        from engine.ivr.interpreter import Interpreter

        for error in self.flows.reload(only_changed=True):
            log.error("IVR flow not reloaded: %s", error)
        flow = self.flows.get(flow_name)
        socket = engine.sockets.get(call.uuid)
        if flow is None or socket is None:
            log.error("IVR flow %r cannot run call_uuid=%s (flow loaded: %s, socket: %s)",
                      flow_name, call.uuid, flow is not None, socket is not None)
            engine.switch.execute(call, "hangup", "NORMAL_TEMPORARY_FAILURE")
            return
        channel = EslCallChannel(
            socket,
            dialstrings={"number": engine.external_dial_string("{target}")},
            on_queue=lambda queue: engine.flow.enqueue(call, queue, customer_type=channel.get_var("customer_type") or ""),
        )
        engine.bus.publish("call.ivr", call_uuid=call.uuid, flow=flow_name)
        result = Interpreter(flow, channel, recordings_dir=engine.settings.recordings_dir,
                             variables={"caller_id_number": call.caller_number}).run()
        log.info("IVR flow done call_uuid=%s flow=%s result=%s", call.uuid, flow_name, result)
