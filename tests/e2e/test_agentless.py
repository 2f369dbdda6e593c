"""Agentless campaigns over SIP on a real FreeSWITCH: a voice broadcast read by TTS to the
customers who answer, and press-1 where the customer's digit hands the call to an agent."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import Stack, wait_until
from tests.e2e.test_outbound import _finished, fresh_numbers, run_campaign

pytestmark = pytest.mark.timeout(420)


def _agentless_campaign(stack: Stack, name: str, dial_mode: str, **fields: Any) -> tuple[int, dict[str, str]]:
    payload = {"name": name, "dial_mode": dial_mode, "caller_id_number": "+12125550100",
               "local_window_start": "00:00", "local_window_end": "23:59", "ring_timeout_seconds": 15,
               "max_attempts": 1, **fields}
    campaign_id = int(stack.api("POST", "/campaigns", payload=payload)["id"])
    numbers = fresh_numbers()
    for phone in numbers:
        stack.api("POST", f"/campaigns/{campaign_id}/contacts", payload={"phone": phone, "first_name": "Robin"})
    return campaign_id, numbers


@pytest.fixture
def customers(stack: Stack) -> Iterator[None]:
    """The customer cloud; answered customers stay on the line for 30 s unless hung up."""
    with stack.customer_cloud(ring_ms=1500, talk_ms=30000):
        yield


def test_broadcast_reads_the_message_to_those_who_answer(stack: Stack, customers: None) -> None:
    stack.wait_idle()
    campaign_id, numbers = _agentless_campaign(stack, "e2e broadcast", "broadcast", ivr_flow="broadcast")
    executed = [e for e in run_campaign(stack, campaign_id, "CHANNEL_EXECUTE") if e.get("Event-Name") == "CHANNEL_EXECUTE"]
    attempts = stack.query("SELECT phone, outcome, origination_uuid FROM attempt WHERE campaign_id = ?",
                           campaign_id)
    assert {phone: outcome for phone, outcome, _ in attempts} == numbers
    played: dict[str, list[tuple[str, str]]] = {e.get("Unique-ID"): [] for e in executed}
    for event in executed:
        played[event.get("Unique-ID")].append((event.get("Application"), event.get("Application-Data") or ""))
    for phone, outcome, uuid in attempts:
        apps = played.get(uuid, [])
        if outcome == "answered":
            # The TTS message (rendered and cached as a WAV) and then goodbye were played.
            files = [data for app, data in apps if app == "playback"]
            assert any("/tts/" in f or "cache" in f for f in files), (phone, apps)
            assert any(f.endswith("goodbye.wav") for f in files), (phone, apps)
        else:
            assert not [app for app, _ in apps if app == "playback"], (phone, apps)


def test_press1_hands_the_customer_to_an_agent(stack: Stack, ready_agents: list[str],
                                               customers: None) -> None:
    queue_id = next(q["id"] for q in stack.api("GET", "/queues")["items"] if q["name"] == "support")
    campaign_id, numbers = _agentless_campaign(stack, "e2e press1", "press1", ivr_flow="press1", queue=queue_id)
    stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/start", payload={})
    pressed: set[str] = set()

    def press_one() -> bool:
        # A customer in the menu presses 1: the switch receives the digit on that leg.
        for row in stack.channels():
            if row.get("application") == "play_and_get_digits" and row["uuid"] not in pressed:
                pressed.add(row["uuid"])
                stack.fs_cli(f"uuid_recv_dtmf {row['uuid']} 1")
        return _finished(stack, campaign_id) and not stack.channel_running("play_and_get_digits")

    wait_until(press_one, 240, "every contact of the press-1 campaign dialed", interval=0.5)
    stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/pause", payload={})
    stack.wait_idle(timeout=120)
    attempts = stack.query("SELECT phone, outcome, origination_uuid FROM attempt WHERE campaign_id = ?",
                           campaign_id)
    assert {phone: outcome for phone, outcome, _ in attempts} == numbers
    answered = {uuid for _, outcome, uuid in attempts if outcome == "answered"}
    assert answered and answered <= pressed, (answered, pressed)
    # Each customer who pressed 1 reached an agent of the campaign's queue.
    for uuid in answered:
        legs = stack.query("SELECT legs FROM cdr WHERE call_uuid = ?", uuid)
        assert legs and '"role":"agent"' in legs[0][0].replace(" ", ""), (uuid, legs)
