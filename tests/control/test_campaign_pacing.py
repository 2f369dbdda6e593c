"""A campaign's pacing (last decision, pacer estimates, abandon rates) in /metrics, on the
campaign detail page and in its live progress feed."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from engine.store import Attempt, Campaign

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None)


def status(campaign_id: int) -> dict[str, Any]:
    """What ``Engine.campaign_pacing`` returns for a predictive campaign."""
    return {
        "campaign_id": campaign_id, "name": "sales campaign", "status": "running", "mode": "predictive",
        "pacer": "predictive",
        "decision": {"at": 0.0, "lines": 4, "launched": 3, "agents_ready": 2, "agents_logged_in": 5,
                     "agents_in_call": 3, "agents_wrap_up": 0, "calls_ringing": 6, "calls_waiting": 0,
                     "calls_in_progress": 9, "pacer": {"threshold": 0.0125, "predictive": 1.0, "floor": 0.0}},
        "estimates": {"answer_probability": 0.31, "mean_ring_to_answer_seconds": 7.5, "mean_talk_seconds": 95.25,
                      "mean_wrap_seconds": 12.0, "observations": {"answer": 400, "ring_to_answer": 124,
                                                                  "talk": 120, "wrap": 120}, "ready": True},
        "observed": {"human": 124, "unanswered": 276, "machine": 0, "abandoned": 2, "talk": 120, "wrap": 120},
        "abandon": {"answered_today": 124, "abandoned_today": 2, "rate_today": 0.0161, "answered_30d": 500,
                    "abandoned_30d": 10, "rate_30d": 0.02, "target": 0.03},
    }


def running(world, *keys: str) -> None:
    for key in keys:
        Campaign.update(status="running", dial_mode="predictive").where(
            Campaign.id == world[f"campaign_{key}"]).execute()


def attempts(campaign_id: int, answered: int, abandoned: int) -> None:
    for n in range(answered):
        Attempt.create(campaign=campaign_id, phone=f"+1415555{n:04d}", origination_uuid=f"u{campaign_id}-{n}",
                       created_at=NOW - dt.timedelta(minutes=1), answered_at=NOW - dt.timedelta(minutes=1),
                       outcome="abandoned" if n < abandoned else "answered", abandoned=n < abandoned)


def test_metrics_show_each_running_campaigns_pacing(world, make_client, fake_engine):
    running(world, "sales", "support")
    fake_engine.pacing[world["campaign_sales"]] = status(world["campaign_sales"])
    attempts(world["campaign_support"], answered=4, abandoned=1)  # not dialed by this engine: rates from the store
    text = make_client("admin").get("/metrics").get_data(as_text=True)
    for line in ('fscc_campaign_abandon_rate{campaign="sales campaign",window="today"} 0.0161',
                 'fscc_campaign_abandon_rate{campaign="sales campaign",window="30d"} 0.02',
                 'fscc_campaign_abandon_target{campaign="sales campaign"} 0.03',
                 'fscc_campaign_pacer_lines{campaign="sales campaign"} 4.0',
                 'fscc_campaign_pacer_launched{campaign="sales campaign"} 3.0',
                 'fscc_campaign_agents_ready{campaign="sales campaign"} 2.0',
                 'fscc_campaign_calls_ringing{campaign="sales campaign"} 6.0',
                 'fscc_campaign_pacer_threshold{campaign="sales campaign"} 0.0125',
                 'fscc_campaign_answer_probability{campaign="sales campaign"} 0.31',
                 'fscc_campaign_duration_mean_seconds{campaign="sales campaign",phase="ring_to_answer"} 7.5',
                 'fscc_campaign_duration_mean_seconds{campaign="sales campaign",phase="talk"} 95.25',
                 'fscc_campaign_duration_mean_seconds{campaign="sales campaign",phase="wrap"} 12.0',
                 'fscc_campaign_abandon_rate{campaign="support campaign",window="today"} 0.25',
                 'fscc_campaign_abandon_rate{campaign="support campaign",window="30d"} 0.25'):
        assert line in text, line
    # no decision or estimates for a campaign the engine does not dial
    assert 'fscc_campaign_pacer_lines{campaign="support campaign"}' not in text
    assert 'fscc_campaign_answer_probability{campaign="support campaign"}' not in text


def test_metrics_without_an_engine_still_give_abandon_rates(world, make_client):
    running(world, "sales")
    attempts(world["campaign_sales"], answered=10, abandoned=1)
    text = make_client(None, engine=False).get("/metrics").get_data(as_text=True)
    assert 'fscc_campaign_abandon_rate{campaign="sales campaign",window="today"} 0.1' in text
    assert 'fscc_campaign_pacer_lines{campaign="sales campaign"}' not in text


def test_campaign_page_shows_pacing_and_its_feed_carries_it(world, make_client, fake_engine):
    cid = world["campaign_sales"]
    running(world, "sales")
    client = make_client("sup")
    idle = client.get(f"/admin/campaigns/{cid}/detail").get_data(as_text=True)
    assert 'id="pacing"' in idle and 'id="pacing-idle"' in idle  # not dialed by the engine yet
    fake_engine.pacing[cid] = status(cid)
    page = client.get(f"/admin/campaigns/{cid}/detail").get_data(as_text=True)
    assert 'id="pacing-idle"' not in page
    for shown in ('data-pacing="decision.lines" data-format="">4<',
                  'data-pacing="decision.calls_ringing" data-format="">6<',
                  'data-pacing="decision.pacer.threshold" data-format="fraction">0.013<',  # 0.0125 to 3 places
                  'data-pacing="estimates.answer_probability" data-format="percent">31.0 %<',
                  'data-pacing="estimates.mean_talk_seconds" data-format="seconds">95.2 s<',
                  'data-pacing="abandon.rate_today" data-format="percent">1.6 %<',
                  'data-pacing="abandon.target" data-format="percent">3.0 %<'):
        assert shown in page, shown
    feed = client.get(f"/admin/campaigns/{cid}/progress?limit=0.05").get_data(as_text=True)
    first = next(block for block in feed.split("\n\n") if block.startswith("event: snapshot"))
    data = json.loads(first.split("data: ", 1)[1])
    assert data["pacing"] == status(cid)
