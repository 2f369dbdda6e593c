"""Browser tests: the app runs as a subprocess (tests/browser/server.py); Playwright drives
Debian's chromium (never a downloaded browser). Run with FSCC_TEST_NO_GEVENT_PATCH=1 (make test)."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORDS = {"admin": "admin-demo", "supervisor": "supervisor-demo", "agent1": "agent1-demo", "auditor": "auditor-demo"}
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """The running server under test."""

    url: str
    control_url: str
    engine: bool
    log: pathlib.Path
    database: pathlib.Path

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Read the server's SQLite store directly (to check what a page stored)."""
        import sqlite3

        with sqlite3.connect(self.database) as db:
            return list(db.execute(sql))

    def inject_call(self, caller: str, did: str = "100") -> str:
        """A simulated customer calls ``did`` (test-only control port); returns the call uuid."""
        query = f"/inject?did={did}&caller={urllib.request.quote(caller)}"
        with urllib.request.urlopen(urllib.request.Request(self.control_url + query, method="POST"), timeout=5) as resp:
            return resp.read().decode()


@pytest.fixture
def server(tmp_path: pathlib.Path) -> Iterator[Server]:
    port, control = _free_port(), _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("FSCC_TEST_NO_GEVENT_PATCH", None)
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.browser.server", "--workdir", str(tmp_path), "--port", str(port),
             "--control-port", str(control)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        if not line.startswith("READY "):
            proc.wait(5)
            pytest.fail(f"server did not start (exit {proc.returncode}):\n{log.read_text()[-3000:]}")
        info = json.loads(line[len("READY "):])
        yield Server(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{control}", info["engine"], log,
                     tmp_path / "fscc.db")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from gevent import monkey

    if monkey.is_module_patched("socket"):
        pytest.skip("browser tests run in their own pytest process: FSCC_TEST_NO_GEVENT_PATCH=1 (make test)")
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def sign_in(browser, server):
    """``sign_in(username)`` -> a new page signed in as that demo user."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport={"width": 1180, "height": 760})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(server.url + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORDS[username])
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"sign-in failed for {username}"
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    """Save a small PNG of the page for the README (docs/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")
