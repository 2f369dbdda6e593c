"""The OpenAPI document describes every API route, and nothing that does not exist."""
from __future__ import annotations

import re


def _openapi_paths(rule: str) -> list[str]:
    """Flask rule -> OpenAPI path(s); ``<any(a, b):x>`` expands to one path per choice."""
    choices = re.search(r"<any\(([^)]*)\):\w+>", rule)
    if choices:
        return [p for option in choices.group(1).split(",")
                for p in _openapi_paths(rule.replace(choices.group(0), option.strip()))]
    return [re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)]


def test_every_api_route_is_documented_and_every_path_exists(world, make_client):
    client = make_client(None)
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for rule in client.application.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for path in _openapi_paths(rule.rule):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((path, method))
    assert served - documented == set(), "routes missing from the OpenAPI document"
    assert documented - served == set(), "documented paths the app does not serve"


def test_every_operation_names_its_error_shape(world, make_client):
    doc = make_client(None).get("/api/openapi.json").get_json()
    error = doc["components"]["responses"]["Error"]["content"]["application/json"]["schema"]
    assert error["properties"]["error"]["required"] == ["field", "message"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "422" in op["responses"] and op["summary"], f"{method} {path}"
    campaign = doc["components"]["schemas"]["campaigns"]
    assert "dial_mode" in campaign["properties"] and "progressive" in campaign["properties"]["dial_mode"]["enum"]
