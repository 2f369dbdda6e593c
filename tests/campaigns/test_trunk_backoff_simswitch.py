# mypy: disable-error-code="attr-defined"
"""A trunk whose calls fail at once: back off per trunk, burn no contact's attempts."""
from __future__ import annotations

import datetime as dt
import logging
import pathlib

import pytest

from engine.campaigns.compliance import check
from engine.campaigns.engine_port import EnginePort
from engine.campaigns.group import DialerGroup
from engine.campaigns.trunks import TRUNK_BACKOFF_SECONDS, TrunkBackoff, trunk_failure
from engine.store import Attempt, Contact, Trunk
from tests.campaigns.test_simswitch import ROUTES, setup
from tests.engine.sim import running, scenario_file, wait_until

T0 = dt.datetime(2026, 3, 2, 19, 0, 0)


def test_trunk_causes_are_not_customer_causes():
    assert trunk_failure("GATEWAY_DOWN", rang=False) and trunk_failure("NORMAL_TEMPORARY_FAILURE", rang=False)
    assert not trunk_failure("NORMAL_TEMPORARY_FAILURE", rang=True)  # it reached the callee first
    for cause in ("USER_BUSY", "NO_ANSWER", "UNALLOCATED_NUMBER", "CALL_REJECTED", "NORMAL_CLEARING"):
        assert not trunk_failure(cause, rang=False)


def test_backoff_doubles_per_failure_up_to_the_cap_and_resets_when_a_call_rings():
    trunks = TrunkBackoff(5, 30)
    assert trunks.failed("gw", "GATEWAY_DOWN", T0) == T0 + dt.timedelta(seconds=5)
    assert trunks.blocked_until("gw", T0 + dt.timedelta(seconds=4.9)) is not None
    assert trunks.blocked_until("gw", T0 + dt.timedelta(seconds=5)) is None
    assert trunks.blocked_until("other", T0) is None  # per trunk
    waits = [(trunks.failed("gw", "GATEWAY_DOWN", T0) - T0).total_seconds() for _ in range(4)]
    assert waits == [10, 20, 30, 30]
    trunks.worked("gw")
    assert trunks.blocked_until("gw", T0) is None
    assert trunks.failed("gw", "GATEWAY_DOWN", T0) == T0 + dt.timedelta(seconds=5)


@pytest.mark.timeout(60)
def test_calls_failing_at_once_on_a_trunk_back_off_and_keep_the_contacts_attempts(
        sqlite_store, tmp_path: pathlib.Path, caplog):
    trunk = Trunk.create(name="Carrier B", gateway="carrier_b")
    agents, campaign, _ = setup(tmp_path, mode="progressive", agents=2, trunk=trunk, daily_attempts_per_number=1)
    # the switch knows only the carrier gateway: calls on carrier_b fail at once (-ERR, no channel)
    scenario = scenario_file(tmp_path, [{"extension": "1001"}, {"extension": "1002"}], gateways=["carrier"],
                             customers=[{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.2, "talk_time": 1}])
    contacts = [Contact.create(campaign=campaign, phone=f"+121255501{i:02d}") for i in range(2)]
    with running(tmp_path, scenario, ROUTES) as (engine, sim), caplog.at_level(logging.WARNING):
        port = EnginePort(engine)
        group = DialerGroup(port, port, owner="engine-test", clock=engine.clock)
        port.feed(group)
        for agent in agents:
            engine.agent_login(agent.id)
        group.add(campaign)
        assert group.tick(port.now()) == 2
        wait_until(lambda: Attempt.select().where(Attempt.outcome == "trunk_failed").count() == 2, timeout=20)
        assert group.tick(port.now()) == 0  # backing off: nothing launched, no new attempt
        assert Attempt.select().count() == 2
        for contact in contacts:
            row = Contact.get_by_id(contact.id)
            attempt = Attempt.get(Attempt.contact == contact.id)
            assert (row.status, row.attempts, row.last_outcome) == ("retry", 0, "")
            assert attempt.hangup_cause == "INVALID_GATEWAY"
            # due again when the trunk is: 5 s after the first failure, 10 s after the second
            assert (row.next_attempt_at - attempt.ended_at).total_seconds() in (TRUNK_BACKOFF_SECONDS,
                                                                                2 * TRUNK_BACKOFF_SECONDS)
            # the per-number daily cap (1 here) does not count the call that was never placed
            assert check(row, row.phone, campaign, attempt.ended_at).allowed
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("carrier_b" in w and "INVALID_GATEWAY" in w for w in warnings)


def test_the_trunk_of_a_campaign_without_a_trunk_row_is_its_dial_strings_gateway():
    from engine.campaigns.dialer import dial_string_trunk

    assert dial_string_trunk("sofia/gateway/customers/+12125550100") == "customers"
    assert dial_string_trunk("{origination_uuid=x}sofia/gateway/carrier_b/0") == "carrier_b"
    assert dial_string_trunk("sofia/external/0@10.0.0.1") == "sofia/external"
    assert dial_string_trunk("loopback/0/default") == "loopback/0"
