"""Outbound over SIP on a real FreeSWITCH: campaigns dial the SIPp customer cloud through the
`customers` gateway; the cloud answers numbers ending in 0-5, is busy on 6 and never answers
on 7-9. Every attempt's outcome must be what the cloud did."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import ESL_PASSWORD, ESL_PORT, Stack, wait_until
from tests.simswitch.client import Client

pytestmark = pytest.mark.timeout(420)

# Expected outcome per number, from the customer cloud's rule on the last digit.
NUMBERS = {"+12125550120": "answered", "+12125550131": "answered", "+12125550146": "busy",
           "+12125550157": "no_answer"}
_batches = itertools.count(1)


def fresh_numbers() -> dict[str, str]:
    """NUMBERS with a block of their own (the same last digits, so the same outcomes): the
    per-number daily cap (3 attempts in 24 h) would refuse numbers the other tests dialed."""
    block = next(_batches)
    return {f"+1212555{block:02d}{phone[-2:]}": outcome for phone, outcome in NUMBERS.items()}


@pytest.fixture
def customers(stack: Stack) -> Iterator[None]:
    with stack.customer_cloud(ring_ms=1500, talk_ms=5000):
        yield


def _epoch(event: Any, header: str = "Event-Date-Timestamp") -> float:
    return int(event.get(header)) / 1e6


def _stamp(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def _campaign(stack: Stack, name: str, dial_mode: str, agent_extensions: list[str],
              **fields: Any) -> tuple[int, dict[str, str]]:
    """A campaign with its agents and four contacts of its own; returns (id, number → outcome)."""
    payload = {"name": name, "dial_mode": dial_mode, "caller_id_number": "+12125550100",
               "local_window_start": "00:00", "local_window_end": "23:59", "ring_timeout_seconds": 15,
               "max_attempts": 1, "wrap_up_seconds": 0, **fields}
    campaign = stack.api("POST", "/campaigns", payload=payload)
    campaign_id = int(campaign["id"])
    agents = {a["extension"]: a["id"] for a in stack.api("GET", "/agents")["items"]}
    for extension in agent_extensions:
        stack.api("POST", "/campaign-agents", payload={"campaign": campaign_id, "agent": agents[extension]})
    numbers = fresh_numbers()
    for phone in numbers:
        stack.api("POST", f"/campaigns/{campaign_id}/contacts", payload={"phone": phone})
    return campaign_id, numbers


def _finished(stack: Stack, campaign_id: int) -> bool:
    rows = stack.query("SELECT status FROM contact WHERE campaign_id = ?", campaign_id)
    return bool(rows) and all(status not in ("new", "claimed", "dialing") for (status,) in rows)


def run_campaign(stack: Stack, campaign_id: int, events: str) -> list[Any]:
    """Start the campaign, wait until every contact is dialed, pause it, wait for the switch
    to be idle; returns the switch's `events` (an `event plain` list) seen meanwhile."""
    client = Client(ESL_PORT, ESL_PASSWORD)
    try:
        assert client.command(f"event plain {events}") == "+OK event listener enabled plain"
        stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/start", payload={})
        wait_until(lambda: _finished(stack, campaign_id), 240, f"every contact of campaign {campaign_id} dialed")
        stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/pause", payload={})
        stack.wait_idle()
        return list(client.events())
    finally:
        client.close()


