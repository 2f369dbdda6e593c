"""`python -m simswitch`: starts fast, prints the ready line, validates its input."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simswitch", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_prints_ready_line_and_serves_esl() -> None:
    proc = _spawn("--port", "0", "--password", "pw",
                  "--scenario", str(ROOT / "simswitch" / "example_scenario.yaml"))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("simswitch listening on 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"auth pw\n\napi version\n\n")
            data = b""
            while b"Content-Length: 45\n\n" not in data or not data.endswith(b"64bit)\n"):
                chunk = sock.recv(4096)
                assert chunk
                data += chunk
        assert b"Reply-Text: +OK accepted" in data
        assert data.endswith(b"FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_rejects_a_bad_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("customers:\n  - prefix: '1'\n    busy: 7\n", encoding="utf-8")
    proc = _spawn("--port", "0", "--scenario", str(bad))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "customers[0].busy" in err


def test_cli_rejects_a_bad_outbound_address() -> None:
    proc = _spawn("--port", "0", "--outbound", "nowhere")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "expected HOST:PORT" in err
