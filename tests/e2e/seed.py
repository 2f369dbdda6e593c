"""Seed the end-to-end store: users with API tokens, agents 1000.. with SIP passwords, a queue,
routes and an IVR flow. Run as a script (its own process, like `fscc db upgrade`); prints the
tokens as JSON on stdout.

    python tests/e2e/seed.py DATABASE_URL DIALPLANS_DIR AGENT_COUNT
"""
from __future__ import annotations

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from control.auth import hash_password  # noqa: E402
from engine.store import (  # noqa: E402
    DEFAULT_DISPOSITIONS,
    Agent,
    ApiToken,
    DispositionType,
    Queue,
    QueueMember,
    Schedule,
    Team,
    User,
    UserTeam,
    database,
    open_database,
)
from engine.store.migrations import upgrade  # noqa: E402

ROUTES = """\
routes:
  - name: menu
    did: "8001"
    to: {ivr: e2e_menu}
  - name: support
    did: "8002"
    to: {queue: support}
  - name: overflow
    did: "8003"
    to: {queue: overflow}
default: {hangup: UNALLOCATED_NUMBER}
"""

FLOW = """\
name: e2e_menu
description: Press 1 for support.
start: menu
nodes:
  menu:
    type: menu
    prompt: main_menu_en.wav
    invalid_prompt: invalid.wav
    choices:
      "1": support
    timeout: 8
    retries: 1
    into: ivr_key
    no_input: bye
  support:
    type: queue
    queue: support
  bye:
    type: hangup
    prompt: goodbye.wav
"""


def seed(database_url: str, dialplans: pathlib.Path, agent_count: int) -> dict[str, str]:
    open_database(database_url)
    upgrade()
    tokens: dict[str, str] = {}
    with database.atomic():
        team = Team.create(name="E2E", description="end-to-end")
        hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
        always = Schedule.create(name="Always open", hours=hours, timezone="UTC")
        for username, role in (("admin", "admin"), ("supervisor", "supervisor")):
            user = User.create(username=username, password_hash=hash_password(f"{username}-pw"), role=role,
                               full_name=username.title())
            UserTeam.create(user=user, team=team)
            tokens[username] = ApiToken.issue(user, "e2e")[1]
        support = Queue.create(name="support", team=team, strategy="longest_idle", schedule=always, record=True,
                               offer_timeout_seconds=15, wrap_up_seconds=0, max_wait_seconds=120,
                               announce_position_seconds=0)
        # No members: callers wait max_wait_no_agents_seconds, then leave a voicemail.
        Queue.create(name="overflow", team=team, strategy="longest_idle", schedule=always,
                     max_wait_no_agents_seconds=2, overflow_kind="voicemail", overflow_target="1000",
                     announce_position_seconds=0)
        for i in range(agent_count):
            extension = str(1000 + i)
            user = User.create(username=f"agent{extension}", password_hash=hash_password("agent-pw"), role="agent",
                               full_name=f"Agent {extension}")
            UserTeam.create(user=user, team=team)
            agent = Agent.create(user=user, team=team, name=f"Agent {extension}", extension=extension,
                                 sip_password=f"e2e-sip-{extension}", wrap_up_seconds=0)
            QueueMember.create(queue=support, agent=agent, position=i + 1)
            tokens[f"agent{extension}"] = ApiToken.issue(user, "e2e")[1]
        for code in DEFAULT_DISPOSITIONS:
            DispositionType.get_or_create(campaign=None, code=code,
                                          defaults={"label": code.title(), "success": code == "success",
                                                    "final": code in ("failed", "success")})
    database.close()
    dialplans.mkdir(parents=True, exist_ok=True)
    for shipped in (ROOT / "dialplans").glob("*.yaml"):
        if shipped.name != "routes.yaml":
            (dialplans / shipped.name).write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    (dialplans / "routes.yaml").write_text(ROUTES, encoding="utf-8")
    (dialplans / "e2e_menu.yaml").write_text(FLOW, encoding="utf-8")
    return tokens


if __name__ == "__main__":
    print(json.dumps(seed(sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3]))))
