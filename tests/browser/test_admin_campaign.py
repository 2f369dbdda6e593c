"""An admin creates a campaign, imports a CSV with one bad row (sees the error report), starts it."""
from __future__ import annotations

import re

from tests.browser.conftest import shot

CSV = (
    "Phone,First name,Last name,Plan\n"
    "+14155550201,Ada,Lovelace,gold\n"
    "+14155550202,Alan,Turing,silver\n"
    "not-a-phone,Bad,Row,none\n"
    "(415) 555-0203,Edsger,Dijkstra,gold\n"
)


def test_admin_creates_imports_and_starts_a_campaign(server, sign_in, browser, tmp_path):
    login = browser.new_page(viewport={"width": 1180, "height": 760})
    login.goto(server.url + "/")
    assert "admin-demo" in login.inner_text("#demo-users")
    shot(login, "login")
    login.close()
    page = sign_in("admin")
    page.click("nav >> text=Campaigns")
    page.click("text=New campaign")
    page.fill("#f-name", "Browser autumn offer")
    page.select_option("#f-team", label="Sales")
    page.select_option("#f-dial_mode", "preview")
    page.fill("#f-caller_id_number", "")
    page.click("#save")
    # Server-side validation: the caller ID is required with the fixed caller-ID mode.
    assert "a caller ID is always set" in page.inner_text("#field-caller_id_number")
    page.fill("#f-caller_id_number", "+14155550100")
    page.fill("#f-script", "Hi {first_name}, about your {plan} plan...")
    page.fill("#f-no_agent_message", "Sorry, all our agents are busy; we will call you back.")
    shot(page, "admin-campaign-form")
    page.click("#save")
    errors = page.locator("small.error").all_inner_texts()
    assert not errors, errors
    assert "Campaign saved." in page.inner_text(".flash")
    campaign_id = re.search(r"/admin/campaigns/(\d+)", page.url).group(1)

    page.goto(f"{server.url}/admin/campaigns/{campaign_id}/detail")
    assert page.inner_text("#campaign-status") == "draft"
    page.click("#import-link")
    source = tmp_path / "contacts.csv"
    source.write_text(CSV)
    page.set_input_files("input[name=file]", str(source))
    page.click("#upload")
    page.wait_for_url(re.compile(r".*/mapping$"))
    assert page.locator("#mapping select[name=col0]").input_value() == "phone"
    page.select_option("#mapping select[name=col1]", "first_name")
    page.select_option("#mapping select[name=col2]", "last_name")
    shot(page, "admin-import-mapping")
    page.click("#start-import")
    page.wait_for_selector("#error-report", state="visible")
    assert page.inner_text("#import-imported") == "3"
    assert page.inner_text("#import-rejected") == "1"
    rejected = page.inner_text("#rejected-rows")
    assert "not-a-phone" in rejected or "invalid_number" in rejected
    assert re.search(r"\b4\b", rejected), "the bad row's line number is shown"
    shot(page, "admin-import-report")
    with page.expect_download() as download:
        page.click("#error-report")
    report = download.value.path().read_text()
    assert report.splitlines()[0].startswith("row,reason") and "not-a-phone" in report

    page.goto(f"{server.url}/admin/campaigns/{campaign_id}/detail")
    assert "total: 3" in page.inner_text("#progress-counts")
    page.click("#lifecycle-start")
    status = page.inner_text("#campaign-status")
    # With no agent ready the engine keeps it scheduled until one is.
    assert status in ("running", "scheduled"), status
    assert "draft → " in page.inner_text(".flash")
    shot(page, "admin-campaign-detail")