@pytest.mark.parametrize("dial_mode", ["progressive", "predictive"])
def test_campaign_outcomes_match_the_customer_cloud(stack: Stack, ready_agents: list[str], customers: None,
                                                    dial_mode: str) -> None:
    campaign_id, numbers = _campaign(stack, f"e2e {dial_mode}", dial_mode, ready_agents)
    seen = run_campaign(stack, campaign_id, "CHANNEL_ANSWER CHANNEL_BRIDGE")
    attempts = stack.query("SELECT phone, outcome, hangup_cause, origination_uuid, answered_at, connected_at, "
                           "agent_id FROM attempt WHERE campaign_id = ? ORDER BY id", campaign_id)
    bridges = {e.get(side): e for e in seen if e.get("Event-Name") == "CHANNEL_BRIDGE"
               for side in ("Bridge-A-Unique-ID", "Bridge-B-Unique-ID")}
    answers = {e.get("Unique-ID"): e for e in seen if e.get("Event-Name") == "CHANNEL_ANSWER"}

    assert sorted(a[0] for a in attempts) == sorted(numbers), attempts
    for phone, outcome, cause, uuid, answered_at, connected_at, agent_id in attempts:
        assert outcome == numbers[phone], (phone, outcome, cause)
        if outcome != "answered":
            assert connected_at is None and agent_id is None
            continue
        # Answered customers were bridged to a ready agent; connected_at is that bridge,
        # not the customer's answer (the agent phone answers a second after being offered).
        assert agent_id is not None and uuid in bridges, (phone, uuid, len(seen), list(bridges))
        bridge_at, answer_at = _epoch(bridges[uuid]), _epoch(answers[uuid])
        assert bridge_at > answer_at
        assert abs(_stamp(connected_at) - bridge_at) < abs(_stamp(connected_at) - answer_at), \
            (phone, connected_at, bridge_at, answer_at)
        assert abs(_stamp(answered_at) - answer_at) < abs(_stamp(answered_at) - bridge_at)


def test_dead_trunk_backs_off_and_keeps_the_contacts_attempts(stack: Stack, ready_agents: list[str]) -> None:
    """The customer gateway's far end is down (no customer cloud): every originate fails at
    once. The dialer backs off per trunk, names it in a warning, and burns no attempt; once
    the carrier is back the same contacts are called and answered."""
    stack.sipp("customers.sh", "stop", check=False)
    campaign_id, numbers = _campaign(stack, "e2e dead trunk", "progressive", ready_agents, max_attempts=1)
    stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/start", payload={})

    def failures() -> list[tuple[str, str, str]]:
        return stack.query("SELECT created_at, ended_at, hangup_cause FROM attempt WHERE campaign_id = ? "
                           "AND outcome = 'trunk_failed' ORDER BY id", campaign_id)

    wait_until(lambda: len({row[0] for row in failures()}) >= 2, 120, "two waves of failed originates")
    rows = failures()
    first_wave = min(row[0] for row in rows)
    failed_at = min(_stamp(row[1]) for row in rows if row[0] == first_wave)
    next_launch = min(_stamp(row[0]) for row in rows if row[0] != first_wave)
    # Backed off on the engine's own clock: nothing was launched on the trunk for the first
    # step (5 s) after it failed.
    assert next_launch - failed_at >= 5.0, rows
    assert {row[2] for row in rows} <= {"NORMAL_TEMPORARY_FAILURE", "DESTINATION_OUT_OF_ORDER",
                                        "NETWORK_OUT_OF_ORDER"}, rows
    contacts = stack.query("SELECT status, attempts FROM contact WHERE campaign_id = ?", campaign_id)
    assert all(status in ("retry", "new", "claimed", "dialing") for status, _ in contacts), contacts
    assert all(attempts == 0 for status, attempts in contacts if status == "retry"), contacts
    assert "trunk=customers" in stack.log_tail(400) and "level=warning" in stack.log_tail(400)

    stack.sipp("customers.sh", "start", env={"CUSTOMER_RING_MS": "1000", "CUSTOMER_TALK_MS": "3000"})
    try:
        wait_until(lambda: len(stack.query("SELECT id FROM attempt WHERE campaign_id = ? AND outcome NOT IN "
                                           "('', 'trunk_failed')", campaign_id)) == len(numbers), 400,
                   "every contact placed once the carrier is back")
    finally:
        stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/pause", payload={})
        stack.sipp("customers.sh", "stop", check=False)
    stack.wait_idle()
    placed = stack.query("SELECT phone, outcome FROM attempt WHERE campaign_id = ? AND outcome != 'trunk_failed'",
                         campaign_id)
    assert dict(placed) == numbers, placed


