"""The OpenAPI 3.1 document of /api/v1, served at /api/openapi.json.

Hand-written as data: the special routes below, plus one CRUD block per admin area whose
schema comes from that area's fields. tests/control/test_openapi.py checks every API
route is described here and every path here exists.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from control.forms import Field
from control.resources import Resource, all_resources
from engine import __version__

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/responses/Error"}
OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
CSV = {"description": "CSV text", "content": {"text/csv": {"schema": {"type": "string"}}}}


def _id(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _op(summary: str, *, params: tuple[str, ...] = (), body: dict[str, Any] | None = None,
        ok: dict[str, Any] = OK, status: str = "200", roles: str = "") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [_id(p, "string" if p in ("action", "job_id") else "integer") for p in params],
                          "responses": {status: ok, "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "422": ERROR}}
    if roles:
        op["description"] = f"Roles: {roles}."
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _obj(**props: str) -> dict[str, Any]:
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}}


FIELD_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "fk": "integer", "json": "object",
               "multi_fk": "array", "ips": "array", "phone_list": "array"}


def field_schema(spec: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": FIELD_TYPES.get(spec.kind, "string")}
    if spec.kind == "choice":
        schema["enum"] = list(spec.choices)
    if spec.kind == "date":
        schema["format"] = "date"
    if spec.kind in ("multi_fk", "ips", "phone_list"):
        schema["items"] = {"type": "integer" if spec.kind == "multi_fk" else "string"}
    if spec.min is not None:
        schema["minimum"] = spec.min
    if spec.max is not None:
        schema["maximum"] = spec.max
    if spec.max_length:
        schema["maxLength"] = spec.max_length
    if spec.write_only:
        schema["writeOnly"] = True
    if spec.help:
        schema["description"] = spec.help
    return schema


def resource_schema(resource: Resource) -> dict[str, Any]:
    return {"type": "object", "properties": {"id": {"type": "integer", "readOnly": True},
                                             **{f.name: field_schema(f) for f in resource.fields}},
            "required": [f.name for f in resource.fields if f.required]}


def resource_paths(resource: Resource) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{resource.name}"}
    one = {"description": "OK", "content": {"application/json": {"schema": ref}}}
    reads, writes = ", ".join(resource.read_roles), ", ".join(resource.write_roles)
    return {
        f"/api/v1/{resource.name}": {
            "get": _op(f"List {resource.title.lower()} (limit, offset)", roles=reads),
            "post": _op(f"Create a {resource.singular.lower()}", body=ref, ok=one, status="201", roles=writes),
        },
        f"/api/v1/{resource.name}/{{object_id}}": {
            "get": _op(f"One {resource.singular.lower()}", params=("object_id",), ok=one, roles=reads),
            "put": _op(f"Update a {resource.singular.lower()} (fields given only)", params=("object_id",), body=ref, ok=one, roles=writes),
            "patch": _op(f"Update a {resource.singular.lower()} (fields given only)", params=("object_id",), body=ref, ok=one, roles=writes),
            "delete": _op(f"Delete a {resource.singular.lower()}", params=("object_id",), ok={"description": "Deleted"}, status="204", roles=writes),
        },
    }


CAMPAIGN = ("object_id",)
SPECIAL_PATHS: dict[str, Any] = {
    "/api/v1/campaigns/{object_id}/lifecycle/{action}": {"post": _op(
        "Lifecycle: schedule, start, pause, resume, complete, restart, second_pass, draft",
        params=("object_id", "action"), roles="admin, supervisor")},
    "/api/v1/campaigns/{object_id}/progress": {"get": _op("Status and contacts per status", params=CAMPAIGN)},
    "/api/v1/campaigns/{object_id}/contacts": {
        "get": _op("Contacts (status, limit, offset)", params=CAMPAIGN),
        "post": _op("Add one contact (phone, phone2..5, first_name, last_name, organisation, position, extra, priority, custom)",
                    params=CAMPAIGN, body=_obj(phone="string", first_name="string", custom="object"), status="201",
                    roles="admin, supervisor; token calls only from the campaign's trusted IPs")},
    "/api/v1/campaigns/{object_id}/contacts/{contact_id}": {"delete": _op(
        "Remove a contact never dialed", params=("object_id", "contact_id"), status="204", ok={"description": "Removed"})},
    "/api/v1/campaigns/{object_id}/imports": {"post": {
        **_op("Upload a CSV/TXT (multipart 'file', optional 'mapping' JSON starts it)", params=CAMPAIGN, status="201"),
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}, "mapping": {"type": "string"}}}}}}}},
    "/api/v1/campaigns/{object_id}/imports/{job_id}": {
        "get": _op("Import progress and the first rejected rows", params=("object_id", "job_id")),
        "post": _op("Start an uploaded import with a column mapping", params=("object_id", "job_id"),
                    body=_obj(mapping="object"), status="202")},
    "/api/v1/campaigns/{object_id}/imports/{job_id}/errors": {"get": _op(
        "Error report: row,reason,detail,raw", params=("object_id", "job_id"), ok=CSV)},
    "/api/v1/campaigns/{object_id}/export": {"get": _op("Contacts with custom fields and results", params=CAMPAIGN, ok=CSV)},
    "/api/v1/campaigns/{object_id}/assign": {"post": _op(
        "Assign contacts: {agent, contacts} or {shares: {agent_id: percent}, scope}", params=CAMPAIGN,
        body=_obj(agent="integer", contacts="array", shares="object", scope="string"))},
    "/api/v1/dnc/import": {"post": {
        **_op("Bulk DNC import (multipart 'file', 'scope', 'team', 'campaign', 'region')", status="201", roles="admin, supervisor"),
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}, "scope": {"type": "string"}, "team": {"type": "integer"},
            "campaign": {"type": "integer"}, "region": {"type": "string"}}}}}}}},
    "/api/v1/contacts/{contact_id}": {"get": _op("One contact with its history (team-scoped)", params=("contact_id",))},
    "/api/v1/desk/state": {"get": _op("The signed-in agent and its state", roles="agent")},
    "/api/v1/desk/login": {"post": _op("Log in to the engine with your extension", body=_obj(extension="string"), roles="agent")},
    "/api/v1/desk/ready": {"post": _op("Go ready for calls", roles="agent")},
    "/api/v1/desk/logout": {"post": _op("Log out of the engine", roles="agent")},
    "/api/v1/desk/hangup": {"post": _op("Hang up the current call", roles="agent")},
    "/api/v1/desk/break": {"post": _op("Take a break with a reason", body=_obj(reason="string"), roles="agent")},
    "/api/v1/desk/dial": {"post": _op("Click-to-dial a number or a contact", body=_obj(number="string", contact_id="integer"), roles="agent")},
    "/api/v1/desk/hold": {"post": _op("Hold or resume", body=_obj(on="boolean"), roles="agent")},
    "/api/v1/desk/dtmf": {"post": _op("Send DTMF digits", body=_obj(digits="string"), roles="agent")},
    "/api/v1/desk/transfer": {"post": _op("Blind or attended transfer to an agent, queue or number",
                                          body=_obj(kind="string", target="string", attended="boolean"), roles="agent")},
    "/api/v1/desk/consult": {"post": _op("Attended transfer step one: consult an agent or number (caller holds)",
                                         body=_obj(kind="string", target="string"), roles="agent")},
    "/api/v1/desk/transfer/complete": {"post": _op("Attended transfer step two: hand the caller over", roles="agent")},
    "/api/v1/desk/transfer/cancel": {"post": _op("Attended transfer: drop the consultation, back to the caller", roles="agent")},
    "/api/v1/desk/three_way": {"post": _op("Three-way: caller, agent and a third number in one conference",
                                           body=_obj(target="string"), roles="agent")},
    "/api/v1/desk/wrap-up": {"post": _op("Extend ({extend: seconds}) or end ({end: true}) wrap-up",
                                         body=_obj(extend="integer", end="boolean"), roles="agent")},
    "/api/v1/desk/pickup": {"post": _op("Pick up a queued call", body=_obj(call_uuid="string"), roles="agent")},
    "/api/v1/desk/pop": {"get": _op("Screen pop: contact, history, script, dispositions (?contact_id or ?number)", roles="agent")},
    "/api/v1/desk/disposition": {"post": _op("Save a disposition with notes and an optional callback ('3h', '2d', a date)",
                                             body=_obj(contact_id="integer", code="string", notes="string", callback="string", answers="object"),
                                             status="201", roles="agent")},
    "/api/v1/desk/fetch": {"post": _op("Take up to fetch_max unowned contacts of a campaign",
                                       body=_obj(campaign_id="integer"), roles="agent")},
    "/api/v1/desk/preview/next": {"post": _op("Preview: show the next record (with its countdown)", roles="agent")},
    "/api/v1/desk/preview/dial": {"post": _op("Preview: dial the record shown", roles="agent")},
    "/api/v1/desk/preview/skip": {"post": _op("Preview: hand the record back without dialing", roles="agent")},
    "/api/v1/desk/callbacks": {"get": _op("Your open callbacks", roles="agent")},
    "/api/v1/wallboard": {"get": _op("Agents, queues and campaigns, live", roles="admin, supervisor, auditor")},
    "/api/v1/agents/{agent_id}/force/{action}": {"post": _op(
        "Force an agent ready, on break (reason) or logged out", params=("agent_id", "action"),
        body=_obj(reason="string"), roles="admin, supervisor")},
    "/api/v1/queues/{object_id}/calls": {"get": _op("Calls waiting in a queue", params=CAMPAIGN)},
    "/api/v1/recordings": {"get": _op(
        "Search recordings, newest first (filters and limit, offset as query parameters)",
        roles="admin; supervisor, auditor: their teams; agent: own calls where the campaign allows")},
    "/api/v1/recordings/{recording_id}": {"get": _op("One recording's details", params=("recording_id",))},
    "/api/v1/recordings/{recording_id}/download": {"get": _op(
        "The recording's WAV file (audited)", params=("recording_id",),
        ok={"description": "WAV audio", "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}})},
    "/api/v1/tokens": {"get": _op("Your API tokens (admins: all)"),
                       "post": _op("Issue a token; the clear text is returned once", body=_obj(name="string", user="integer"), status="201")},
    "/api/v1/tokens/{token_id}": {"delete": _op("Revoke a token", params=("token_id",), status="204", ok={"description": "Revoked"})},
}


def _recording_search_parameters() -> list[dict[str, Any]]:
    from control.api.recordings import API_PAGING, FILTERS

    return [{"name": f.name, "in": "query", "required": False, "schema": field_schema(f)} for f in FILTERS + API_PAGING]


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, Any] = {}
    for resource in all_resources():
        for path, ops in resource_paths(resource).items():
            paths.setdefault(path, {}).update(ops)
    for path, ops in SPECIAL_PATHS.items():
        paths.setdefault(path, {}).update(ops)
    search = paths["/api/v1/recordings"]["get"]
    paths["/api/v1/recordings"]["get"] = {**search, "parameters": _recording_search_parameters()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "fscc control plane API", "version": __version__,
                 "description": "Everything the fscc pages do. Errors: {\"error\": {\"field\", \"message\"}}."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token (POST /api/v1/tokens)"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The pages' session; unsafe methods need an X-CSRFToken header"}},
            "schemas": {r.name: resource_schema(r) for r in all_resources()},
            "responses": {"Error": {"description": "An error naming the field at fault", "content": {
                "application/json": {"schema": {"type": "object", "properties": {"error": {
                    "type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    "required": ["field", "message"]}}}}}}},
        },
        "paths": paths,
    }


@bp.route("/api/openapi.json")
def openapi_json() -> Any:
    return jsonify(document())
