"""Fakes for the dialer's two ports: a switch that records commands, and an agent pool."""
from __future__ import annotations

from engine.campaigns.ports import AgentCounts
from engine.store import Attempt


class FakeOriginator:
    """Records every command; checks the Attempt row exists before originate is sent."""

    def __init__(self) -> None:
        self.originated: list[dict] = []
        self.connected: list[tuple[str, int]] = []
        self.played: list[tuple[str, str]] = []
        self.hung_up: list[str] = []
        self.amd_started: list[str] = []
        self.avmd_started: list[str] = []
        self.switches = None  # unknown switch: mod_amd taken as there (engine.campaigns.amd)
        self.sent: list[tuple[str, str, str]] = []
        self.fail_next = False
        self.up = True  # False: the switch is down (the dialer must claim nothing)

    def originate(self, dial_string, *, origination_uuid, variables, app):
        customer_uuid = origination_uuid if "origination_uuid=" not in app else app.split("origination_uuid=")[1].split(",")[0].split("}")[0]
        assert Attempt.get_or_none(Attempt.origination_uuid == customer_uuid) is not None, "attempt row must exist first"
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("switch gone")
        self.originated.append({"dial_string": dial_string, "uuid": origination_uuid, "customer_uuid": customer_uuid,
                                "variables": dict(variables), "app": app})
        return "+OK"

    def connect(self, call_uuid, agent_id):
        self.connected.append((call_uuid, agent_id))

    def play_and_hangup(self, call_uuid, sound):
        self.played.append((call_uuid, sound))

    def hangup(self, call_uuid, cause="NORMAL_CLEARING"):
        self.hung_up.append(call_uuid)

    def send_to(self, call_uuid, kind, target):
        self.sent.append((call_uuid, kind, target))

    def start_amd(self, call_uuid):
        self.amd_started.append(call_uuid)

    def start_avmd(self, call_uuid):
        self.avmd_started.append(call_uuid)

    def switch_capabilities(self):
        return self.switches

    def switch_up(self):
        return self.up

    def uuids(self) -> list[str]:
        return [o["customer_uuid"] for o in self.originated]


class FakeAgents:
    """Agents by id: 'ready', 'reserved:<uuid>' or 'busy'."""

    def __init__(self, *ready: int) -> None:
        self.state = {a: "ready" for a in ready}

    def ready(self, agent_ids):
        return [a for a, s in self.state.items() if s == "ready" and (agent_ids is None or a in agent_ids)]

    def counts(self, agent_ids, now):
        mine = [a for a in self.state if agent_ids is None or a in agent_ids]
        return AgentCounts(len(mine), [10.0 for a in mine if self.state[a] != "ready"], [])

    def reserve(self, agent_id, call_uuid, campaign_id, wrap_up_seconds=None):
        if self.state.get(agent_id) != "ready":
            return False
        self.state[agent_id] = f"reserved:{call_uuid}"
        return True

    def release(self, agent_id):
        self.state[agent_id] = "ready"

    def dial_string(self, agent_id):
        return f"user/{1000 + agent_id}"
