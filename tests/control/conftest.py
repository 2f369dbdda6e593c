"""Fixtures for control-plane tests: a two-team world, a fake engine, signed-in clients."""
from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.api import DomainEvent, EngineError

PASSWORDS = {"admin": "admin-pass-1", "sup": "sup-pass-12", "agent1": "agent1-pass", "agent2": "agent2-pass",
             "auditor": "auditor-pass"}


class FakeEngine:
    """An EngineAPI stand-in: records commands, keeps agent states, publishes events."""

    def __init__(self) -> None:
        self.commands: list[tuple[Any, ...]] = []
        self.states: dict[int, dict[str, Any]] = {}
        self.subscribers: list[queue.Queue[DomainEvent | None]] = []
        self.fail_with: EngineError | None = None
        self.pacing: dict[int, dict[str, Any]] = {}  # campaign_pacing answers, by campaign id

    def _do(self, *command: Any) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.commands.append(command)

    def publish(self, kind: str, **data: Any) -> None:
        for q in list(self.subscribers):
            q.put(DomainEvent(kind, data))

    def _set(self, agent_id: int, state: str, reason: str = "") -> None:
        self.states[agent_id] = {"agent_id": agent_id, "state": state, "reason": reason}
        self.publish("agent.state", agent_id=agent_id, state=state, reason=reason, call_uuid="")

    def agent_login(self, agent_id: int) -> None:
        self._do("login", agent_id)
        self._set(agent_id, "on_break", "login")

    def agent_logout(self, agent_id: int) -> None:
        self._do("logout", agent_id)
        self._set(agent_id, "logged_out")

    def agent_ready(self, agent_id: int) -> None:
        self._do("ready", agent_id)
        self._set(agent_id, "available")

    def agent_break(self, agent_id: int, reason: str) -> None:
        self._do("break", agent_id, reason)
        self._set(agent_id, "on_break", reason)

    def agent_state(self, agent_id: int) -> dict[str, Any]:
        return self.states.get(agent_id, {"agent_id": agent_id, "state": "logged_out", "reason": ""})

    def extend_wrap_up(self, agent_id: int, seconds: int) -> None:
        self._do("extend_wrap_up", agent_id, seconds)

    def end_wrap_up(self, agent_id: int) -> None:
        self._do("end_wrap_up", agent_id)

    def dial(self, agent_id: int, number: str, campaign_id: int | None = None, contact_id: int | None = None) -> str:
        self._do("dial", agent_id, number, campaign_id, contact_id)
        return "uuid-1"

    def hangup(self, agent_id: int) -> None:
        self._do("hangup", agent_id)

    def hold(self, agent_id: int, on: bool) -> None:
        self._do("hold", agent_id, on)

    def send_dtmf(self, agent_id: int, digits: str) -> None:
        self._do("dtmf", agent_id, digits)

    def transfer(self, agent_id: int, kind: str, target: str, attended: bool = False) -> None:
        self._do("transfer", agent_id, kind, target, attended)

    def complete_transfer(self, agent_id: int) -> None:
        self._do("complete_transfer", agent_id)

    def cancel_transfer(self, agent_id: int) -> None:
        self._do("cancel_transfer", agent_id)

    def three_way(self, agent_id: int, number: str) -> str:
        self._do("three_way", agent_id, number)
        return "uuid-3"

    def preview_next(self, agent_id: int) -> dict[str, Any] | None:
        self._do("preview_next", agent_id)
        return None

    def preview_dial(self, agent_id: int) -> dict[str, Any]:
        self._do("preview_dial", agent_id)
        return {"call_uuid": "uuid-preview"}

    def preview_skip(self, agent_id: int) -> bool:
        self._do("preview_skip", agent_id)
        return False

    def pickup(self, agent_id: int, call_uuid: str) -> None:
        self._do("pickup", agent_id, call_uuid)

    def campaign_pacing(self, campaign_id: int) -> dict[str, Any] | None:
        return self.pacing.get(campaign_id)

    def snapshot(self) -> dict[str, Any]:
        return {"agents": list(self.states.values()), "queues": []}

    def subscribe(self) -> Iterator[DomainEvent]:
        q: queue.Queue[DomainEvent | None] = queue.Queue()
        self.subscribers.append(q)

        def events() -> Iterator[DomainEvent]:
            while True:
                event = q.get()
                if event is None:
                    return
                yield event

        return events()


