"""AgentlessService as the engine runs it: start() (listen, event feed, pacing loop with the
calendar sync picking up running campaigns), remove(), an opt-out, a flow that is missing."""
from __future__ import annotations

import pathlib

import gevent
import pytest

from engine.agentless.modes import AgentlessConfigError
from engine.agentless.service import AgentlessService
from engine.ivr.registry import FlowRegistry
from engine.ivr.tts import TtsCache
from engine.store import Agent, Attempt, Campaign, Contact, DncEntry, Queue, QueueMember
from tests.agentless.harness import ROOT, agentless_world, fk, make_campaign
from tests.campaigns.fakes import FakeAgents, FakeOriginator
from tests.engine.sim import SOUNDS, wait_until

ANSWER = {"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 600}


@pytest.mark.timeout(60)
def test_started_service_picks_up_running_campaigns_and_remove_stops_launching(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast", max_lines=1)
    first = Contact.create(campaign=campaign, phone="+12125550101", first_name="Ida", priority=1)
    later = Contact.create(campaign=campaign, phone="+12125550102", priority=2)
    with agentless_world(tmp_path, [ANSWER], feed=False) as world:
        world.service.start(world.port.now, feed=world.port.feed, interval=0.05, sync_every=0.0)
        wait_until(lambda: Attempt.select().where(Attempt.contact == first.id).count() == 1, timeout=20)
        world.service.remove(campaign.id)  # while the first call is still on its one line
        wait_until(lambda: Attempt.get(Attempt.contact == first.id).outcome == "answered", timeout=20)
        gevent.sleep(0.5)  # ten loop rounds, each with a sync re-reading the (still running) row
        assert Attempt.select().where(Attempt.contact == later.id).count() == 0
        assert Campaign.get_by_id(campaign.id).status == "running"
        world.service.add(campaign)
        wait_until(lambda: Attempt.select().where(Attempt.contact == later.id, Attempt.outcome == "answered")
                   .count() == 1, timeout=20)


@pytest.mark.timeout(60)
def test_opt_out_puts_the_numbers_on_the_campaigns_dnc_list(sqlite_store, tmp_path: pathlib.Path):
    agent = Agent.create(name="Agent 1", extension="1001", sip_password="pw")
    queue = Queue.create(name="renewals")
    QueueMember.create(queue=queue, agent=agent)
    campaign = make_campaign("press1", queue=queue, dnc_level="campaign")
    contact = Contact.create(campaign=campaign, phone="+12125550101", alt_phones=["+12125550199"])
    with agentless_world(tmp_path, [{**ANSWER, "dtmf": ["9"]}], agents=[{"extension": "1001"}]) as world:
        world.engine.agent_login(agent.id)
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert [s.node for s in world.results[attempt.origination_uuid].steps][-2:] == ["opt_out", "removed"]
        entries = {(e.phone, e.scope, fk(e, "campaign")) for e in DncEntry.select()}
        assert entries == {("+12125550101", "campaign", campaign.id), ("+12125550199", "campaign", campaign.id)}


def test_add_refuses_a_campaign_whose_flow_is_not_loaded(sqlite_store, tmp_path: pathlib.Path):
    flows = FlowRegistry(ROOT / "dialplans", sounds_dir=SOUNDS)
    flows.reload()
    service = AgentlessService(FakeOriginator(), FakeAgents(), flows=flows, tts=TtsCache(tmp_path / "tts"))
    with pytest.raises(AgentlessConfigError) as error:
        service.add(make_campaign("broadcast_ivr", ivr_flow="no_such_flow"))
    assert error.value.field == "ivr_flow"
    assert service.add(make_campaign("survey", name="fine")).campaign.name == "fine"
