"""An engine-like process for the two-process claim test: claim, write attempts, finish."""
from __future__ import annotations


def dial_everything(url: str, campaign_id: int, owner: str, batch: int, start_event: object) -> int:
    """Claim and 'dial' contacts until none are left; return how many this process dialed."""
    from engine.campaigns.claims import LostClaim, claim_batch, finish_attempt, start_attempt
    from engine.store import Campaign
    from engine.store.db import open_database

    open_database(url)
    campaign = Campaign.get_by_id(campaign_id)
    start_event.wait(30)  # type: ignore[attr-defined]
    dialed = 0
    while True:
        contacts = claim_batch(campaign, batch, owner=owner)
        if not contacts:
            return dialed
        for contact in contacts:
            try:
                attempt = start_attempt(contact, contact.phone, caller_id="+14155550000", node=owner)
            except LostClaim:
                continue
            finish_attempt(attempt, "answered", campaign=campaign)
            dialed += 1


def run_worker(url: str, campaign_id: int, owner: str, batch: int, start_event: object, results: object) -> None:
    """Process entry point: put the count (or the error text) on ``results``."""
    try:
        results.put(dial_everything(url, campaign_id, owner, batch, start_event))  # type: ignore[attr-defined]
    except Exception as exc:  # reported to the test, which fails with it
        results.put(f"{owner}: {exc!r}")  # type: ignore[attr-defined]
