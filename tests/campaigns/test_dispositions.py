"""Dispositions (default + custom), their effects, and signed webhooks retried with backoff
against a real HTTP server on 127.0.0.1."""
import datetime as dt
import http.server
import json
import threading

import pytest

from engine.campaigns.dispositions import (
    add_custom_type,
    disposition_types,
    ensure_default_types,
    submit_disposition,
)
from engine.campaigns.errors import CampaignError
from engine.campaigns.webhooks import deliver, enqueue, retry_pending, sign, verify
from engine.store import Attempt, Callback, Campaign, Contact, DncEntry, Team, WebhookDelivery

NOW = dt.datetime(2026, 3, 2, 18, 0)
SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """A local webhook receiver answering from a script of status codes."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return None

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses):
        made.append(Receiver(statuses))
        return made[-1]
    yield make
    for r in made:
        r.close()


@pytest.fixture
def campaign(store):
    ensure_default_types()
    ensure_default_types()  # idempotent
    team = Team.create(name="sales")
    return Campaign.create(name="c", team=team, caller_id_number="+14155550000", dnc_level="team",
                           auto_end_wrap_up=True, hangup_after_submit=True)


@pytest.fixture
def contact(campaign):
    contact = Contact.create(campaign=campaign, phone="+14155550101", alt_phones=["+12125550143"],
                             first_name="Ann", custom={"plan": "gold"}, status="done", attempts=1)
    Attempt.create(contact=contact, campaign=campaign, phone=contact.phone, origination_uuid="u-1",
                   outcome="answered")
    return contact


def test_default_and_custom_types(campaign):
    codes = [t.code for t in disposition_types(campaign)]
    assert codes[:4] == ["unprocessed", "follow_up", "failed", "success"]
    add_custom_type(campaign, "sold-premium", "Sold premium", success=True)
    add_custom_type(campaign, "success", "Closed (our wording)")
    kinds = {t.code: t for t in disposition_types(campaign)}
    assert kinds["success"].label == "Closed (our wording)" and "sold-premium" in kinds
    other = Campaign.create(name="other", caller_id_number="+14155550000")
    assert "sold-premium" not in {t.code for t in disposition_types(other)}
    with pytest.raises(CampaignError, match="code"):
        add_custom_type(campaign, "Bad Code!", "x")
    with pytest.raises(CampaignError, match="code"):
        add_custom_type(campaign, "sold-premium", "again")


def test_submit_final_default_and_flags(campaign, contact):
    result = submit_disposition(contact, "success", notes="signed", now=NOW)
    assert (result.contact_status, result.end_wrap_up, result.hangup) == ("done", True, True)
    assert result.disposition.attempt.origination_uuid == "u-1"
    assert result.webhook is None  # no URL on this campaign
    campaign.default_disposition = "unprocessed"
    campaign.save()
    again = submit_disposition(Contact.get_by_id(contact.id), now=NOW)
    assert again.disposition.code == "unprocessed" and again.contact_status == "retry"
    with pytest.raises(CampaignError, match="code"):
        submit_disposition(contact, "nope", now=NOW)


def test_follow_up_books_a_callback_for_the_agent(campaign, contact):
    from engine.store import Agent

    agent = Agent.create(name="A", extension="1001", sip_password="x")
    result = submit_disposition(contact, "follow_up", agent_id=agent.id, callback="3h", now=NOW)
    assert result.contact_status == "callback"
    callback = Callback.get(Callback.contact == contact.id)
    assert (callback.due_at, callback.agent_id) == (NOW + dt.timedelta(hours=3), agent.id)
    stored = Contact.get_by_id(contact.id)
    assert (stored.status, stored.next_attempt_at, stored.owner_id) == ("callback", NOW + dt.timedelta(hours=3), agent.id)
    with pytest.raises(CampaignError, match="due"):
        submit_disposition(contact, "follow_up", callback="yesterday", now=NOW)


def test_dnc_disposition_writes_every_number_at_the_campaigns_level(campaign, contact):
    result = submit_disposition(contact, "do_not_call", now=NOW)
    assert result.contact_status == "dnc"
    entries = list(DncEntry.select())
    assert {e.phone for e in entries} == {"+14155550101", "+12125550143"}
    assert {(e.scope, e.team_id) for e in entries} == {("team", campaign.team_id)}


def test_signed_webhook_retried_with_backoff_until_delivered(campaign, contact, receiver):
    hook = receiver(500, 503)
    campaign.webhook_url, campaign.webhook_secret = hook.url, SECRET
    campaign.save()
    result = submit_disposition(contact, "success", notes="ok", answers={"q1": "yes"}, now=NOW)
    delivery = result.webhook
    assert delivery is not None and WebhookDelivery.get_by_id(delivery.id).delivered is False
    waits = []
    assert deliver(delivery, SECRET, sleep=waits.append, base_delay=1.0)
    assert waits == [1.0, 2.0]
    row = WebhookDelivery.get_by_id(delivery.id)
    assert (row.attempts, row.status_code, row.delivered, row.next_try_at) == (3, 200, True, None)
    headers, body = hook.requests[-1]
    assert verify(SECRET, body, headers["X-Fscc-Signature"])
    assert headers["X-Fscc-Signature"] == sign(SECRET, body)
    assert headers["X-Fscc-Event"] == "disposition.submitted" and headers["X-Fscc-Delivery"] == str(delivery.id)
    payload = json.loads(body)
    assert payload["disposition"]["code"] == "success" and payload["contact"]["custom"] == {"plan": "gold"}
    assert payload["attempt"]["origination_uuid"] == "u-1"
    assert len({r[1] for r in hook.requests}) == 1  # same body (and signature) on every try
    assert not verify("wrong", body, headers["X-Fscc-Signature"])


def test_webhook_gives_up_after_max_tries_and_resumes_later(store, receiver):
    hook = receiver(500, 500, 500)
    delivery = enqueue(hook.url, "disposition.submitted", {"n": 1})
    waits = []
    assert not deliver(delivery, SECRET, max_tries=2, sleep=waits.append, now=lambda: NOW)
    row = WebhookDelivery.get_by_id(delivery.id)
    assert (row.attempts, row.status_code, row.error, row.next_try_at) == (2, 500, "HTTP 500", None)
    assert waits == [1.0]
    # a network error is logged too
    dead = enqueue("http://127.0.0.1:9/nothing", "x", {})
    assert not deliver(dead, SECRET, max_tries=1, sleep=waits.append)
    assert WebhookDelivery.get_by_id(dead.id).error
    pending = enqueue(hook.url, "x", {"n": 2})
    assert retry_pending(dt.datetime(2100, 1, 1), lambda d: SECRET, sleep=waits.append) == 1
    assert WebhookDelivery.get_by_id(pending.id).delivered


def test_send_webhook_delivers_in_a_greenlet(campaign, contact, receiver):
    hook = receiver()
    campaign.webhook_url, campaign.webhook_secret = hook.url, SECRET
    campaign.save()
    greenlet = submit_disposition(contact, "failed", now=NOW).send_webhook()
    assert greenlet.get(timeout=10) is True
    assert len(hook.requests) == 1
