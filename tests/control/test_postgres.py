"""The control plane's queries on PostgreSQL: the RBAC table for two roles, scoping, reports."""
from __future__ import annotations

import pytest

from tests.control.test_rbac import test_every_endpoint_answers_each_role_as_designed as rbac_check

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("username", ["admin", "sup"])
def test_rbac_table_on_postgres(username, world, make_client):
    rbac_check(username, world, make_client)


def test_wallboard_metrics_and_import_on_postgres(world, make_client, fake_engine):
    fake_engine.agent_ready(world["agent1"])
    client = make_client("admin")
    assert client.get("/api/v1/wallboard").get_json()["campaigns"][0]["contacts"]["total"] == 1
    assert 'fscc_agents{state="available"} 1.0' in client.get("/metrics").get_data(as_text=True)
    added = client.post(f"/api/v1/campaigns/{world['campaign_sales']}/contacts", json={"phone": "+14155550177"})
    assert added.status_code == 201
    assert make_client("sup").get(f"/api/v1/contacts/{world['contact_support']}").status_code == 404
