"""Wallboard and forced states; the FreeSWITCH directory; Prometheus metrics."""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET

from engine.store import AuditLog


def test_wallboard_shows_agents_queues_campaigns(world, make_client, fake_engine):
    fake_engine.agent_login(world["agent1"])
    board = make_client("admin").get("/api/v1/wallboard").get_json()
    assert {a["name"]: a["state"] for a in board["agents"]} == {"Alice": "on_break", "Bob": "logged_out"}
    assert [q["name"] for q in board["queues"]] == ["sales-queue", "support-queue"]
    assert board["campaigns"][0]["contacts"]["total"] == 1 and board["engine"] is True
    page = make_client("sup").get("/supervisor/").get_data(as_text=True)
    assert "Alice" in page and "Bob" not in page


def test_supervisor_forces_states_within_own_team(world, make_client, fake_engine):
    client = make_client("sup")
    assert client.post(f"/api/v1/agents/{world['agent1']}/force/break", json={"reason": "coaching"}).status_code == 200
    assert fake_engine.commands[-1] == ("break", world["agent1"], "coaching")
    assert client.post(f"/api/v1/agents/{world['agent2']}/force/ready").status_code == 404
    assert client.post(f"/api/v1/agents/{world['agent1']}/force/dance").get_json()["error"]["field"] == "action"
    assert AuditLog.select().where(AuditLog.action == "agent.force_break").count() == 1


def test_wallboard_feed_shows_state_changes_live(world, make_client, fake_engine):
    client = make_client("sup")
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(client.get("/supervisor/events?limit=2").get_data(as_text=True)))
    reader.start()
    waiter = threading.Event()
    while not fake_engine.subscribers and not waiter.wait(0.01):
        pass
    fake_engine.agent_ready(world["agent2"])  # another team: filtered out
    fake_engine.agent_ready(world["agent1"])
    reader.join(5)
    assert received[0].count("event: agent.state") == 1
    assert f'"agent_id":{world["agent1"]}' in received[0]


def test_directory_answers_an_agents_extension(world, make_client):
    client = make_client(None)
    resp = client.post("/freeswitch/directory", data={"section": "directory", "user": "1001", "domain": "pbx.example",
                                                      "key": "id", "action": "sip_auth"})
    root = ET.fromstring(resp.data)
    assert root.tag == "document" and root.get("type") == "freeswitch/xml"
    user = root.find("./section[@name='directory']/domain[@name='pbx.example']/groups/group/users/user")
    assert user is not None and user.get("id") == "1001"
    assert user.find("./params/param[@name='password']").get("value") == "sip-1001"


def test_directory_not_found_and_refusals(world, make_client):
    client = make_client(None)
    missing = ET.fromstring(client.post("/freeswitch/directory", data={"section": "directory", "user": "9999",
                                                                       "domain": "d"}).data)
    assert missing.find("./section[@name='result']/result").get("status") == "not found"
    other = ET.fromstring(client.post("/freeswitch/directory", data={"section": "dialplan"}).data)
    assert other.find("./section/result").get("status") == "not found"
    far = client.post("/freeswitch/directory", data={"section": "directory", "user": "1001", "domain": "d"},
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert far.status_code == 403
    guarded = make_client(None, extra={"directory": {"allowed_ips": ["0.0.0.0/0"], "secret": "s3cret-xml"}})
    form = {"section": "directory", "user": "1001", "domain": "d"}
    assert guarded.post("/freeswitch/directory", data=form).status_code == 403
    ok = guarded.post("/freeswitch/directory", data=form, headers={"Authorization": "Basic ZnNjYzpzM2NyZXQteG1s"})
    assert ok.status_code == 200 and b'id="1001"' in ok.data


def test_metrics_expose_agents_and_contacts(world, make_client, fake_engine):
    fake_engine.agent_ready(world["agent1"])
    client = make_client("admin")
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'fscc_agents{state="available"} 1.0' in text
    assert 'fscc_campaign_contacts{campaign="sales campaign",status="new"} 1.0' in text
    assert 'fscc_http_requests_total{endpoint="health.healthz",method="GET",status="200"} 1.0' in text
    fake_engine.snapshot = lambda: {"agents": [], "queues": [{"name": "support", "waiting": 2, "answered": 5,
                                                              "abandoned": 1, "service_level": 0.8}]}
    text = client.get("/metrics").get_data(as_text=True)
    assert 'fscc_queue_waiting{queue="support"} 2.0' in text and 'fscc_queue_service_level{queue="support"} 0.8' in text
    closed = make_client(None, extra={"metrics": {"allowed_ips": ["10.0.0.0/8"]}})
    assert closed.get("/metrics").status_code == 403