def test_amd_on_a_switch_without_mod_amd_refuses_or_falls_back_to_avmd(stack: Stack, ready_agents: list[str],
                                                                       customers: None) -> None:
    """The bundle has no mod_amd: a campaign asking for AMD cannot start (instead of hanging
    up every answered customer with `Invalid Application amd`), unless it allows mod_avmd."""
    assert stack.fs_cli("module_exists mod_amd").strip() == "false"
    campaign_id, numbers = _campaign(stack, "e2e amd", "progressive", ready_agents, amd_enabled=True, amd_action="hangup")
    with pytest.raises(AssertionError, match="amd_enabled") as refused:
        stack.api("POST", f"/campaigns/{campaign_id}/lifecycle/start", payload={})
    assert "mod_amd" in str(refused.value)
    assert stack.query("SELECT count(*) FROM attempt WHERE campaign_id = ?", campaign_id) == [(0,)]

    stack.api("PATCH", f"/campaigns/{campaign_id}", payload={"settings": {"amd_fallback": "avmd"}})
    listened = {e.get("Unique-ID") for e in run_campaign(stack, campaign_id, "CHANNEL_EXECUTE")
                if e.get("Application") == "avmd_start"}
    attempts = stack.query("SELECT phone, outcome, origination_uuid, agent_id FROM attempt WHERE campaign_id = ?",
                           campaign_id)
    assert {phone: outcome for phone, outcome, _, _ in attempts} == numbers
    for phone, outcome, uuid, agent_id in attempts:
        if outcome == "answered":
            # A person answered (no beep): mod_avmd listened, and the call went to an agent.
            assert uuid in listened and agent_id is not None, (phone, uuid, listened)
    assert "Invalid Application amd" not in (stack.fs_run / "log" / "freeswitch.log").read_text(errors="replace")


def test_power_dialing_abandon_hears_the_message(stack: Stack, ready_agents: list[str], customers: None) -> None:
    """Power ratio 3 with one agent: both answering customers pick up together, one reaches
    the agent, the other is abandoned and hears the no-agent message, then is hung up."""
    agent = ready_agents[0]
    campaign_id, numbers = _campaign(stack, "e2e abandon", "power", [agent], power_ratio=3,
                            no_agent_action="message", no_agent_message="all_busy.wav")
    seen = run_campaign(stack, campaign_id, "CHANNEL_ANSWER CHANNEL_EXECUTE")
    attempts = stack.query("SELECT phone, outcome, origination_uuid, agent_id, abandoned FROM attempt "
                           "WHERE campaign_id = ?", campaign_id)
    abandoned = [row for row in attempts if row[4]]
    assert len(abandoned) >= 1 and all(row[3] is None for row in abandoned), attempts
    for _, _, uuid, _, _ in abandoned:
        mine = [e for e in seen if e.get("Unique-ID") == uuid]
        names = [(e.get("Event-Name"), e.get("Application"), e.get("Application-Data") or "") for e in mine]
        answer = next(i for i, (name, _, _) in enumerate(names) if name == "CHANNEL_ANSWER")
        played = [i for i, (name, app, data) in enumerate(names)
                  if name == "CHANNEL_EXECUTE" and app == "playback" and data.endswith("all_busy.wav")]
        # Nothing but the park of the originate ran between the answer and the message.
        assert played and played[0] > answer, names
        between = [app for name, app, _ in names[answer + 1:played[0]] if name == "CHANNEL_EXECUTE"]
        assert set(between) <= {"park"}, names
        delay = _epoch(mine[played[0]]) - _epoch(mine[answer])
        print(f"abandon message {delay:.2f} s after answer (switch clock) for {uuid}")
