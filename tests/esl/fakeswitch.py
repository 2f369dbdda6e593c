"""A scripted FreeSWITCH side that answers with the bytes real FreeSWITCH sent (test helper).

Each transcript is cut into steps: the bytes FreeSWITCH sent before the first command (the
greeting), then for every client command the bytes FreeSWITCH sent until the next command,
and whether it closed the socket there. The fake reads the client's commands, finds the
matching step and writes that step's real bytes. Two things FreeSWITCH itself varies are
mirrored: a `bgapi` Job-UUID or a `sendmsg` Event-UUID chosen by the client is honoured,
by putting it in place of the UUID FreeSWITCH generated in the capture (same length).
Commands with no step get FreeSWITCH's documented reply texts (ESL_PROTOCOL.md §4).
"""

from __future__ import annotations

import base64
import json
import re
import socket
from dataclasses import dataclass, field

import gevent
import gevent.server

from engine.esl.parser import ESLParser
from tests.esl.transcripts import FIXTURES

RUDE_REJECTION = b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"


@dataclass
class Step:
    command: bytes
    reply: bytes
    closes: bool
    used: bool = False


@dataclass
class Script:
    greeting: bytes
    steps: list[Step]
    app_uuids: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def load_script(scenario: str) -> Script:
    """Cut `scenario`'s capture into greeting + (command, reply, closes) steps."""
    lines = (FIXTURES / f"{scenario}.jsonl").read_text().splitlines()[1:]
    greeting = b""
    steps: list[Step] = []
    for line in lines:
        record = json.loads(line)
        data = base64.b64decode(record.get("b64", ""))
        if record["dir"] == "send":
            pending = bytearray(data)
            steps.extend(Step(command, b"", False) for command in _split_commands(pending))
        elif record["dir"] == "recv":
            if steps:
                steps[-1].reply += data
            else:
                greeting += data
        elif steps:
            steps[-1].closes = True
    # The capturing client sometimes sent two commands before reading; real FreeSWITCH
    # answered the first at once, so hand the first reply frame back to the first command.
    for step, following in zip(steps, steps[1:], strict=False):
        if not step.reply and not step.closes:
            cut = _first_reply_end(following.reply)
            step.reply, following.reply = following.reply[:cut], following.reply[cut:]
    script = Script(greeting, steps)
    # Application-UUIDs FreeSWITCH generated, per (app, arg), in execution order.
    all_recv = greeting + b"".join(step.reply for step in steps)
    for frame in ESLParser().feed(all_recv):
        event = frame.event
        if event is not None and event.name == "CHANNEL_EXECUTE_COMPLETE":
            key = (event.get("Application") or "", event.get("Application-Data") or "")
            script.app_uuids.setdefault(key, []).append(event.get("Application-UUID") or "")
    return script


def _first_reply_end(data: bytes) -> int:
    """Offset just past the first command/reply or api/response frame in `data` (0 if none)."""
    pos = 0
    while True:
        end = data.find(b"\n\n", pos)
        if end < 0:
            return 0
        head = data[pos:end]
        match = re.search(rb"(?m)^Content-Length: (\d+)$", head)
        stop = end + 2 + (int(match.group(1)) if match else 0)
        if re.search(rb"(?m)^Content-Type: (command/reply|api/response)$", head):
            return stop
        pos = stop


def _split_commands(buffer: bytearray) -> list[bytes]:
    commands = []
    while True:
        end = buffer.find(b"\n\n")
        if end < 0:
            return commands
        length = 0
        for line in bytes(buffer[:end]).split(b"\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(buffer) < end + 2 + length:
            return commands
        commands.append(bytes(buffer[: end + 2 + length]))
        del buffer[: end + 2 + length]


def _headers(command: bytes) -> dict[str, str]:
    head = command.split(b"\n\n", 1)[0].decode()
    return {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in head.split("\n")[1:])
    }