@dataclass
class World:
    """Ids of everything the fixture made."""

    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


@pytest.fixture
def control_store(request: pytest.FixtureRequest, tmp_path):
    """SQLite by default; tests marked ``postgres`` run on a scratch PostgreSQL database."""
    if request.node.get_closest_marker("postgres") is None:
        yield request.getfixturevalue("sqlite_store")
        return
    from engine.store import database
    from engine.store.db import open_database
    from engine.store.migrations import upgrade
    from tests.conftest import _postgres_scratch_database

    url, drop = _postgres_scratch_database()
    open_database(url)
    upgrade()
    try:
        yield url
    finally:
        database.close()
        drop()  # type: ignore[operator]


@pytest.fixture
def world(control_store) -> World:
    from werkzeug.security import generate_password_hash

    from engine.store import (
        DEFAULT_DISPOSITIONS,
        Agent,
        Campaign,
        CampaignAgent,
        Contact,
        DispositionType,
        Queue,
        Team,
        User,
        UserTeam,
    )

    w = World()
    sales, support = Team.create(name="Sales"), Team.create(name="Support")
    w.ids.update(sales=sales.id, support=support.id)
    teams = {"admin": None, "sup": sales, "agent1": sales, "agent2": support, "auditor": sales}
    roles = {"admin": "admin", "sup": "supervisor", "agent1": "agent", "agent2": "agent", "auditor": "auditor"}
    for name, team in teams.items():
        user = User.create(username=name, password_hash=generate_password_hash(PASSWORDS[name], "pbkdf2:sha256:1000"), role=roles[name])
        w.ids[f"user_{name}"] = user.id
        if team is not None:
            UserTeam.create(user=user, team=team)
    a1 = Agent.create(user=w["user_agent1"], team=sales, name="Alice", extension="1001", sip_password="sip-1001")
    a2 = Agent.create(user=w["user_agent2"], team=support, name="Bob", extension="2001", sip_password="sip-2001")
    w.ids.update(agent1=a1.id, agent2=a2.id)
    for code in DEFAULT_DISPOSITIONS:
        DispositionType.create(campaign=None, code=code, label=code.title(), final=code in ("failed", "success"))
    for team, key, agent in ((sales, "sales", a1), (support, "support", a2)):
        campaign = Campaign.create(name=f"{key} campaign", team=team, caller_id_number="+15550100100",
                                   script="Hello {first_name}!")
        CampaignAgent.create(campaign=campaign, agent=agent)
        contact = Contact.create(campaign=campaign, phone=f"+1415555{2671 if key == 'sales' else 2672}",
                                 first_name=f"{key}-customer")
        queue_row = Queue.create(name=f"{key}-queue", team=team)
        w.ids.update({f"campaign_{key}": campaign.id, f"contact_{key}": contact.id, f"queue_{key}": queue_row.id})
    return w


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def make_client(world, fake_engine):
    """``make_client(role_user, engine=True)`` -> a test client signed in as that user."""
    from control.app import create_app
    from engine.settings import Settings

    def make(username: str | None, *, engine: bool = True, csrf: bool = False, **settings: Any):
        app = create_app(Settings(**settings), TESTING=True, WTF_CSRF_ENABLED=csrf,
                         FSCC_ENGINE=fake_engine if engine else None)
        client = app.test_client()
        if username:
            resp = client.post("/login", data={"username": username, "password": PASSWORDS[username]})
            assert resp.status_code == 302, resp.data
        return client

    return make
