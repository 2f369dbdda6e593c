# mypy: disable-error-code="attr-defined"
# (peewee adds <fk>_id attributes and field expressions at run time)
"""/freeswitch/directory: the user directory for FreeSWITCH's mod_xml_curl.

FreeSWITCH POSTs ``section=directory`` with ``user`` and ``domain`` (and more) when a phone
registers or is dialed; we answer the agent's extension with its SIP password, or the
"not found" result document so FreeSWITCH falls back to its static files.

Access: only addresses in ``extra.directory.allowed_ips`` (default loopback), and, when
``extra.directory.secret`` is set, HTTP basic auth with that password (mod_xml_curl's
``gateway-credentials`` param, e.g. ``fscc:<secret>``).
"""
from __future__ import annotations

import hmac
import logging
import xml.etree.ElementTree as ET
from typing import Any

from flask import Blueprint, Response, current_app, request

from control.access import ip_allowed
from engine.store import Agent

log = logging.getLogger(__name__)
bp = Blueprint("directory", __name__)
DEFAULT_ALLOWED = ["127.0.0.1/32", "::1/128"]
DIAL_STRING = ("{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}"
               "${sofia_contact(*/${dialed_user}@${dialed_domain})}")


def directory_settings() -> dict[str, Any]:
    extra = current_app.config["FSCC_SETTINGS"].extra or {}
    conf = extra.get("directory") or {}
    return {"allowed_ips": list(conf.get("allowed_ips") or DEFAULT_ALLOWED), "secret": str(conf.get("secret") or "")}


def _xml(root: ET.Element) -> Response:
    body = ET.tostring(root, encoding="unicode")
    return Response(body, mimetype="text/xml")


def not_found() -> Response:
    document = ET.Element("document", type="freeswitch/xml")
    section = ET.SubElement(document, "section", name="result")
    ET.SubElement(section, "result", status="not found")
    return _xml(document)


def user_document(agent: Agent, domain: str) -> Response:
    """The directory entry of one agent's phone."""
    document = ET.Element("document", type="freeswitch/xml")
    section = ET.SubElement(document, "section", name="directory")
    dom = ET.SubElement(section, "domain", name=domain)
    params = ET.SubElement(dom, "params")
    ET.SubElement(params, "param", name="dial-string", value=DIAL_STRING)
    users = ET.SubElement(ET.SubElement(ET.SubElement(dom, "groups"), "group", name="default"), "users")
    user = ET.SubElement(users, "user", id=agent.extension)
    user_params = ET.SubElement(user, "params")
    ET.SubElement(user_params, "param", name="password", value=agent.sip_password)
    variables = ET.SubElement(user, "variables")
    for name, value in (("user_context", "default"), ("effective_caller_id_name", agent.name),
                        ("effective_caller_id_number", agent.extension), ("fscc_agent_id", str(agent.id))):
        ET.SubElement(variables, "variable", name=name, value=value)
    return _xml(document)


def _authorised() -> bool:
    conf = directory_settings()
    if not ip_allowed(request.remote_addr or "", conf["allowed_ips"]):
        return False
    if conf["secret"]:
        auth = request.authorization
        return auth is not None and hmac.compare_digest(auth.password or "", conf["secret"])
    return True


@bp.route("/freeswitch/directory", methods=["POST"])
def directory() -> Any:
    if not _authorised():
        log.warning("directory request refused ip=%s", request.remote_addr)
        return Response("forbidden", status=403, mimetype="text/plain")
    form = request.form
    if form.get("section") != "directory":
        return not_found()
    user = form.get("user", "").strip()
    domain = form.get("domain", "").strip() or form.get("sip_auth_realm", "").strip()
    if not user or not domain:
        return not_found()
    agent = Agent.get_or_none((Agent.extension == user) & (Agent.active == True))  # noqa: E712
    if agent is None:
        return not_found()
    return user_document(agent, domain)
