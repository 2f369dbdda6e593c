"""Admin pages: server-side validated forms, campaign detail, import wizard, IVR editor."""
from __future__ import annotations

import io
import time

from engine.store import Campaign, Contact, IvrFlow, Team, User, UserTeam


def test_form_errors_are_shown_next_to_their_fields(world, make_client):
    client = make_client("admin")
    page = client.post("/admin/trunks/new", data={"name": "", "gateway": "gw1", "port": "abc"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "is required" in html and "must be a whole number" in html and 'value="gw1"' in html
    saved = client.post("/admin/trunks/new", data={"name": "carrier", "gateway": "gw1", "port": "5080", "active": "1"})
    assert saved.status_code == 302
    listing = client.get("/admin/trunks/").get_data(as_text=True)
    assert "carrier" in listing and "5080" in listing


def test_campaign_form_uses_engine_validation(world, make_client):
    client = make_client("admin")
    form = {"name": "Spring", "team": str(world["sales"]), "dial_mode": "progressive", "caller_id_mode": "fixed",
            "caller_id_number": "", "local_window_start": "09:00", "local_window_end": "21:00",
            "ring_timeout_seconds": "30", "default_region": "US", "priority": "5", "power_ratio": "1",
            "abandon_target": "0.03", "default_disposition": "unprocessed", "max_attempts": "3"}
    page = client.post("/admin/campaigns/new", data=form)
    assert page.status_code == 422 and "a caller ID is always set" in page.get_data(as_text=True)
    form["caller_id_number"] = "+14155550100"
    saved = client.post("/admin/campaigns/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    campaign = Campaign.get(Campaign.name == "Spring")
    assert campaign.team_id == world["sales"] and campaign.status == "draft"


def test_campaign_detail_lifecycle_and_assignment(world, make_client):
    client = make_client("sup")
    cid = world["campaign_sales"]
    page = client.get(f"/admin/campaigns/{cid}/detail").get_data(as_text=True)
    assert "sales-customer" in page and "lifecycle-start" in page
    client.post(f"/admin/campaigns/{cid}/lifecycle/start")
    # Nobody is ready, so "start" schedules it; the engine runs it when an agent is ready.
    assert Campaign.get_by_id(cid).status == "scheduled"
    client.post(f"/admin/campaigns/{cid}/assign", data={"mode": "auto", f"share_{world['agent1']}": "100"})
    assert Contact.get_by_id(world["contact_sales"]).owner_id == world["agent1"]
    stream = client.get(f"/admin/campaigns/{cid}/progress?limit=0.05").get_data(as_text=True)
    assert "event: snapshot" in stream and '"status":"scheduled"' in stream


def test_import_wizard_maps_columns_and_offers_the_error_report(world, make_client):
    client = make_client("admin")
    cid = world["campaign_sales"]
    csv_text = "Phone,First name,Colour\n+14155550001,Ann,red\n12,Bad,blue\n"
    resp = client.post(f"/admin/campaigns/{cid}/import", data={"file": (io.BytesIO(csv_text.encode()), "l.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    mapping_url = resp.headers["Location"]
    mapping = client.get(mapping_url).get_data(as_text=True)
    assert "Colour" in mapping and '<option value="phone" selected>' in mapping
    bad = client.post(mapping_url, data={"col0": "first_name", "col1": "last_name", "col2": "custom"})
    assert bad.status_code == 422 and "no column is mapped to phone" in bad.get_data(as_text=True)
    started = client.post(mapping_url, data={"col0": "phone", "col1": "first_name", "col2": "custom"})
    progress_url = started.headers["Location"]
    deadline = time.monotonic() + 10
    while client.get(progress_url, headers={"Accept": "application/json"}).get_json()["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    page = client.get(progress_url).get_data(as_text=True)
    assert "Download the error report" in page and "invalid_number" in page
    report = client.get(progress_url + "/errors.csv")
    assert report.mimetype == "text/csv" and ",12" in report.get_data(as_text=True).replace('"', "")


def test_ivr_editor_shows_errors_by_line_and_keeps_good_flows(world, make_client):
    client = make_client("admin")
    broken = "name: menu\nstart: hello\nnodes:\n  hello:\n    type: hangupp\n"
    page = client.post("/admin/ivr/new", data={"name": "menu", "source": broken})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "line 5" in html
    assert IvrFlow.select().count() == 0
    good = "name: menu\nstart: bye\nnodes:\n  bye:\n    type: hangup\n"
    saved = client.post("/admin/ivr/new", data={"name": "menu", "source": good})
    assert saved.status_code == 302 and IvrFlow.get(IvrFlow.name == "menu").source == good


def test_users_page_sets_role_teams_and_password(world, make_client):
    client = make_client("admin")
    resp = client.post("/admin/users/new", data={"username": "carl", "role": "supervisor", "password": "carl-pass-1",
                                                 "teams": [str(world["sales"]), str(world["support"])], "active": "1"})
    assert resp.status_code == 302
    carl = User.get(User.username == "carl")
    assert {t.team.name for t in UserTeam.select().where(UserTeam.user == carl)} == {"Sales", "Support"}
    edit = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "carl-pass-1" not in edit and f'value="{world["support"]}" selected' in edit


def test_supervisor_team_select_lists_own_teams_only(world, make_client):
    html = make_client("sup").get("/admin/campaigns/new").get_data(as_text=True)
    assert ">Sales<" in html and ">Support<" not in html
    assert Team.select().count() == 2


def test_agent_lands_on_the_desk_and_admin_pages_are_closed(world, make_client):
    client = make_client("agent1")
    assert client.get("/").headers["Location"].endswith("/desk/")
    assert client.get("/admin/campaigns/").status_code == 403


def test_routes_editor_checks_lines_and_writes_good_files(world, make_client, tmp_path):
    client = make_client("admin", dialplans_dir=str(tmp_path))
    bad = "routes:\n  - name: sales\n    did: '100'\n    to: {queue: sales, colour: red}\n"
    page = client.post("/admin/routes/", data={"source": bad})
    assert page.status_code == 422 and "line 4" in page.get_data(as_text=True)
    assert not (tmp_path / "routes.yaml").exists()
    good = "routes:\n  - name: sales\n    did: '100'\n    to: {queue: sales}\n"
    assert client.post("/admin/routes/", data={"source": good}).status_code == 302
    assert (tmp_path / "routes.yaml").read_text() == good


def test_shipped_flow_files_can_be_stored(world, make_client, tmp_path):
    (tmp_path / "hello.yaml").write_text("name: hello\nstart: bye\nnodes:\n  bye:\n    type: hangup\n")
    (tmp_path / "routes.yaml").write_text("routes: []\n")
    client = make_client("admin", dialplans_dir=str(tmp_path))
    listing = client.get("/admin/ivr/").get_data(as_text=True)
    assert "hello.yaml" in listing and "routes.yaml" not in listing
    assert client.post("/admin/ivr/import/hello.yaml").status_code == 302
    assert IvrFlow.get(IvrFlow.name == "hello").source.startswith("name: hello")
