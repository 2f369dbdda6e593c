"""Every endpoint with every role gets the right answer (table-driven).

One test per role walks the whole table on a fresh store, so a row's side effects never
leak into another role's run; a second test checks the table covers every route.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROLES = ("admin", "sup", "agent1", "auditor", None)  # None: not signed in
ROLE_OF = {"admin": "admin", "sup": "supervisor", "agent1": "agent", "auditor": "auditor", None: "anonymous"}
ADMIN, MANAGERS, READERS = {"admin"}, {"admin", "supervisor"}, {"admin", "supervisor", "auditor"}
EVERYONE = {"admin", "supervisor", "agent", "auditor"}
NOPE = 999999

Row = tuple[str, str, Any, Callable[[str], int]]


def allow(roles: set[str], ok: int, *, other: int = 403, anon: int = 401) -> Callable[[str], int]:
    """Status for a role: ``ok`` when allowed, ``other`` when not, ``anon`` signed out."""
    return lambda role: anon if role == "anonymous" else (ok if role in roles else other)


def page(roles: set[str], ok: int) -> Callable[[str], int]:
    return allow(roles, ok, anon=302)


def with_recordings(w: Any, root: Path) -> Any:
    """Add three recorded calls (real WAV files under ``root``) to the world; ids rec_*.

    rec_sales: agent1's call in the sales campaign (agents may not listen there);
    rec_support: agent2's call for the other team; rec_listen: agent1's call in a sales
    campaign whose settings let agents listen.
    """
    import wave

    from engine.store import Campaign, Recording

    listen = Campaign.create(name="listen campaign", team=w["sales"], settings={"agents_may_listen": True})
    for key, agent, campaign in (("sales", w["agent1"], w["campaign_sales"]), ("support", w["agent2"], w["campaign_support"]),
                                 ("listen", w["agent1"], listen.id)):
        path = root / "2026" / "11" / "27" / f"call-{key}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(8000)
            handle.writeframes(b"\x00\x00" * 800)
        rec = Recording.create(call_uuid=f"call-{key}", path=str(path), agent=agent, campaign=campaign,
                               direction="outbound", phone="+14155550100", size_bytes=path.stat().st_size)
        w.ids[f"rec_{key}"] = rec.id
    return w


def table(w: Any) -> list[Row]:
    from control.resources import all_resources

    cs, ag1 = w["campaign_sales"], w["agent1"]
    rows: list[Row] = []
    for r in all_resources():
        reads, writes = set(r.read_roles), set(r.write_roles)
        api, adm = f"/api/v1/{r.name}", f"/admin/{r.name}"
        rows += [
            ("GET", api, None, allow(reads, 200)),
            ("POST", api, {}, allow(writes, 422)),
            ("GET", f"{api}/{NOPE}", None, allow(reads, 404)),
            ("PUT", f"{api}/{NOPE}", {}, allow(writes, 404)),
            ("DELETE", f"{api}/{NOPE}", None, allow(writes, 404)),
            ("GET", f"{adm}/", None, page(reads, 200)),
            ("GET", f"{adm}/new", None, page(writes, 200)),
            ("POST", f"{adm}/new", {}, page(writes, 422)),
            ("GET", f"{adm}/{NOPE}", None, page(reads, 404)),
            ("POST", f"{adm}/{NOPE}", {}, page(writes, 404)),
            ("POST", f"{adm}/{NOPE}/delete", {}, page(writes, 404)),
        ]
    c = f"/api/v1/campaigns/{cs}"
    p = f"/admin/campaigns/{cs}"
    rows += [
        ("POST", f"{c}/lifecycle/schedule", {}, allow(MANAGERS, 200)),
        ("GET", f"{c}/progress", None, allow(READERS, 200)),
        ("GET", f"{c}/contacts", None, allow(READERS, 200)),
        ("POST", f"{c}/contacts", {}, allow(MANAGERS, 422)),
        ("DELETE", f"{c}/contacts/{NOPE}", None, allow(MANAGERS, 422)),
        ("GET", f"/api/v1/contacts/{w['contact_sales']}", None, allow(EVERYONE, 200)),
        ("POST", f"{c}/imports", {}, allow(MANAGERS, 422)),
        ("GET", f"{c}/imports/nojob", None, allow(READERS, 404)),
        ("POST", f"{c}/imports/nojob", {}, allow(MANAGERS, 404)),
        ("GET", f"{c}/imports/nojob/errors", None, allow(READERS, 404)),
        ("GET", f"{c}/export", None, allow(READERS, 200)),
        ("POST", f"{c}/assign", {}, allow(MANAGERS, 422)),
        ("GET", "/api/v1/wallboard", None, allow(READERS, 200)),
        ("POST", f"/api/v1/agents/{ag1}/force/ready", {}, allow(MANAGERS, 200)),
        ("GET", f"/api/v1/queues/{w['queue_sales']}/calls", None, allow(READERS, 200)),
        ("GET", "/api/v1/tokens", None, allow(EVERYONE, 200)),
        ("POST", "/api/v1/tokens", {"name": "crm"}, allow(EVERYONE - {"auditor"}, 201)),
        ("DELETE", f"/api/v1/tokens/{NOPE}", None, allow(EVERYONE - {"auditor"}, 404)),
        ("GET", "/api/openapi.json", None, allow(EVERYONE, 200, anon=200)),
    ]
    desk = {"agent"}
    rows += [
        ("GET", "/api/v1/desk/state", None, allow(desk, 200)),
        ("POST", "/api/v1/desk/login", {"extension": "1001"}, allow(desk, 200)),
        ("POST", "/api/v1/desk/ready", {}, allow(desk, 200)),
        ("POST", "/api/v1/desk/break", {"reason": "lunch"}, allow(desk, 200)),
        ("POST", "/api/v1/desk/dial", {"number": "+14155550000"}, allow(desk, 200)),
        ("POST", "/api/v1/desk/hold", {"on": True}, allow(desk, 200)),
        ("POST", "/api/v1/desk/dtmf", {"digits": "12#"}, allow(desk, 200)),
        ("POST", "/api/v1/desk/transfer", {"kind": "agent", "target": "1002"}, allow(desk, 200)),
        ("POST", "/api/v1/desk/consult", {"target": "1002"}, allow(desk, 200)),
        ("POST", "/api/v1/desk/three_way", {"target": "+14155550111"}, allow(desk, 200)),
        ("POST", "/api/v1/desk/transfer/complete", {}, allow(desk, 200)),
        ("POST", "/api/v1/desk/transfer/cancel", {}, allow(desk, 200)),
        ("POST", "/api/v1/desk/wrap-up", {"end": True}, allow(desk, 200)),
        ("POST", "/api/v1/desk/pickup", {"call_uuid": "u-1"}, allow(desk, 200)),
        ("GET", f"/api/v1/desk/pop?contact_id={w['contact_sales']}", None, allow(desk, 200)),
        ("POST", "/api/v1/desk/disposition", {"contact_id": w["contact_sales"], "code": "success"}, allow(desk, 201)),
        ("GET", "/api/v1/desk/callbacks", None, allow(desk, 200)),
        ("POST", "/api/v1/desk/fetch", {"campaign_id": w["campaign_sales"]}, allow(desk, 422)),
        ("POST", "/api/v1/desk/preview/next", {}, allow(desk, 200)),
        ("POST", "/api/v1/desk/preview/dial", {}, allow(desk, 200)),
        ("POST", "/api/v1/desk/preview/skip", {}, allow(desk, 200)),
        ("POST", "/api/v1/desk/hangup", {}, allow(desk, 200)),
        ("POST", "/api/v1/desk/logout", {}, allow(desk, 200)),
    ]
    rows += [
        ("GET", f"{p}/detail", None, page(READERS, 200)),
        ("GET", f"{p}/progress?limit=0.05", None, page(READERS, 200)),
        ("POST", f"{p}/lifecycle/pause", {}, page(MANAGERS, 302)),
        ("POST", f"{p}/assign", {}, page(MANAGERS, 302)),
        ("POST", f"{p}/contacts", {"phone": "+14155552699"}, page(MANAGERS, 302)),
        ("POST", f"{p}/contacts/{NOPE}/delete", {}, page(MANAGERS, 302)),
        ("GET", f"{p}/export.csv", None, page(READERS, 200)),
        ("GET", f"{p}/import", None, page(MANAGERS, 200)),
        ("POST", f"{p}/import", {}, page(MANAGERS, 422)),
        ("GET", f"{p}/import/nojob/mapping", None, page(MANAGERS, 404)),
        ("POST", f"{p}/import/nojob/mapping", {}, page(MANAGERS, 404)),
        ("GET", f"{p}/import/nojob", None, page(READERS, 404)),
        ("GET", f"{p}/import/nojob/errors.csv", None, page(READERS, 404)),
        ("GET", "/admin/ivr/", None, page(READERS, 200)),
        ("GET", "/admin/ivr/new", None, page(READERS, 200)),
        ("POST", "/admin/ivr/new", {"name": "", "source": ""}, page(ADMIN, 422)),
        ("GET", f"/admin/ivr/{NOPE}", None, page(READERS, 404)),
        ("POST", f"/admin/ivr/{NOPE}", {}, page(ADMIN, 404)),
        ("POST", f"/admin/ivr/{NOPE}/delete", {}, page(ADMIN, 404)),
        ("GET", "/desk/", None, page({"agent"}, 200)),
        ("GET", "/desk/events?limit=0.05", None, page({"agent"}, 200)),
        ("GET", "/supervisor/", None, page(READERS, 200)),
        ("GET", "/supervisor/events?limit=0.05", None, page(READERS, 200)),
        ("POST", f"/supervisor/agents/{ag1}/break", {"reason": "coaching"}, page(MANAGERS, 302)),
        ("GET", "/admin/", None, page(READERS, 200)),
        ("GET", "/admin/routes/", None, page(READERS, 200)),
        ("POST", "/admin/dnc/import", {}, page(MANAGERS, 302)),
        ("POST", "/api/v1/dnc/import", {}, allow(MANAGERS, 422)),
        ("POST", "/admin/routes/", {"source": "routes: [oops"}, page(ADMIN, 422)),
        ("POST", "/admin/ivr/import/nofile.yaml", {}, page(ADMIN, 404)),
        ("GET", "/account/tokens/", None, page(EVERYONE, 200)),
        ("POST", "/account/tokens/", {"name": "mine"}, page(EVERYONE - {"auditor"}, 200)),
        ("POST", f"/account/tokens/{NOPE}/revoke", {}, page(EVERYONE - {"auditor"}, 404)),
        ("GET", "/admin/audit", None, page({"admin", "auditor"}, 200)),
        ("GET", "/recordings/", None, page(EVERYONE, 200)),
        ("GET", "/recordings/?from=yesterday", None, page(EVERYONE, 422)),
        ("GET", "/api/v1/recordings", None, allow(EVERYONE, 200)),
        ("GET", "/api/v1/recordings?to=soon", None, allow(EVERYONE, 422)),
    ]
    # Who finds each recording; everyone else gets 404 (out of scope is "not found").
    for key, finders in (("sales", READERS), ("support", ADMIN), ("listen", EVERYONE)):
        rid = w[f"rec_{key}"]
        api_expect, page_expect = allow(finders, 200, other=404), allow(finders, 200, other=404, anon=302)
        rows += [
            ("GET", f"/api/v1/recordings/{rid}", None, api_expect),
            ("GET", f"/api/v1/recordings/{rid}/download", None, api_expect),
            ("GET", f"/recordings/{rid}/audio", None, page_expect),
            ("GET", f"/recordings/{rid}/download", None, page_expect),
        ]
    rows += [
        ("GET", f"/api/v1/recordings/{NOPE}", None, allow(EVERYONE, 404)),
        ("GET", f"/recordings/{NOPE}/audio", None, page(EVERYONE, 404)),
        ("GET", "/", None, lambda role: {"agent": 302}.get(role, 200)),
        ("GET", "/healthz", None, lambda role: 200),
        ("GET", "/metrics", None, lambda role: 200),
        ("POST", "/freeswitch/directory", {"section": "directory", "user": "1001", "domain": "d"}, lambda role: 200),
    ]
    return rows


def _call(client: Any, method: str, path: str, payload: Any) -> int:
    if payload is None:
        return int(client.open(path, method=method).status_code)
    if path.startswith("/api/"):
        return int(client.open(path, method=method, json=payload).status_code)
    return int(client.open(path, method=method, data=payload).status_code)


@pytest.mark.parametrize("username", ROLES, ids=[ROLE_OF[r] for r in ROLES])
def test_every_endpoint_answers_each_role_as_designed(username, world, make_client):
    # (no tmp_path fixture: tests/control/test_postgres.py calls this with these three arguments)
    role = ROLE_OF[username]
    wrong = []
    with tempfile.TemporaryDirectory() as recordings_dir:
        client = make_client(username, recordings_dir=recordings_dir)
        for method, path, payload, expect in table(with_recordings(world, Path(recordings_dir))):
            got = _call(client, method, path, payload)
            if got != expect(role):
                wrong.append(f"{method} {path}: expected {expect(role)}, got {got}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_table_covers_every_route(world, make_client, tmp_path):
    from werkzeug.routing import RequestRedirect

    client = make_client(None)
    app = client.application
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, path, _, _ in table(with_recordings(world, tmp_path)):
        try:
            endpoint, _ = adapter.match(path.split("?")[0], method=method)
        except RequestRedirect:  # pragma: no cover - table paths are canonical
            continue
        covered.add((endpoint, method))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.login", "auth.logout"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered and not (method == "PATCH" and (rule.endpoint, "PUT") in covered):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes missing from the RBAC table:\n" + "\n".join(missing)
