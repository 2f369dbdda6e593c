"""Helpers over the real FreeSWITCH transcripts in tests/fixtures/esl (shared by ESL tests)."""

from __future__ import annotations

import base64
import json
import pathlib

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "esl"
SCENARIOS = sorted(path.name[: -len(".recv.bin")] for path in FIXTURES.glob("*.recv.bin"))


def recv_bytes(scenario: str) -> bytes:
    """Every byte FreeSWITCH sent in `scenario`, in order."""
    return (FIXTURES / f"{scenario}.recv.bin").read_bytes()


def sent_bytes(scenario: str) -> bytes:
    """Every byte the capturing client sent in `scenario`, in order."""
    return (FIXTURES / f"{scenario}.sent.bin").read_bytes()


def recv_chunks(scenario: str) -> list[bytes]:
    """The recv() chunks exactly as the kernel delivered them during the capture."""
    chunks = []
    lines = (FIXTURES / f"{scenario}.jsonl").read_text().splitlines()
    for line in lines[1:]:
        record = json.loads(line)
        if record["dir"] == "recv":
            chunks.append(base64.b64decode(record["b64"]))
    return chunks


def sent_commands(scenario: str) -> list[bytes]:
    """Split the client's bytes into commands as FreeSWITCH reads them (§2.3).

    A command runs to the first blank line; a `Content-Length` header (any case) adds that
    many body bytes. Each item is the complete command including its terminator and body.
    """
    data = sent_bytes(scenario)
    commands = []
    pos = 0
    while pos < len(data):
        end = data.index(b"\n\n", pos) + 2
        length = 0
        for line in data[pos:end].split(b"\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        commands.append(data[pos : end + length])
        pos = end + length
    return commands
