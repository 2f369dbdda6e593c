"""End-to-end stack on a real FreeSWITCH: the shared bundle's switch with fscc's rendered config,
`fscc run` as its own process, SIPp agent phones and a SIPp customer cloud.

Set-up follows README's "Running against a real FreeSWITCH" step by step: render the config
with `fscc fs-config render`, load it over the stock config (switch.sh's overlay), include
vars_fscc.xml from vars.xml, give FreeSWITCH the ESL password and directory credentials in its
environment, then start fscc against it. Ports differ from the fidelity switch (8021), so both
can run on one machine.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

REPO = pathlib.Path(__file__).resolve().parents[2]
ESL_PORT = 8041
ESL_PASSWORD = "e2e-esl-secret"
DIRECTORY_USER, DIRECTORY_SECRET = "fscc", "e2e-directory-secret"
SIP_PORT, SIP_EXT_PORT = 5064, 5084
RTP_START, RTP_END = 34000, 35998
WEB_PORT, ENGINE_API_PORT = 18080, 18081
OUTBOUND_PORT, CAMPAIGN_SOCKET_PORT = 18084, 18085
CUSTOMER_PORT = 5090
AGENT_PASSWORD_PREFIX = "e2e-sip-"


def bundle_dir() -> pathlib.Path | None:
    """The FreeSWITCH test bundle (switch.sh, sipp/): FSCC_FREESWITCH_BUNDLE or ../shared/freeswitch."""
    env = os.environ.get("FSCC_FREESWITCH_BUNDLE")
    candidates = [pathlib.Path(env)] if env else [REPO.parent / "shared" / "freeswitch"]
    for path in candidates:
        if (path / "switch.sh").is_file() and (path / "sipp" / "agents.sh").is_file():
            return path
    return None


def why_not_runnable() -> str:
    """Empty when the end-to-end tests can run here, else the reason they are skipped."""
    if not os.environ.get("FSCC_FREESWITCH_ESL"):
        return "FSCC_FREESWITCH_ESL is not set (no real FreeSWITCH in this run)"
    if bundle_dir() is None:
        return "the FreeSWITCH test bundle (switch.sh + sipp/) was not found; set FSCC_FREESWITCH_BUNDLE"
    if shutil.which("sipp") is None:
        return "sipp is not installed"
    return ""


def wait_until(check: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `check()` until it returns a true value; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@dataclass
class Stack:
    """One switch + one fscc process + SIPp peers, all under `root`."""

    root: pathlib.Path
    bundle: pathlib.Path
    fs_prefix: str = field(default_factory=lambda: os.environ.get("FS_PREFIX", "/usr/local/freeswitch"))
    fscc: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    # -- paths and environments ---------------------------------------------------------
    @property
    def config_path(self) -> pathlib.Path:
        return self.root / "fscc.yaml"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'fscc.db'}"

    @property
    def recordings_dir(self) -> pathlib.Path:
        return self.root / "recordings"

    @property
    def fs_run(self) -> pathlib.Path:
        return self.root / "fs"

    def switch_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "FS_PREFIX": self.fs_prefix, "FS_RUN": str(self.fs_run), "ESL_PORT": str(ESL_PORT),
            "ESL_PASSWORD": ESL_PASSWORD, "SIP_PORT": str(SIP_PORT), "SIP_EXT_PORT": str(SIP_EXT_PORT),
            "RTP_START_PORT": str(RTP_START), "RTP_END_PORT": str(RTP_END), "FS_STOP_TIMEOUT": "3",
            "FS_CONF_OVERLAY": str(self.root / "fsconf"),
            "FS_VARS": '<X-PRE-PROCESS cmd="include" data="vars_fscc.xml"/>',
            # What vars_fscc.xml reads from FreeSWITCH's environment (README step 2).
            "FSCC_ESL_PASSWORD": ESL_PASSWORD,
            "FSCC_DIRECTORY_CREDENTIALS": f"{DIRECTORY_USER}:{DIRECTORY_SECRET}",
            "REALFS_RUN": str(self.root / "sipp"), "CUSTOMER_PORT": str(CUSTOMER_PORT),
        })
        env.pop("FSCC_FREESWITCH_ESL", None)
        return env

    def fscc_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FSCC_")}
        env["FSCC_TEST_NO_GEVENT_PATCH"] = "1"
        return env

    # -- set-up ------------------------------------------------------------------------
    def write_settings(self, extra: dict[str, Any] | None = None) -> None:
        settings = {
            "database_url": self.database_url, "log_level": "INFO",
            "web_host": "127.0.0.1", "web_port": WEB_PORT, "engine_api_port": ENGINE_API_PORT,
            "secret_key": "e2e-secret-key",
            "esl_nodes": [{"name": "fs1", "host": "127.0.0.1", "port": ESL_PORT, "password": ESL_PASSWORD}],
            "outbound_host": "127.0.0.1", "outbound_port": OUTBOUND_PORT,
            "campaign_socket_host": "127.0.0.1", "campaign_socket_port": CAMPAIGN_SOCKET_PORT,
            "external_dial": "sofia/gateway/customers/{number}",
            "recordings_dir": str(self.recordings_dir), "sounds_dir": str(REPO / "sounds"),
            "tts_cache_dir": str(self.root / "tts"), "dialplans_dir": str(self.root / "dialplans"),
            "extra": {"directory": {"secret": DIRECTORY_SECRET}, "fs_did_pattern": r"^(8[0-9]{3})$",
                      **(extra or {})},
        }
        self.config_path.write_text(json.dumps(settings, indent=2), encoding="utf-8")

    def fscc_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "control.entry", "--config", str(self.config_path), *args]
        return subprocess.run(cmd, cwd=self.root, env=self.fscc_env(), capture_output=True, text=True,
                              check=check, timeout=120)

    def render_config(self) -> None:
        """README step 2: `fscc fs-config render --out DIR`."""
        out = self.root / "fsconf"
        result = self.fscc_cli("fs-config", "render", "--out", str(out))
        assert (out / "vars_fscc.xml").is_file(), result.stdout + result.stderr

    def start_switch(self) -> None:
        result = subprocess.run(["bash", str(self.bundle / "switch.sh"), "start"], env=self.switch_env(),
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"switch.sh start failed:\n{result.stdout}\n{result.stderr}")
        # The harness's customer gateway ("customers") and its test DIDs.
        self.sipp("install-conf.sh")

    @contextmanager
    def customer_cloud(self, ring_ms: int, talk_ms: int) -> Iterator[None]:
        """The SIPp customer cloud behind the `customers` gateway for the `with` block:
        numbers ending 0-5 answer after `ring_ms` and hang up after `talk_ms`, 6 is busy,
        7-9 never answer."""
        self.sipp("customers.sh", "start", env={"CUSTOMER_RING_MS": str(ring_ms), "CUSTOMER_TALK_MS": str(talk_ms)})
        try:
            yield
        finally:
            self.sipp("customers.sh", "stop", check=False)

    def stop_switch(self) -> None:
        subprocess.run(["bash", str(self.bundle / "switch.sh"), "stop"], env=self.switch_env(),
                       capture_output=True, text=True, timeout=60)

    def sipp(self, script: str, *args: str, env: dict[str, str] | None = None,
             check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full_env = self.switch_env()
        full_env.update(env or {})
        result = subprocess.run(["bash", str(self.bundle / "sipp" / script), *args], env=full_env,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"sipp/{script} {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}")
        return result

    def start_fscc(self) -> None:
        log = open(self.root / "fscc.log", "ab")  # noqa: SIM115 - closed with the process
        self.fscc = subprocess.Popen([sys.executable, "-m", "control.entry", "--config", str(self.config_path),
                                      "run"], cwd=self.root, env=self.fscc_env(), stdout=log, stderr=log)
        wait_until(self._healthy, 60, "fscc /healthz")

    def _healthy(self) -> bool:
        if self.fscc is not None and self.fscc.poll() is not None:
            raise RuntimeError(f"fscc exited with {self.fscc.returncode}:\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{WEB_PORT}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop_fscc(self, sig: int = signal.SIGTERM) -> None:
        if self.fscc is None:
            return
        if self.fscc.poll() is None:
            self.fscc.send_signal(sig)
            try:
                self.fscc.wait(30)
            except subprocess.TimeoutExpired:
                self.fscc.kill()
                self.fscc.wait(10)
        self.fscc = None

    def log_tail(self, lines: int = 60) -> str:
        path = self.root / "fscc.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def fs_log_tail(self, lines: int = 80) -> str:
        path = self.fs_run / "log" / "freeswitch.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # -- talking to fscc ---------------------------------------------------------------
    def api(self, method: str, path: str, user: str = "admin", payload: dict[str, Any] | None = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{WEB_PORT}/api/v1{path}", data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.tokens[user]}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path} -> {exc.code}: {exc.read().decode(errors='replace')}") from None

    # -- talking to the switch ---------------------------------------------------------
    def fs_cli(self, command: str) -> str:
        result = subprocess.run([f"{self.fs_prefix}/bin/fs_cli", "-H", "127.0.0.1", "-P", str(ESL_PORT),
                                 "-p", ESL_PASSWORD, "-x", command], capture_output=True, text=True, timeout=30)
        return result.stdout

    def channels(self) -> list[dict[str, Any]]:
        text = self.fs_cli("show channels as json")
        try:
            return list(json.loads(text).get("rows") or [])
        except ValueError:
            return []

    def registered(self) -> set[str]:
        text = self.fs_cli("sofia status profile internal reg")
        return {line.split(":", 1)[1].strip().split("@")[0] for line in text.splitlines()
                if line.strip().startswith("User:")}

    def seed(self, agent_count: int) -> None:
        result = subprocess.run([sys.executable, str(REPO / "tests" / "e2e" / "seed.py"), self.database_url,
                                 str(self.root / "dialplans"), str(agent_count)], cwd=self.root,
                                env=self.fscc_env(), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{result.stderr}")
        self.tokens = json.loads(result.stdout.strip().splitlines()[-1])
        (self.root / "tokens.json").write_text(json.dumps(self.tokens), encoding="utf-8")

    def bring_up(self, agent_count: int = 2) -> None:
        """README's steps in order: settings, store, rendered config, switch, fscc."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_settings()
        self.seed(agent_count)
        self.render_config()
        self.start_switch()
        self.start_fscc()

    def tear_down(self) -> None:
        for script, args in (("agents.sh", ("stop",)), ("customers.sh", ("stop",))):
            try:
                self.sipp(script, *args, check=False, timeout=60)
            except subprocess.TimeoutExpired:
                pass
        self.stop_fscc()
        self.stop_switch()

    def wait_idle(self, timeout: float = 60) -> None:
        """Known state between tests: no channel left on the switch."""
        wait_until(lambda: not self.channels(), timeout, "the switch to have no channels")

    def agent_state(self, extension: str) -> dict[str, Any]:
        return dict(self.api("GET", "/desk/state", f"agent{extension}")["state"])

    def channel_running(self, application: str) -> dict[str, Any] | None:
        """The live channel currently executing `application`, if any."""
        return next((row for row in self.channels() if row.get("application") == application), None)

    def leg_of(self, extension: str) -> dict[str, Any] | None:
        """The live channel of an agent's phone, if any."""
        for row in self.channels():
            if str(row.get("name", "")).startswith(f"sofia/internal/{extension}@"):
                return row
        return None

    def call_in(self, did: str, *, talk_ms: int, dtmf: str = "", dtmf_delay_ms: int = 1000,
                echo: bool = False) -> subprocess.Popen[str]:
        """One inbound SIPp caller in the background (DTMF as RFC 2833; `echo` sends back
        the audio it receives, so a tone played to it is heard by the switch as speech)."""
        env = self.switch_env()
        env.update({"TALK_MS": str(talk_ms), "DTMF": dtmf, "DTMF_DELAY_MS": str(dtmf_delay_ms),
                    "INBOUND_RTP_ECHO": "1" if echo else "0"})
        return subprocess.Popen(["bash", str(self.bundle / "sipp" / "inbound-calls.sh"), "1", "1", did], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    @contextmanager
    def calling(self, did: str, **options: Any) -> Iterator[subprocess.Popen[str]]:
        """`call_in` for a `with` block: the SIPp caller is killed if the block leaves early."""
        caller = self.call_in(did, **options)
        try:
            yield caller
        finally:
            if caller.poll() is None:
                caller.kill()
                caller.wait(10)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the store as an auditor would (its own connection, read-only)."""
        import sqlite3

        with sqlite3.connect(f"file:{self.root / 'fscc.db'}?mode=ro", uri=True, timeout=30) as db:
            return list(db.execute(sql, params))
