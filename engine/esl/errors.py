"""Exceptions raised by the ESL layer."""


class ESLError(Exception):
    """Base class of every ESL-layer error."""


class ESLProtocolError(ESLError):
    """Bytes from the peer do not follow the ESL framing (names the offending field/line)."""


class ESLConnectError(ESLError):
    """The TCP connection could not be made (refused, unreachable, timed out)."""


class ESLAuthError(ESLError):
    """FreeSWITCH answered `-ERR invalid` to `auth` (wrong password)."""


class ESLRejectedError(ESLError):
    """FreeSWITCH sent `text/rude-rejection` (the peer address failed the ACL)."""


class ESLDisconnected(ESLError):
    """The connection went away while a command or job was waiting for its answer."""


class ESLNotSent(ESLDisconnected):
    """The command never left: the socket was down or the send failed (the switch did not get it)."""


class ESLCommandError(ESLError):
    """A command got a `-ERR ...` reply where success was required."""

    def __init__(self, command: str, reply: str) -> None:
        super().__init__(f"{command!r} failed: {reply}")
        self.command = command
        self.reply = reply


class ESLCallGone(ESLDisconnected):
    """The controlled channel hung up (or its socket closed) before the operation finished."""
