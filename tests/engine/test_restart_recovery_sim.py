# mypy: disable-error-code="attr-defined"
"""An engine that dies with campaign calls live on the switch; the next one takes them back
(`Engine.recover` + `CampaignDialing.adopt_recovered`): the attempt gets its outcome when the
customer hangs up, and the agent is in that call again without logging in.
The same scenario runs on a real FreeSWITCH in tests/e2e/test_restart.py."""
from __future__ import annotations

import pathlib

import pytest

from engine.clock import ScaledClock
from engine.core import Engine
from engine.store import Attempt, Contact
from tests.engine.sim import SOUNDS, free_port, wait_until
from tests.engine.test_engine_dialing_sim import ROUTES, TRUNK, campaign, world


@pytest.mark.timeout(120)
def test_a_new_engine_takes_back_the_live_campaign_calls(sqlite_store, tmp_path: pathlib.Path) -> None:
    from engine.settings import EslNode, Settings
    from simswitch.switch import SimSwitch

    agent, _ = world(tmp_path)
    scenario = tmp_path / "restart.yaml"
    scenario.write_text("seed: 7\nagents: [{extension: '1001', answer_delay: 0.1}]\n"
                        "customers: [{prefix: '+1212555', answer: 1.0, ring_time: 0.2, talk_time: 8}]\n")
    (tmp_path / "dialplans" / "routes.yaml").write_text(ROUTES)
    progressive = campaign("progressive", "progressive")
    contact = Contact.create(campaign=progressive, phone="+12125550101")
    outbound = free_port()
    sim = SimSwitch(port=0, scenario=scenario, outbound=f"127.0.0.1:{outbound}").start()

    def engine() -> Engine:
        settings = Settings(
            esl_nodes=(EslNode("fs1", "127.0.0.1", sim.port, "ClueCon"),), outbound_port=outbound,
            recordings_dir=str(tmp_path / "recordings"), dialplans_dir=str(tmp_path / "dialplans"),
            sounds_dir=str(SOUNDS), external_dial=TRUNK["external_dial"], dialer_enabled=True,
            campaign_socket_port=free_port(), tts_cache_dir=str(tmp_path / "tts"))
        started = Engine(settings, clock=ScaledClock(1.0))
        started.start()
        return started

    try:
        first = engine()
        first.agent_login(agent.id)
        wait_until(lambda: first.agents.get(agent.id).state == "in_call", timeout=30, step=0.05)
        attempt = Attempt.get(Attempt.contact == contact.id)
        uuid = attempt.origination_uuid
        wait_until(lambda: first.calls.get(uuid) is not None and first.calls.get(uuid).bridged_to, timeout=10)
        first.stop()  # the engine is gone; the customer and the agent stay on the switch
        assert uuid in sim.switch.channels and Attempt.get_by_id(attempt.id).outcome == ""

        second = engine()
        try:
            state = second.agents.get(agent.id)
            assert (state.state, state.call_uuid) == ("in_call", uuid)  # no re-login, same call
            assert second.dialing is not None and any(d.owns(uuid) for d in second.dialing.group.dialers.values())
            # The customer hangs up (talk time over): the adopted attempt is settled.
            wait_until(lambda: Attempt.get_by_id(attempt.id).outcome != "", timeout=30, step=0.05)
            settled = Attempt.get_by_id(attempt.id)
            assert (settled.outcome, settled.agent_id) == ("answered", agent.id)
            assert settled.ended_at is not None and Contact.get_by_id(contact.id).status == "done"
            wait_until(lambda: second.agents.get(agent.id).state != "in_call", timeout=20, step=0.05)
            assert Attempt.select().count() == 1  # nobody dialed twice
        finally:
            second.stop()
    finally:
        sim.stop()