def _without(command: bytes, names: tuple[str, ...]) -> bytes:
    """The command minus headers FreeSWITCH lets the client choose freely, for matching.

    `sendmsg <uuid>` on an outbound socket is the same as `sendmsg` (the controlled channel).
    """
    head, _, body = command.partition(b"\n\n")
    if head.startswith(b"sendmsg "):
        head = b"sendmsg" + head[head.find(b"\n") :] if b"\n" in head else b"sendmsg"
    kept = [
        line for line in head.split(b"\n")
        if line.split(b":", 1)[0].strip().lower().decode() not in names
    ]
    return b"\n".join(kept) + b"\n\n" + body


class ScriptedPeer:
    """Plays FreeSWITCH's side of one transcript on a connected socket."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.received: list[bytes] = []
        self.rewrites: list[tuple[bytes, bytes]] = []

    def reply_for(self, command: bytes) -> tuple[bytes, bool]:
        first = command.split(b"\n", 1)[0]
        headers = _headers(command)
        wanted = _without(command, ("job-uuid", "event-uuid", "event-lock"))
        for step in self.script.steps:
            if step.used:
                continue
            if _without(step.command, ("job-uuid", "event-uuid", "event-lock")) == wanted:
                step.used = True
                reply = step.reply
                if first.startswith(b"bgapi") and "job-uuid" in headers:
                    match = re.search(rb"Job-UUID: (\S+)", reply)
                    if match:
                        self.rewrites.append((match.group(1), headers["job-uuid"].encode()))
                if first.startswith(b"sendmsg") and "event-uuid" in headers:
                    arg = headers.get("execute-app-arg")
                    if arg is None:
                        arg = command.partition(b"\n\n")[2].decode()
                    key = (headers.get("execute-app-name", ""), arg)
                    generated = self.script.app_uuids.get(key, [])
                    if generated:
                        self.rewrites.append(
                            (generated.pop(0).encode(), headers["event-uuid"].encode())
                        )
                return reply, step.closes
        return self._documented_reply(first), first in (b"exit",)

    @staticmethod
    def _documented_reply(first: bytes) -> bytes:
        words = first.decode().split()
        if words[0] == "event":
            fmt = words[1] if words[1] in ("plain", "json", "xml") else "plain"
            text = f"+OK event listener enabled {fmt}"
        elif words[0] == "filter" and len(words) >= 3 and words[1] != "delete":
            text = f"+OK filter added. [{words[1]}]=[{' '.join(words[2:])}]"
        elif words[0] == "exit":
            return (
                b"Content-Type: command/reply\nReply-Text: +OK bye\n\n"
                b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
                b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
            )
        else:
            text = "-ERR command not found"
        return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()

    def rewrite(self, data: bytes) -> bytes:
        for old, new in self.rewrites:
            data = data.replace(old, new)
        return data

    def serve(self, sock: socket.socket, greet: bool = True) -> None:
        buffer = bytearray()
        if greet and self.script.greeting:
            sock.sendall(self.script.greeting)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                buffer += data
                for command in _split_commands(buffer):
                    self.received.append(command)
                    reply, closes = self.reply_for(command)
                    if reply:
                        sock.sendall(self.rewrite(reply))
                    if closes:
                        return
        except OSError:
            return
        finally:
            sock.close()


class FakeSwitch:
    """A gevent StreamServer on 127.0.0.1 that plays `scenario` to every client."""

    def __init__(self, scenario: str, *, reject: bool = False) -> None:
        self.scenario = scenario
        self.reject = reject
        self.peers: list[ScriptedPeer] = []
        self.sockets: list[socket.socket] = []
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)

    def _handle(self, sock: socket.socket, address: object) -> None:
        self.sockets.append(sock)
        if self.reject:
            sock.sendall(RUDE_REJECTION)
            sock.close()
            return
        peer = ScriptedPeer(load_script(self.scenario))
        self.peers.append(peer)
        peer.serve(sock)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def __enter__(self) -> FakeSwitch:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(timeout=1)

    def kill_clients(self) -> None:
        """Drop every open client socket (simulates FreeSWITCH going away)."""
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
