"""Agent desk: commands reach the engine, dispositions and callbacks, the live feed."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from engine.api import EngineError
from engine.store import Callback, Contact, Disposition, DispositionType, DncEntry, utcnow


def test_desk_commands_reach_the_engine_for_the_agents_own_profile(world, make_client, fake_engine):
    client = make_client("agent1")
    wrong = client.post("/api/v1/desk/login", json={"extension": "2001"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["field"] == "extension"
    assert client.post("/api/v1/desk/login", json={"extension": "1001"}).get_json()["state"]["state"] == "on_break"
    assert client.post("/api/v1/desk/ready").get_json()["state"]["state"] == "available"
    assert client.post("/api/v1/desk/break", json={"reason": "nap"}).get_json()["error"]["field"] == "reason"
    client.post("/api/v1/desk/break", json={"reason": "lunch"})
    client.post("/api/v1/desk/dial", json={"contact_id": world["contact_sales"]})
    client.post("/api/v1/desk/transfer", json={"kind": "queue", "target": "support", "attended": False})
    client.post("/api/v1/desk/consult", json={"target": "1002"})
    assert client.post("/api/v1/desk/dtmf", json={"digits": "12x"}).status_code == 422
    me = world["agent1"]
    assert fake_engine.commands == [
        ("login", me), ("ready", me), ("break", me, "lunch"),
        ("dial", me, "+14155552671", world["campaign_sales"], world["contact_sales"]),
        ("transfer", me, "queue", "support", False), ("transfer", me, "agent", "1002", True),
    ]


def test_engine_refusals_come_back_with_their_field(world, make_client, fake_engine):
    client = make_client("agent1")
    fake_engine.fail_with = EngineError("agent 1 has no call in progress", field="agent_id")
    resp = client.post("/api/v1/desk/hangup")
    assert resp.status_code == 409 and resp.get_json()["error"] == {"field": "agent_id", "message": "agent 1 has no call in progress"}


def test_without_the_engine_actions_answer_503_and_pages_still_work(world, make_client):
    client = make_client("agent1", engine=False)
    resp = client.post("/api/v1/desk/ready")
    assert resp.status_code == 503 and "not running" in resp.get_json()["error"]["message"]
    page = client.get("/desk/")
    assert page.status_code == 200 and "logged_out" in page.get_data(as_text=True)


def test_screen_pop_has_fields_history_script_and_dispositions(world, make_client):
    client = make_client("agent1")
    pop = client.get(f"/api/v1/desk/pop?contact_id={world['contact_sales']}").get_json()
    assert pop["contact"]["first_name"] == "sales-customer"
    assert pop["script"] == "Hello sales-customer!"
    assert [d["code"] for d in pop["dispositions"]] == ["unprocessed", "follow_up", "failed", "success", "do_not_call"]
    by_number = client.get("/api/v1/desk/pop?number=%2B14155552671").get_json()
    assert by_number["contact"]["id"] == world["contact_sales"]


def test_disposition_with_callback_and_dnc(world, make_client):
    client = make_client("agent1")
    saved = client.post("/api/v1/desk/disposition", json={
        "contact_id": world["contact_sales"], "code": "follow_up", "notes": "call after lunch", "callback": "3h"})
    assert saved.status_code == 201, saved.get_json()
    body = saved.get_json()
    assert body["contact_status"] == "callback" and body["callback"]
    callback = Callback.get()
    assert callback.agent_id == world["agent1"] and callback.reason == "follow_up"
    assert Disposition.get().notes == "call after lunch"
    items = client.get("/api/v1/desk/callbacks").get_json()["items"]
    assert [c["phone"] for c in items] == ["+14155552671"]
    bad = client.post("/api/v1/desk/disposition", json={"contact_id": world["contact_sales"], "code": "success",
                                                        "callback": "someday"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "callback"
    DispositionType.create(campaign=world["campaign_sales"], code="dnc", label="Do not call", adds_to_dnc=True)
    client.post("/api/v1/desk/disposition", json={"contact_id": world["contact_sales"], "code": "dnc"})
    assert Contact.get_by_id(world["contact_sales"]).status == "dnc"
    assert DncEntry.get().phone == "+14155552671"
    assert [d.code for d in Disposition.select().order_by(Disposition.id)] == ["follow_up", "dnc"]


@pytest.mark.parametrize("text, delta", [("3h", dt.timedelta(hours=3)), ("2d", dt.timedelta(days=2)),
                                         ("in 45m", dt.timedelta(minutes=45))])
def test_callback_picker_delays(world, make_client, text, delta):
    client = make_client("agent1")
    before = utcnow()
    body = client.post("/api/v1/desk/disposition", json={"contact_id": world["contact_sales"], "code": "follow_up",
                                                         "callback": text}).get_json()
    due = dt.datetime.fromisoformat(body["callback"]["due_at"])
    assert before + delta - dt.timedelta(minutes=1) <= due <= utcnow() + delta


def test_callback_picker_refuses_the_past(world, make_client):
    resp = make_client("agent1").post("/api/v1/desk/disposition", json={
        "contact_id": world["contact_sales"], "code": "follow_up", "callback": "2020-01-01 10:00"})
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "callback"


def test_desk_feed_follows_the_engine(world, make_client, fake_engine):
    client = make_client("agent1")
    received: list[str] = []

    def read() -> None:
        resp = client.get("/desk/events?limit=2")
        received.append(resp.get_data(as_text=True))

    reader = threading.Thread(target=read)
    reader.start()
    deadline = threading.Event()
    while not fake_engine.subscribers and not deadline.wait(0.01):
        pass
    fake_engine.agent_ready(world["agent2"])  # somebody else: not on this desk
    fake_engine.agent_ready(world["agent1"])
    reader.join(5)
    stream = received[0]
    assert "event: snapshot" in stream
    assert stream.count("event: agent.state") == 1 and '"state":"available"' in stream


def test_agents_fetch_records_within_quota(world, make_client):
    from engine.store import Campaign

    client = make_client("agent1")
    closed = client.post("/api/v1/desk/fetch", json={"campaign_id": world["campaign_sales"]})
    assert closed.status_code == 422 and closed.get_json()["error"]["field"] == "agents_may_fetch"
    Campaign.update(agents_may_fetch=True).where(Campaign.id == world["campaign_sales"]).execute()
    got = client.post("/api/v1/desk/fetch", json={"campaign_id": world["campaign_sales"]}).get_json()
    assert got == {"contacts": [world["contact_sales"]]}
    other = client.post("/api/v1/desk/fetch", json={"campaign_id": world["campaign_support"]})
    assert other.get_json()["error"]["field"] == "campaign_id"


def test_questionnaire_answers_are_checked_and_stored(world, make_client):
    admin = make_client("admin")
    bad = admin.patch(f"/api/v1/campaigns/{world['campaign_sales']}", json={"settings": {"questionnaire": [
        {"key": "Interest!", "label": "Interested?"}]}})
    assert bad.status_code == 422 and "questionnaire[0].key" in bad.get_json()["error"]["message"]
    good = admin.patch(f"/api/v1/campaigns/{world['campaign_sales']}", json={"settings": {"questionnaire": [
        {"key": "interest", "label": "Interested?", "options": ["yes", "no"], "required": True},
        {"key": "budget", "label": "Budget"}]}})
    assert good.status_code == 200, good.get_json()
    desk = make_client("agent1")
    pop = desk.get(f"/api/v1/desk/pop?contact_id={world['contact_sales']}").get_json()
    assert [q["key"] for q in pop["questions"]] == ["interest", "budget"]
    base = {"contact_id": world["contact_sales"], "code": "success"}
    missing = desk.post("/api/v1/desk/disposition", json=base)
    assert missing.get_json()["error"]["field"] == "answers.interest"
    wrong = desk.post("/api/v1/desk/disposition", json={**base, "answers": {"interest": "maybe"}})
    assert "yes, no" in wrong.get_json()["error"]["message"]
    saved = desk.post("/api/v1/desk/disposition", json={**base, "answers": {"interest": "yes", "budget": "5k"}})
    assert saved.status_code == 201
    assert Disposition.get().answers == {"interest": "yes", "budget": "5k"}


def test_desk_page_survives_an_agent_the_engine_does_not_know(world, make_client, fake_engine):
    def unknown(agent_id):
        raise EngineError(f"unknown agent {agent_id}", field="agent_id", status=404)

    fake_engine.agent_state = unknown
    client = make_client("agent1")
    assert client.get("/desk/").status_code == 200
    assert client.get("/api/v1/desk/state").get_json()["state"]["state"] == "logged_out"


def test_desk_call_resolves_the_contact_and_masks_numbers(world, make_client, fake_engine):
    from control.desk import desk_call
    from engine.store import Agent, Campaign

    fake_engine.snapshot = lambda: {"agents": [], "queues": [], "calls": [
        {"uuid": "c-1", "caller": "+14155552671", "destination": "100", "role": "customer"}]}
    client = make_client("agent1")
    with client.application.test_request_context():
        agent = Agent.get_by_id(world["agent1"])
        assert desk_call(agent, "c-1")["contact_id"] == world["contact_sales"]
        Campaign.update(mask_numbers=True).where(Campaign.id == world["campaign_sales"]).execute()
        masked = desk_call(agent, "c-1")
        assert masked["contact_id"] == world["contact_sales"] and "2671" not in masked["caller_number"]


def test_desk_disposition_goes_through_the_engine_submit(world, make_client, monkeypatch):
    """DNC covers every number of the contact and the campaign's webhook is queued and sent."""
    from engine.campaigns import dispositions
    from engine.store import Campaign, WebhookDelivery

    sent = []
    monkeypatch.setattr(dispositions, "deliver_later", lambda delivery, secret: sent.append((delivery.id, secret)))
    Campaign.update(webhook_url="https://crm.example/hook", webhook_secret="s" * 16).where(
        Campaign.id == world["campaign_sales"]).execute()
    Contact.update(alt_phones=["+14155550199"]).where(Contact.id == world["contact_sales"]).execute()
    DispositionType.create(campaign=world["campaign_sales"], code="dnc", label="Do not call", adds_to_dnc=True)
    saved = make_client("agent1").post("/api/v1/desk/disposition",
                                       json={"contact_id": world["contact_sales"], "code": "dnc"})
    assert saved.status_code == 201, saved.get_json()
    assert sorted(d.phone for d in DncEntry.select()) == ["+14155550199", "+14155552671"]
    delivery = WebhookDelivery.get()
    assert sent == [(delivery.id, "s" * 16)]
