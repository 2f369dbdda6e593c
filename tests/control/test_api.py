"""REST API: validation errors, token auth, team scope, trusted IPs, audit log."""
from __future__ import annotations

import io
import time

from control.import_jobs import JOBS
from engine.store import ApiToken, AuditLog, Campaign, Contact, User


def test_validation_errors_name_the_field(world, make_client):
    client = make_client("admin")
    resp = client.post("/api/v1/campaigns", json={"name": "x", "dial_mode": "turbo"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["field"] == "dial_mode"
    resp = client.post("/api/v1/trunks", json={"name": "t1", "gateway": "gw", "port": 70000})
    assert resp.get_json()["error"] == {"field": "port", "message": "must be at most 65535",
                                        "all": [{"field": "port", "message": "must be at most 65535"}]}
    resp = client.post("/api/v1/skills", json={"name": "sales", "colour": "red"})
    assert resp.get_json()["error"]["field"] == "colour"


def test_campaign_crud_and_lifecycle(world, make_client):
    client = make_client("admin")
    resp = client.post("/api/v1/campaigns", json={"name": "Winter", "team": world["sales"], "dial_mode": "preview",
                                                  "caller_id_number": "+14155550100", "trusted_ips": "10.0.0.0/8"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "draft" and body["trusted_ips"] == ["10.0.0.0/8"] and "webhook_secret" not in body
    cid = body["id"]
    assert client.patch(f"/api/v1/campaigns/{cid}", json={"priority": 2}).get_json()["priority"] == 2
    bad = client.patch(f"/api/v1/campaigns/{cid}", json={"end_date": "2020-01-01", "start_date": "2021-01-01"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "end_date"
    moved = client.post(f"/api/v1/campaigns/{cid}/lifecycle/schedule").get_json()
    assert moved == {"id": cid, "status": "scheduled", "previous": "draft"}
    refused = client.post(f"/api/v1/campaigns/{cid}/lifecycle/draft")
    assert refused.status_code == 200
    assert client.post(f"/api/v1/campaigns/{cid}/lifecycle/pause").status_code == 409
    assert client.post(f"/api/v1/campaigns/{cid}/lifecycle/explode").get_json()["error"]["field"] == "action"


def test_token_auth_and_trusted_ips(world, make_client):
    user = User.get_by_id(world["user_admin"])
    _, clear = ApiToken.issue(user, "crm")
    client = make_client(None)
    assert client.get("/api/v1/campaigns").status_code == 401
    auth = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/campaigns", headers=auth).get_json()["total"] == 2
    assert client.get("/api/v1/campaigns", headers={"Authorization": "Bearer fscc_wrong"}).status_code == 401
    cid = world["campaign_sales"]
    Campaign.update(trusted_ips=["192.0.2.0/24"]).where(Campaign.id == cid).execute()
    refused = client.post(f"/api/v1/campaigns/{cid}/contacts", json={"phone": "+14155550123"}, headers=auth)
    assert refused.status_code == 403 and "trusted" in refused.get_json()["error"]["message"]
    allowed = client.post(f"/api/v1/campaigns/{cid}/contacts", json={"phone": "+14155550123", "first_name": "Ann"},
                          headers=auth, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert allowed.status_code == 201 and allowed.get_json()["first_name"] == "Ann"
    dup = client.post(f"/api/v1/campaigns/{cid}/contacts", json={"phone": "(415) 555-0123"},
                      headers=auth, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert dup.status_code == 422 and dup.get_json()["error"]["field"] == "phone"
    ApiToken.update(revoked=True).execute()
    assert client.get("/api/v1/campaigns", headers=auth).status_code == 401


def test_tokens_issue_once_and_revoke(world, make_client):
    client = make_client("sup")
    issued = client.post("/api/v1/tokens", json={"name": "report-bot"}).get_json()
    assert issued["token"].startswith("fscc_")
    other = make_client(None)
    assert other.get("/api/v1/wallboard", headers={"Authorization": f"Bearer {issued['token']}"}).status_code == 200
    assert "token" not in client.get("/api/v1/tokens").get_json()["items"][0]
    assert client.post("/api/v1/tokens", json={"name": "x", "user": world["user_admin"]}).status_code == 422
    assert client.delete(f"/api/v1/tokens/{issued['id']}").status_code == 204
    assert other.get("/api/v1/wallboard", headers={"Authorization": f"Bearer {issued['token']}"}).status_code == 401


def test_login_page_lists_demo_users_only_in_demo_mode(world, make_client):
    assert b"demo-users" not in make_client(None).get("/login").data
    page = make_client(None, demo_users=True).get("/login").get_data(as_text=True)
    assert "admin-demo" in page and "supervisor-demo" in page


def test_supervisor_sees_only_own_team(world, make_client):
    client = make_client("sup")
    names = [c["name"] for c in client.get("/api/v1/campaigns").get_json()["items"]]
    assert names == ["sales campaign"]
    assert client.get(f"/api/v1/campaigns/{world['campaign_support']}").status_code == 404
    assert client.get(f"/api/v1/contacts/{world['contact_support']}").status_code == 404
    made = client.post("/api/v1/campaigns", json={"name": "Mine", "team": world["support"],
                                                  "caller_id_number": "+14155550100"})
    assert made.status_code == 422 and made.get_json()["error"]["field"] == "team"
    assert [a["name"] for a in client.get("/api/v1/wallboard").get_json()["agents"]] == ["Alice"]


def test_agent_never_sees_another_teams_contacts(world, make_client):
    bob = make_client("agent2")
    assert bob.get(f"/api/v1/contacts/{world['contact_sales']}").status_code == 404
    own = bob.get(f"/api/v1/contacts/{world['contact_support']}")
    assert own.status_code == 200 and own.get_json()["first_name"] == "support-customer"
    assert bob.get(f"/api/v1/desk/pop?contact_id={world['contact_sales']}").get_json()["contact"] is None
    assert bob.post("/api/v1/desk/disposition", json={"contact_id": world["contact_sales"], "code": "success"}).status_code == 422
    assert bob.get("/api/v1/campaigns").status_code == 403


def test_auditor_reads_but_changes_nothing(world, make_client):
    client = make_client("auditor")
    assert client.get("/api/v1/campaigns").status_code == 200
    assert client.get(f"/api/v1/campaigns/{world['campaign_sales']}/export").status_code == 200
    resp = client.patch(f"/api/v1/campaigns/{world['campaign_sales']}", json={"priority": 1})
    assert resp.status_code == 403 and "auditors" in resp.get_json()["error"]["message"]
    assert client.post("/admin/teams/new", data={"name": "Hackers"}).status_code == 403


def test_changes_and_downloads_are_audited(world, make_client):
    client = make_client("admin")
    client.post("/api/v1/skills", json={"name": "french"})
    client.get(f"/api/v1/campaigns/{world['campaign_sales']}/export")
    actions = [(a.action, a.object_type) for a in AuditLog.select().order_by(AuditLog.id)]
    assert ("create", "skills") in actions and ("download", "campaign_contacts") in actions


def test_users_get_teams_and_never_show_passwords(world, make_client):
    client = make_client("admin")
    short = client.post("/api/v1/users", json={"username": "zoe", "role": "agent", "password": "short"})
    assert short.get_json()["error"]["field"] == "password"
    made = client.post("/api/v1/users", json={"username": "zoe", "role": "agent", "password": "long-enough-1",
                                             "teams": [world["sales"]]}).get_json()
    assert made["teams"] == [world["sales"]] and "password" not in made and "password_hash" not in made
    again = client.post("/api/v1/users", json={"username": "zoe", "role": "agent", "password": "long-enough-1"})
    assert again.status_code == 422 and again.get_json()["error"]["field"] == "username"


def test_import_over_the_api_reports_bad_rows(world, make_client):
    client = make_client("admin")
    cid = world["campaign_sales"]
    csv_text = "Mobile,Name,Plan\n+14155550001,Ann,gold\nnot-a-number,Bad,x\n+14155550002,Ben,silver\n"
    resp = client.post(f"/api/v1/campaigns/{cid}/imports", data={
        "file": (io.BytesIO(csv_text.encode()), "list.csv"),
        "mapping": '{"Mobile": "phone", "Name": "first_name", "Plan": "custom:plan"}'},
        content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_json()
    job_id = resp.get_json()["id"]
    deadline = time.monotonic() + 10
    while JOBS[job_id].state == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    status = client.get(f"/api/v1/campaigns/{cid}/imports/{job_id}").get_json()
    assert (status["state"], status["imported"], status["rejected"]) == ("done", 2, 1)
    assert status["rejected_rows"][0]["row"] == 3
    report = client.get(f"/api/v1/campaigns/{cid}/imports/{job_id}/errors").get_data(as_text=True)
    assert report.splitlines()[0].startswith("row,reason") and "not-a-number" in report
    assert Contact.get(Contact.phone == "+14155550001").custom == {"plan": "gold"}


def test_dnc_bulk_import_reports_bad_lines(world, make_client):
    from engine.store import DncEntry

    client = make_client("sup")
    data = "+14155550111\nnonsense\n+14155550112,red,legal,asked us\n"
    glob = client.post("/api/v1/dnc/import", data={"file": (io.BytesIO(data.encode()), "dnc.txt"), "scope": "global"},
                       content_type="multipart/form-data")
    assert glob.status_code == 422 and glob.get_json()["error"]["field"] == "scope"
    resp = client.post("/api/v1/dnc/import", data={"file": (io.BytesIO(data.encode()), "dnc.txt"), "scope": "team",
                                                   "team": str(world["sales"])}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["stored"] == 2 and body["rejected"][0]["line"] == 2
    assert DncEntry.get(DncEntry.phone == "+14155550112").list_color == "red"
