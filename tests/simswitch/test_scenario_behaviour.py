"""The simulated world: customer/agent outcomes, talk time, inbound arrivals, validation."""

from __future__ import annotations

import re
import socket

import pytest

from simswitch.scenario import ScenarioError, load_scenario, parse_scenario
from simswitch.switch import SimSwitch
from tests.simswitch.client import Client, named

WORLD = {
    "seed": 3,
    "gateways": ["carrier"],
    "customers": [
        {"prefix": "1000", "busy": 1.0, "answer": 0.0},
        {"prefix": "1001", "invalid": 1.0, "answer": 0.0},
        {"prefix": "1002", "no_answer": 1.0, "answer": 0.0},
        {"prefix": "1003", "ring_time": 0.5, "talk_time": 4},
        {"regex": r"^1004\d*$", "ring_time": {"dist": "uniform", "low": 0.1, "high": 0.2},
         "talk_time": 600, "machine": 1.0, "greeting": 2.0},
    ],
    "agents": [
        {"extension": "2000-2002", "answer_delay": 0.2},
        {"extension": "2100", "registered": False},
        {"extension": "2200", "reject": 1.0},
    ],
}


@pytest.fixture
def world():
    sim = SimSwitch(port=0, scenario=parse_scenario(WORLD), speed=20.0).start()
    client = Client(sim.port)
    yield sim, client
    client.close()
    sim.stop()


@pytest.mark.parametrize(("dial", "reply"), [
    ("sofia/gateway/carrier/1000555", "-ERR USER_BUSY\n"),
    ("sofia/gateway/carrier/1001555", "-ERR UNALLOCATED_NUMBER\n"),
    ("{originate_timeout=2}sofia/gateway/carrier/1002555", "-ERR NO_ANSWER\n"),
    ("sofia/gateway/carrier/9999", "-ERR UNALLOCATED_NUMBER\n"),
    ("sofia/gateway/othergw/1003555", "-ERR INVALID_GATEWAY\n"),
    ("user/2100", "-ERR USER_NOT_REGISTERED\n"),
    ("user/2200", "-ERR CALL_REJECTED\n"),
    ("user/4242", "-ERR SUBSCRIBER_ABSENT\n"),
    ("error/user_busy", "-ERR USER_BUSY\n"),
    ("nosuchendpoint/x", "-ERR CHAN_NOT_IMPLEMENTED\n"),
])
def test_failed_originates_answer_with_the_cause(world, dial: str, reply: str) -> None:
    _, client = world
    assert client.api(f"originate {dial} &park()") == reply


def test_failed_customer_call_reports_cause_and_q850(world) -> None:
    _, client = world
    client.command("event plain CHANNEL_HANGUP_COMPLETE")
    client.api("originate sofia/gateway/carrier/1000555 &park()")
    done = client.wait_event(named("CHANNEL_HANGUP_COMPLETE"))
    assert done.get("Hangup-Cause") == "USER_BUSY"
    assert done.get("variable_hangup_cause_q850") == "17"
    assert done.get("variable_billsec") == "0"


def test_answered_customer_hangs_up_after_talk_time(world) -> None:
    _, client = world
    client.command("event plain CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
    reply = client.api("originate sofia/gateway/carrier/1003555 &park()")
    assert reply.startswith("+OK ")
    uuid = reply[4:].strip()
    client.wait_event(named("CHANNEL_PROGRESS", Unique_ID=uuid))
    event = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid))
    assert event.get("Hangup-Cause") == "NORMAL_CLEARING"
    assert event.get("variable_sip_hangup_disposition") == "recv_bye"
    billsec_ms = int(event.get("variable_billmsec") or 0)
    answer_ms = int(event.get("variable_answermsec") or 0)
    assert 3500 <= billsec_ms <= 6000      # talk_time 4 s of simulated time
    assert 300 <= answer_ms <= 1500        # ring_time 0.5 s
    assert event.get("variable_duration") is not None


def test_agent_phone_answers_and_bridges_the_customer(world) -> None:
    _, client = world
    client.command("event plain CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP_COMPLETE")
    reply = client.api("originate sofia/gateway/carrier/1003555 &bridge(user/2001)")
    uuid = reply[4:].strip()
    bridge = client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=uuid))
    assert bridge.get("Bridge-A-Unique-ID") == uuid
    assert bridge.get("Other-Leg-Destination-Number") == "2001"
    agent_leg = bridge.get("Bridge-B-Unique-ID")
    client.wait_event(named("CHANNEL_UNBRIDGE"))
    done = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=agent_leg))
    assert done.get("Hangup-Cause") == "NORMAL_CLEARING"


def test_uuid_bridge_and_kill_ends_both_legs(world) -> None:
    _, client = world
    client.command("event plain CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE")
    customer = client.api("originate sofia/gateway/carrier/1004555 &park()")[4:].strip()
    agent = client.api("originate user/2002 &park()")[4:].strip()
    assert client.api(f"uuid_bridge {customer} {agent}") == f"+OK {agent}\n"
    client.wait_event(named("CHANNEL_BRIDGE", Unique_ID=customer))
    assert client.api(f"uuid_kill {agent} USER_BUSY") == "+OK\n"
    client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=agent))
    client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=customer))
    assert client.api(f"uuid_exists {customer}") == "false"


