"""Recordings for auditors: search filters, scope, playback and download (audited), bad paths."""
from __future__ import annotations

import datetime as dt
import io
import os
import wave
from pathlib import Path
from typing import Any

import pytest

from engine.store import ApiToken, AuditLog, Campaign, Cdr, Recording, User

RATE = 8000


def write_wav(path: Path, seconds: float = 0.5) -> Path:
    """A real mono 16-bit WAV with a ramp of samples, so byte ranges are distinguishable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(RATE * seconds)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(b"".join((i % 30000).to_bytes(2, "little") for i in range(frames)))
    return path


def record(root: Path, uuid: str, *, started: str = "2026-11-20T10:00:00", disposition: str | None = None,
           **fields: Any) -> Recording:
    """A Recording row for a real file under ``root`` (and a CDR when ``disposition`` is given)."""
    started_at = dt.datetime.fromisoformat(started)
    path = write_wav(root / f"{started_at:%Y/%m/%d}" / f"{uuid}.wav")
    if disposition is not None:
        Cdr.create(call_uuid=uuid, direction=fields.get("direction", "outbound"), started_at=started_at,
                   disposition=disposition)
    return Recording.create(call_uuid=uuid, path=str(path), started_at=started_at, duration_seconds=0.5,
                            size_bytes=path.stat().st_size, **fields)


@pytest.fixture
def recs(world, tmp_path) -> dict[str, Any]:
    root = tmp_path / "recordings"
    sales, support = world["campaign_sales"], world["campaign_support"]
    rows = {
        "old": record(root, "u-old", started="2026-11-01T08:00:00", agent=world["agent1"], campaign=sales,
                      phone="+14155551111", direction="outbound", disposition="success"),
        "new": record(root, "u-new", started="2026-11-25T16:30:00", agent=world["agent1"], campaign=sales,
                      phone="+14155552222", direction="outbound", disposition="no_answer"),
        "inbound": record(root, "u-in", started="2026-11-24T12:00:00", queue=world["queue_sales"],
                          phone="+33123456789", direction="inbound"),
        "other_team": record(root, "u-support", started="2026-11-23T09:00:00", agent=world["agent2"],
                             campaign=support, phone="+14155553333", direction="outbound"),
    }
    return {"root": root, **{k: v.id for k, v in rows.items()}}


def search(client: Any, **args: Any) -> list[str]:
    resp = client.get("/api/v1/recordings", query_string=args)
    assert resp.status_code == 200, resp.get_json()
    return [item["call_uuid"] for item in resp.get_json()["items"]]


def test_filters_and_newest_first(recs, world, make_client):
    client = make_client("admin", recordings_dir=str(recs["root"]))
    assert search(client) == ["u-new", "u-in", "u-support", "u-old"]
    assert search(client, agent=world["agent1"]) == ["u-new", "u-old"]
    assert search(client, campaign=world["campaign_support"]) == ["u-support"]
    assert search(client, queue=world["queue_sales"]) == ["u-in"]
    assert search(client, number="5552") == ["u-new"]
    assert search(client, direction="inbound") == ["u-in"]
    assert search(client, disposition="success") == ["u-old"]
    assert search(client, **{"from": "2026-11-23", "to": "2026-11-24"}) == ["u-in", "u-support"]
    assert search(client, **{"from": "2026-11-24T12:00", "to": "2026-11-25T16:30:00"}) == ["u-in"]
    assert search(client, **{"from": "2026-11-24T13:00:00+01:00"}) == ["u-new", "u-in"]
    body = client.get("/api/v1/recordings", query_string={"limit": 2, "offset": 1}).get_json()
    assert [i["call_uuid"] for i in body["items"]] == ["u-in", "u-support"] and body["total"] == 4
    item = client.get(f"/api/v1/recordings/{recs['old']}").get_json()
    assert item["disposition"] == "success" and item["agent_name"] == "Alice" and item["campaign_name"] == "sales campaign"
    assert item["audio_url"] == f"/recordings/{recs['old']}/audio" and item["duration_seconds"] == 0.5


@pytest.mark.parametrize(("args", "field"), [
    ({"from": "2026-13-01"}, "from"),
    ({"to": "next tuesday"}, "to"),
    ({"from": "2026-11-25", "to": "2026-11-01"}, "to"),
    ({"agent": "alice"}, "agent"),
    ({"campaign": "0"}, "campaign"),
    ({"direction": "sideways"}, "direction"),
    ({"number": "1" * 41}, "number"),
    ({"limit": "1000"}, "limit"),
    ({"agnet": "1"}, "agnet"),
])
def test_bad_filters_name_the_field(recs, make_client, args, field):
    client = make_client("auditor", recordings_dir=str(recs["root"]))
    resp = client.get("/api/v1/recordings", query_string=args)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["field"] == field, resp.get_json()


def test_page_shows_players_filters_and_field_errors(recs, world, make_client):
    client = make_client("auditor", recordings_dir=str(recs["root"]))
    html = client.get("/recordings/", query_string={"number": "555"}).get_data(as_text=True)
    assert f'<audio controls preload="none" src="/recordings/{recs["new"]}/audio">' in html
    assert f'href="/recordings/{recs["new"]}/download"' in html
    assert "+14155553333" not in html  # the support team's call is out of the auditor's scope
    assert html.index("+14155552222") < html.index("+14155551111")  # newest first
    bad = client.get("/recordings/", query_string={"from": "31/12/2026"})
    assert bad.status_code == 422 and "must be a date" in bad.get_data(as_text=True)


def test_page_paginates(recs, world, make_client, tmp_path):
    for n in range(52):
        Recording.create(call_uuid=f"bulk-{n:02d}", path=str(tmp_path / "missing.wav"), agent=world["agent1"],
                         started_at=dt.datetime(2026, 10, 1) + dt.timedelta(minutes=n))
    client = make_client("sup", recordings_dir=str(recs["root"]))
    first = client.get("/recordings/", query_string={"agent": world["agent1"]}).get_data(as_text=True)
    assert "Page 1 of 2" in first and "Older" in first and "54 found" in first
    second = client.get("/recordings/", query_string={"agent": world["agent1"], "page": 2}).get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count("<audio ") == 4


def test_scope_by_team_through_queue_and_agents_only_where_allowed(recs, world, make_client):
    sup = make_client("sup", recordings_dir=str(recs["root"]))
    assert search(sup) == ["u-new", "u-in", "u-old"]  # u-in belongs to sales only through its queue
    agent = make_client("agent1", recordings_dir=str(recs["root"]))
    assert search(agent) == []
    assert agent.get(f"/recordings/{recs['new']}/audio").status_code == 404
    Campaign.update(settings={"agents_may_listen": "yes"}, mask_numbers=True).where(
        Campaign.id == world["campaign_sales"]).execute()
    assert search(agent) == ["u-new", "u-old"]  # own calls only: never the queue's inbound call
    phone = agent.get(f"/api/v1/recordings/{recs['new']}").get_json()["phone"]
    assert phone == "+1415555****"
    assert search(agent, number="2222") == []  # a masked number cannot be probed digit by digit
    assert search(agent, number="2222") == []
    assert agent.get(f"/recordings/{recs['new']}/audio").status_code == 200
    assert search(make_client("agent2", recordings_dir=str(recs["root"]))) == []


def _audit_rows(action: str) -> list[AuditLog]:
    return list(AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id))


def test_listen_streams_ranges_and_download_attaches_both_audited(recs, world, make_client):
    client = make_client("auditor", recordings_dir=str(recs["root"]))
    rid = recs["new"]
    data = Path(Recording.get_by_id(rid).path).read_bytes()
    resp = client.get(f"/recordings/{rid}/audio", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert resp.status_code == 200 and resp.mimetype == "audio/wav" and resp.data == data
    assert resp.headers["Accept-Ranges"] == "bytes" and "attachment" not in resp.headers.get("Content-Disposition", "")
    part = client.get(f"/recordings/{rid}/audio", headers={"Range": "bytes=44-99"})
    assert part.status_code == 206 and part.data == data[44:100]
    listens = _audit_rows("recording.listen")
    assert [(r.user_id, r.ip, r.object_id) for r in listens][0] == (world["user_auditor"], "198.51.100.7", str(rid))
    assert len(listens) == 2 and listens[1].details["range"] == "bytes=44-99"
    down = client.get(f"/recordings/{rid}/download")
    assert down.status_code == 200 and down.data == data
    assert down.headers["Content-Disposition"] == "attachment; filename=u-new.wav"
    api = client.get(f"/api/v1/recordings/{rid}/download")
    assert api.status_code == 200 and api.data == data
    downloads = _audit_rows("recording.download")
    assert len(downloads) == 2 and all(r.user_id == world["user_auditor"] for r in downloads)
    with wave.open(io.BytesIO(down.data), "rb") as served:  # the bytes served are a playable WAV
        assert (served.getframerate(), served.getnframes()) == (RATE, RATE // 2)


def test_token_download_honours_campaign_trusted_ips(recs, world, make_client):
    _, clear = ApiToken.issue(User.get_by_id(world["user_admin"]), "archive")
    Campaign.update(trusted_ips=["192.0.2.0/24"]).where(Campaign.id == world["campaign_sales"]).execute()
    client = make_client(None, recordings_dir=str(recs["root"]))
    auth = {"Authorization": f"Bearer {clear}"}
    refused = client.get(f"/api/v1/recordings/{recs['new']}/download", headers=auth)
    assert refused.status_code == 403 and "trusted" in refused.get_json()["error"]["message"]
    allowed = client.get(f"/api/v1/recordings/{recs['new']}/download", headers=auth,
                         environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert allowed.status_code == 200 and allowed.data[:4] == b"RIFF"
    assert _audit_rows("recording.download")[-1].ip == "192.0.2.9"


def test_paths_outside_the_recordings_dir_or_missing_files_are_404(recs, world, make_client, tmp_path):
    outside = write_wav(tmp_path / "secret" / "payroll.wav")
    (recs["root"] / "link.wav").symlink_to(outside)
    bad_paths = {
        "dotdot": str(recs["root"] / ".." / "secret" / "payroll.wav"),
        "absolute": str(outside),
        "symlink": str(recs["root"] / "link.wav"),
        "missing": str(recs["root"] / "2026" / "gone.wav"),
        "directory": str(recs["root"]),
        "relative": os.path.relpath(outside),
        "empty": "",
    }
    client = make_client("admin", recordings_dir=str(recs["root"]))
    for name, path in bad_paths.items():
        rid = Recording.create(call_uuid=f"bad-{name}", path=path, agent=world["agent1"]).id
        for url in (f"/recordings/{rid}/audio", f"/recordings/{rid}/download", f"/api/v1/recordings/{rid}/download"):
            resp = client.get(url)
            assert resp.status_code == 404, (name, url, resp.status_code)
        assert client.get(f"/api/v1/recordings/{rid}/download").get_json()["error"]["field"] == ""
    assert _audit_rows("recording.listen") == [] and _audit_rows("recording.download") == []


def test_relative_recordings_dir_serves_files_written_relative_to_it(world, make_client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rid = record(Path("var/recordings"), "u-rel", agent=world["agent1"]).id
    client = make_client("admin", recordings_dir="var/recordings")
    assert client.get(f"/recordings/{rid}/audio").status_code == 200
