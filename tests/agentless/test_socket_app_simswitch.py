"""The default answer target, `&socket(HOST:PORT\\sasync\\sfull)` in the originate command,
against simswitch: real FreeSWITCH unescapes `\\s` (switch_utils.c cleanup_separated_string)
and so must simswitch for this path to be exercised (older simswitch: skipped)."""
from __future__ import annotations

import pathlib

import pytest

from engine.agentless.dialer import AgentlessDialer, socket_app
from engine.store import Attempt, Contact
from tests.agentless.harness import INLINE_SOCKET, agentless_world, make_campaign

ANSWER = {"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 600}


@pytest.mark.skipif(not INLINE_SOCKET, reason="this simswitch splits originate arguments on plain spaces")
@pytest.mark.timeout(30)
def test_inline_socket_app_reaches_the_flow(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("broadcast")
    contact = Contact.create(campaign=campaign, phone="+12125550101", first_name="Jo")
    with agentless_world(tmp_path, [ANSWER]) as world:
        world.service.add(campaign)
        dialer = world.service.group.dialers[campaign.id]
        assert isinstance(dialer, AgentlessDialer)
        assert dialer.answer_app == socket_app("127.0.0.1", world.service.socket_port)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 1)
        attempt = Attempt.get(Attempt.contact == contact.id)
        assert world.results[attempt.origination_uuid].end == "hangup"
