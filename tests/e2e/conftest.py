"""End-to-end fixtures: a real FreeSWITCH with fscc's rendered config, `fscc run`, SIPp phones.

They run when FSCC_FREESWITCH_ESL is set (a real-switch run) and the FreeSWITCH test bundle
and sipp are present; otherwise every test here is skipped with the reason.
"""
from __future__ import annotations

import pathlib
import tempfile
from collections.abc import Iterator

import pytest

from tests.e2e.harness import Stack, bundle_dir, why_not_runnable

AGENTS = 2


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    reason = why_not_runnable()
    if reason:
        pytest.skip(reason)
    bundle = bundle_dir()
    assert bundle is not None
    root = pathlib.Path(tempfile.mkdtemp(prefix="fscc-e2e-"))
    stack = Stack(root, bundle)
    try:
        stack.bring_up(AGENTS)
        # One phone per call: agents.sh rewrites its shared reg.xml for each phone it starts,
        # and a SIPp still reading it can load a half-written file.
        for extension in range(1000, 1000 + AGENTS):
            stack.sipp("agents.sh", "1", str(extension), env={"ANSWER_DELAY_MS": "1000"})
        yield stack
    finally:
        stack.tear_down()


@pytest.fixture
def ready_agents(stack: Stack) -> Iterator[list[str]]:
    """Both agents logged in and ready; afterwards logged out and the switch idle."""
    extensions = [str(1000 + i) for i in range(AGENTS)]
    stack.wait_idle()
    for extension in extensions:
        stack.api("POST", "/desk/login", f"agent{extension}", {"extension": extension})
        stack.api("POST", "/desk/ready", f"agent{extension}", {})
    yield extensions
    stack.wait_idle()
    for extension in extensions:
        stack.api("POST", "/desk/logout", f"agent{extension}", {})