def test_inbound_poisson_arrivals_reach_the_outbound_socket() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(5)
    scenario = parse_scenario({"seed": 1, "inbound": [
        {"did": "5551000", "rate": 5.0, "callers": ["15550001", "15550002"]}]})
    sim = SimSwitch(port=0, scenario=scenario, speed=10.0,
                    outbound=f"127.0.0.1:{listener.getsockname()[1]}").start()
    try:
        sock, _ = listener.accept()
        sock.sendall(b"connect\n\n")
        data = b""
        while b"\n\n" not in data:
            data += sock.recv(65536)
        text = data.decode()
        assert text.startswith("Event-Name: CHANNEL_DATA\n")
        assert "Caller-Destination-Number: 5551000\n" in text
        assert "Reply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n" in text
        sock.close()
    finally:
        sim.stop()
        listener.close()


@pytest.mark.parametrize(("data", "message"), [
    ({"customers": [{"prefix": "1", "busy": 2}]}, "customers[0].busy"),
    ({"customers": [{"busy": 0.5}]}, "customers[0]: needs 'prefix' or 'regex'"),
    ({"customers": [{"prefix": "1", "busy": 0.5, "answer": 0.2}]}, "must equal 1"),
    ({"customers": [{"prefix": "1", "ring_time": {"dist": "weird"}}]},
     "customers[0].ring_time.dist"),
    ({"customers": [{"regex": "("}]}, "customers[0].regex"),
    ({"agents": [{"extension": "9-1"}]}, "agents[0].extension"),
    ({"inbound": [{"did": "1", "callers": []}]}, "inbound[0].callers"),
    ({"colour": "blue"}, "unknown field(s) colour"),
    ({"customers": [{"prefix": "1", "dtmf": ["1x"]}]}, "customers[0].dtmf"),
])
def test_scenario_errors_name_the_field(data: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)):
        parse_scenario(data)


def test_example_scenario_file_loads() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "simswitch" / "example_scenario.yaml"
    scenario = load_scenario(example)
    assert scenario.customers and scenario.agents and scenario.inbound


def test_heartbeat_fires_with_the_captured_headers() -> None:
    sim = SimSwitch(port=0, speed=50.0).start()  # 20 s heartbeat = 0.4 s real
    client = Client(sim.port)
    try:
        client.command("event json HEARTBEAT")
        beat = client.wait_event(named("HEARTBEAT"))
        assert beat.get("Event-Info") == "System Ready"
        assert (beat.get("Up-Time") or "").startswith("0 years, 0 days, 0 hours, 0 minutes, 2")
        assert beat.get("Session-Count") == "0"
        assert beat.get("Idle-CPU") == "98.000000"
    finally:
        client.close()
        sim.stop()


def test_killing_a_ringing_call_ends_the_originate() -> None:
    scenario = parse_scenario({"customers": [{"prefix": "1", "ring_time": 30}]})
    sim = SimSwitch(port=0, scenario=scenario, speed=10.0).start()
    client = Client(sim.port)
    try:
        client.command("event plain CHANNEL_PROGRESS BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE")
        client.command("bgapi originate {origination_uuid=ring-1}sofia/gateway/gw/1555 &park()")
        client.wait_event(named("CHANNEL_PROGRESS", Unique_ID="ring-1"))
        assert client.api("uuid_kill ring-1 ORIGINATOR_CANCEL") == "+OK\n"
        job = client.wait_event(named("BACKGROUND_JOB"))
        assert job.body == "-ERR ORIGINATOR_CANCEL\n"
        done = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID="ring-1"))
        assert done.get("variable_billsec") == "0"
        assert client.api("show channels count") == "\n0 total.\n"
    finally:
        client.close()
        sim.stop()


def test_ring_all_first_answer_wins_and_failover() -> None:
    scenario = parse_scenario({"agents": [
        {"extension": "1000", "answer_delay": 5}, {"extension": "1001", "answer_delay": 0.5},
        {"extension": "1002", "registered": False}]})
    sim = SimSwitch(port=0, scenario=scenario, speed=10.0).start()
    client = Client(sim.port)
    try:
        client.command("event plain CHANNEL_HANGUP_COMPLETE")
        winner = client.api("originate user/1000,user/1001 &park()")[4:].strip()
        assert sim.switch.channels[winner].profile["Destination-Number"] == "1001"
        lost = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Hangup_Cause="LOSE_RACE"))
        assert lost.get("Caller-Destination-Number") == "1000"
        assert lost.get("variable_sip_hangup_disposition") == "send_cancel"
        failover = client.api("originate user/1002|user/1000 &park()")[4:].strip()
        assert sim.switch.channels[failover].profile["Destination-Number"] == "1000"
        assert client.api("originate user/1002,error/user_busy &park()") == \
            "-ERR USER_NOT_REGISTERED\n"
    finally:
        client.close()
        sim.stop()
