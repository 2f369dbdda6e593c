"""The rendered config on a real switch: only fscc's agents register, and callers still hear
something when the engine is down."""
from __future__ import annotations

import pytest

from tests.e2e.harness import Stack

pytestmark = pytest.mark.timeout(300)


def test_stock_users_cannot_register_fscc_agents_can(stack: Stack) -> None:
    assert {"1000", "1001"} <= stack.registered()  # the fixture's agents, via /freeswitch/directory
    # 1019 is a stock directory user with the bundle's default password; fscc does not know it.
    assert stack.fs_cli("user_exists id 1019 127.0.0.1").strip() == "false"
    assert stack.fs_cli("user_exists id 1000 127.0.0.1").strip() == "true"
    result = stack.sipp("agents.sh", "1", "1019", env={"AGENT_PASSWORD": "fstest5678", "REG_WAIT_S": "4"},
                        check=False)
    stack.sipp("agents.sh", "stop", "1019", check=False)
    assert "1019" not in stack.registered()
    assert result.returncode != 0, result.stdout + result.stderr


def test_engine_down_callers_hear_the_fallback(stack: Stack) -> None:
    stack.wait_idle()
    stack.stop_fscc()
    try:
        caller = stack.call_in("8002", talk_ms=30000)
        output, _ = caller.communicate(timeout=120)
    finally:
        stack.start_fscc()
    # Answered (not a bare SIP 480), told the fallback message, then hung up by the switch.
    assert "successful=1" in output, output
    log = (stack.fs_run / "log" / "freeswitch.log").read_text(errors="replace")
    assert "fscc engine unreachable at 127.0.0.1:18084" in log
    assert "sounds/fallback.wav" in log and "TEMPORARY_FAILURE" in log
