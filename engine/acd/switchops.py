"""The FreeSWITCH commands the call core sends, each exactly as real FreeSWITCH accepts it.

A customer channel that arrived over the outbound socket is driven through that socket
(``sendmsg`` execute with event-lock); every other channel through the inbound connection
of its node (``sendmsg <uuid>``, ``api uuid_*``, ``bgapi originate``).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from engine.calls import Call
from engine.esl import commands
from engine.esl.errors import ESLDisconnected, ESLError, ESLNotSent
from engine.unconfirmed import UnconfirmedOriginates

log = logging.getLogger(__name__)

COMMAND_SECONDS = 5.0  # the switch answers a bgapi at once; silence this long means it hangs

# Hangup causes of a failed agent leg -> how the offer ended (see engine.agents OFFER_OUTCOMES).
OFFER_OUTCOME_BY_CAUSE = {
    "NO_ANSWER": "no_answer", "NO_USER_RESPONSE": "no_answer", "ALLOTTED_TIMEOUT": "no_answer",
    "ORIGINATOR_CANCEL": "cancelled", "LOSE_RACE": "cancelled", "NORMAL_CLEARING": "cancelled",
    "USER_BUSY": "busy", "CALL_REJECTED": "rejected", "USER_NOT_REGISTERED": "unregistered",
    "SUBSCRIBER_ABSENT": "unregistered", "DESTINATION_OUT_OF_ORDER": "unregistered",
}


def offer_outcome(cause: str) -> str:
    return OFFER_OUTCOME_BY_CAUSE.get(cause.strip().upper(), "failed")


def job_failure_cause(body: str) -> str | None:
    """The hangup cause of a failed ``bgapi originate`` (``-ERR USER_BUSY``), None on ``+OK``."""
    if body.startswith("+OK"):
        return None
    words = body[4:].split() if body.startswith("-ERR") else []
    return words[0] if words else "FAILURE"


class SwitchOps:
    """Sends commands for calls; ``nodes`` maps node name to its InboundConnection."""

    def __init__(self, nodes: Mapping[str, Any], sockets: Mapping[str, Any]) -> None:
        self.nodes = nodes
        self.sockets = sockets
        self.unconfirmed = UnconfirmedOriginates(self.api, self.up)

    def not_confirmed(self, node: str, origination_uuid: str) -> None:
        """An originate whose job never came: kill it now, or once its node is back."""
        try:
            name = str(self.node(node).name)
        except ESLError:
            return
        self.unconfirmed.add(name, origination_uuid)

    def up(self, name: str = "") -> bool:
        """Whether the node (``""``: the one calls go to) is connected and answering."""
        try:
            return bool(self.node(name).alive)
        except ESLError:
            return False

    def node(self, name: str = "") -> Any:
        if name and name in self.nodes:
            return self.nodes[name]
        if not self.nodes:
            raise ESLError("no FreeSWITCH node connected")
        return next(iter(self.nodes.values()))

    def execute(self, call: Call, app: str, arg: str | None = None) -> Any:
        """Queue ``app`` on the channel; returns a result resolving at EXECUTE_COMPLETE when
        the channel has an outbound socket, else None."""
        socket = self.sockets.get(call.uuid)
        if socket is not None and not socket.hungup:
            return socket.execute_async(app, arg)
        self.node(call.node).checked(commands.execute(app, arg, uuid=call.uuid, event_lock=True))
        return None

    def api(self, call_or_node: Call | str, command: str) -> str:
        node = call_or_node.node if isinstance(call_or_node, Call) else call_or_node
        reply: str = self.node(node).api(command)
        if reply.startswith("-ERR"):
            # Routine: a channel that ended before the command reached the switch, and
            # mod_event_socket's "-ERR no reply" for APIs that succeed silently (uuid_break).
            routine = "No such channel" in reply or reply.startswith("-ERR no reply")
            level = logging.DEBUG if routine else logging.WARNING
            log.log(level, "api %s -> %s", command.split(" ", 1)[0], reply.strip())
        return reply

    def originate(self, node: str, endpoint: str, app: str, *, origination_uuid: str, variables: Mapping[str, object]) -> Any:
        """``bgapi originate {vars,origination_uuid=...}endpoint app``; returns the JobFuture.

        ESLNotSent: the switch never got it (no call). A command sent but not confirmed (no
        reply, or the node dropped before the job answered) is killed once the node is back
        (:class:`engine.unconfirmed.UnconfirmedOriginates`)."""
        command = commands.originate(endpoint, app, global_vars=variables, origination_uuid=origination_uuid)
        connection = self.node(node)
        try:
            job = connection.bgapi(command, timeout=COMMAND_SECONDS)
        except ESLNotSent:
            raise
        except (ESLDisconnected, TimeoutError):
            self.unconfirmed.add(connection.name, origination_uuid)
            raise
        self.unconfirmed.watch(connection.name, origination_uuid, job)
        return job

    def kill(self, call: Call, cause: str = "NORMAL_CLEARING") -> None:
        try:
            self.api(call, commands.uuid_kill(call.uuid, cause))
        except (ESLError, TimeoutError) as exc:
            log.warning("uuid_kill failed call_uuid=%s: %s", call.uuid, exc)

    def bridge(self, a: Call, b: Call) -> bool:
        return self.api(a, commands.uuid_bridge(a.uuid, b.uuid)).startswith("+OK")

    def stop_media(self, call: Call) -> None:
        """Stop MOH or a prompt so the next queued application runs."""
        self.api(call, commands.uuid_break(call.uuid, all_=True))

    def broadcast(self, call: Call, path: str) -> None:
        self.api(call, commands.uuid_broadcast(call.uuid, path, "aleg"))

    def set_var(self, call: Call, name: str, value: str) -> None:
        self.api(call, commands.uuid_setvar(call.uuid, name, value))

    def hold(self, call: Call, on: bool) -> bool:
        command = f"uuid_hold {call.uuid}" if on else f"uuid_hold off {call.uuid}"
        return self.api(call, command).startswith("+OK")

    def send_dtmf(self, call: Call, digits: str) -> bool:
        return self.api(call, f"uuid_send_dtmf {call.uuid} {digits}").startswith("+OK")
