"""An agent logs in, goes ready, receives a call from simswitch, sees the screen pop, saves a
disposition and a callback; a supervisor sees the agent's state change live."""
from __future__ import annotations

import pytest

from tests.browser.conftest import shot, wait_for


def _need_engine(server) -> None:
    if not server.engine:
        pytest.xfail("engine.core / simswitch not importable in this tree: the desk needs the live engine")


def _badge(page) -> str:
    return page.inner_text("#agent-state")


def test_agent_takes_a_call_and_saves_disposition_and_callback(server, sign_in):
    _need_engine(server)
    desk = sign_in("agent1")
    assert desk.url.endswith("/desk/")
    extension = desk.input_value("#login-extension")
    desk.click("#btn-login")
    wait_for(lambda: _badge(desk) == "available")
    desk.select_option("#break-reason", "lunch")
    desk.click("#btn-break")
    wait_for(lambda: _badge(desk) == "on_break")
    assert desk.inner_text("#agent-reason") == "lunch"
    desk.click("#btn-ready")
    wait_for(lambda: _badge(desk) == "available")

    server.inject_call("+14155550100")
    desk.wait_for_selector("#pop", state="visible", timeout=15_000)
    wait_for(lambda: "Grace" in desk.inner_text("#pop-fields"), timeout=15)
    fields = desk.inner_text("#pop-fields")
    assert "Navy Labs" in fields and "gold" in fields
    assert "spring brochure" in desk.inner_text("#pop-history")
    assert desk.inner_text("#pop-script").startswith("Hello Grace")
    wait_for(lambda: _badge(desk) == "in_call", timeout=15)
    assert desk.inner_text("#call-number") == "+14155550100"

    desk.select_option("select[name='answer:interest']", "yes")
    desk.select_option("#disposition-code", "follow_up")
    desk.fill("#disposition-notes", "wants the gold upgrade, call back")
    desk.fill("#disposition-callback", "2d")
    desk.click("#btn-save-disposition")
    wait_for(lambda: "Saved follow_up" in desk.inner_text("#disposition-result"))
    assert "callback at" in desk.inner_text("#disposition-result")
    assert server.query("SELECT code, answers FROM disposition ORDER BY id DESC LIMIT 1") == [
        ("follow_up", '{"interest":"yes"}')]
    wait_for(lambda: "+14155550100" in desk.inner_text("#callback-rows"))
    shot(desk, "agent-desk")
    assert extension
    desk.click("#btn-hangup")
    wait_for(lambda: _badge(desk) in ("wrap_up", "available"), timeout=15)
    if _badge(desk) == "wrap_up":
        desk.click("#btn-wrap-end")
    wait_for(lambda: _badge(desk) == "available", timeout=15)


def test_supervisor_sees_the_agent_state_change_live(server, sign_in):
    _need_engine(server)
    board = sign_in("supervisor")
    board.goto(server.url + "/supervisor/")
    row = board.locator("#agents tbody tr", has_text="Alice Agent")
    assert row.locator("[data-field=state]").inner_text() == "logged_out"
    desk = sign_in("agent1")
    desk.click("#btn-login")
    wait_for(lambda: row.locator("[data-field=state]").inner_text() == "available")
    desk.select_option("#break-reason", "meeting")
    desk.click("#btn-break")
    wait_for(lambda: row.locator("[data-field=state]").inner_text() == "on_break")
    assert row.locator("[data-field=reason]").inner_text() == "meeting"
    # The supervisor forces the agent back to ready from the wallboard.
    row.locator("button", has_text="ready").click()
    wait_for(lambda: _badge(desk) == "available")
    shot(board, "supervisor-wallboard")
