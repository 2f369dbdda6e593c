"""engine/esl: the FreeSWITCH Event Socket layer.

Sans-I/O parser and events (`ESLParser`, `Frame`, `Event`), command builders
(`engine.esl.commands`), and the gevent side: `InboundConnection`, `OutboundServer` /
`OutboundCall`, `NodePool`.
"""

from engine.esl.connection import InboundConnection
from engine.esl.errors import (
    ESLAuthError,
    ESLCallGone,
    ESLCommandError,
    ESLConnectError,
    ESLDisconnected,
    ESLError,
    ESLNotSent,
    ESLProtocolError,
    ESLRejectedError,
)
from engine.esl.event import Event
from engine.esl.outbound import OutboundCall, OutboundServer
from engine.esl.parser import ESLParser, Frame
from engine.esl.pool import NodePool, NodeStatus, parse_status
from engine.esl.session import JobFuture

__all__ = [
    "ESLAuthError", "ESLCallGone", "ESLCommandError", "ESLConnectError", "ESLDisconnected",
    "ESLError", "ESLNotSent", "ESLParser", "ESLProtocolError", "ESLRejectedError", "Event", "Frame",
    "InboundConnection", "JobFuture", "NodePool", "NodeStatus", "OutboundCall",
    "OutboundServer", "parse_status",
]
