"""Prometheus metrics at /metrics: HTTP requests, agents by state, contacts by status, and
each running campaign's pacing (abandon rates, the pacer's last decision and estimates).

The gauges are read at scrape time (a custom collector), so they cost nothing between
scrapes and never drift from the engine or the store.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import peewee
from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.store import AGENT_STATES, Campaign, Contact

bp = Blueprint("metrics", __name__)


class StateCollector(Collector):
    """Agents per state and contacts per campaign status, at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from control.engine_link import agent_states

        with self.app.app_context():
            agents = GaugeMetricFamily("fscc_agents", "Agents per state", labels=["state"])
            counts = dict.fromkeys(AGENT_STATES, 0)
            for current in agent_states().values():
                name = str(current.get("state", "logged_out"))
                counts[name] = counts.get(name, 0) + 1
            for name, n in counts.items():
                agents.add_metric([name], n)
            yield agents
            contacts = GaugeMetricFamily("fscc_campaign_contacts", "Contacts per campaign and status",
                                         labels=["campaign", "status"])
            rows: Any = (Contact.select(Campaign.name, Contact.status, peewee.fn.COUNT(Contact.id))
                    .join(Campaign).group_by(Campaign.name, Contact.status).tuples())
            for campaign, status, n in rows:
                contacts.add_metric([campaign, status], n)
            yield contacts
            yield from _queue_metrics()
            running = GaugeMetricFamily("fscc_campaigns", "Campaigns per status", labels=["status"])
            by_status: Any = Campaign.select(Campaign.status, peewee.fn.COUNT(Campaign.id)).group_by(Campaign.status).tuples()
            for status, n in by_status:
                running.add_metric([status], n)
            yield running
            yield from _campaign_metrics()


def campaign_pacing(campaign: Campaign) -> dict[str, Any]:
    """A campaign's pacing as ``EngineAPI.campaign_pacing`` reports it; without an engine
    dialing it, only the abandon rates (from the Attempt rows) and no decision or estimates."""
    from control.engine_link import maybe_engine
    from engine.campaigns.outcomes import abandon_rates

    engine = maybe_engine()
    status = engine.campaign_pacing(campaign.id) if engine is not None else None
    if status is not None:
        return status
    rates = abandon_rates(campaign, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    return {"campaign_id": campaign.id, "name": campaign.name, "status": campaign.status,
            "mode": campaign.dial_mode, "pacer": "", "decision": None, "estimates": {}, "observed": {},
            "abandon": {**rates.as_dict(), "target": float(campaign.abandon_target)}}


DECISION_GAUGES = (("lines", "fscc_campaign_pacer_lines", "Calls the pacer asked for at its last decision"),
                   ("launched", "fscc_campaign_pacer_launched", "Calls launched at the last pacing decision"),
                   ("agents_ready", "fscc_campaign_agents_ready", "Ready agents at the last pacing decision"),
                   ("calls_ringing", "fscc_campaign_calls_ringing", "Calls ringing at the last pacing decision"))


def _campaign_metrics() -> Iterator[GaugeMetricFamily]:
    """Per running campaign: abandon rates and target, the last decision, the pacer's estimates."""
    labels = ["campaign"]
    rate = GaugeMetricFamily("fscc_campaign_abandon_rate", "Abandoned / human answers (0-1)",
                             labels=["campaign", "window"])
    target = GaugeMetricFamily("fscc_campaign_abandon_target", "The campaign's abandon-rate target (0-1)", labels=labels)
    decision = {key: GaugeMetricFamily(name, text, labels=labels) for key, name, text in DECISION_GAUGES}
    threshold = GaugeMetricFamily("fscc_campaign_pacer_threshold",
                                  "Predictive pacer's risk threshold for the last call it launches", labels=labels)
    answer = GaugeMetricFamily("fscc_campaign_answer_probability", "Estimated human-answer probability",
                               labels=labels)
    means = GaugeMetricFamily("fscc_campaign_duration_mean_seconds", "Estimated mean duration by phase",
                              labels=["campaign", "phase"])
    for campaign in Campaign.select().where(Campaign.status == "running").order_by(Campaign.id):
        status, name = campaign_pacing(campaign), str(campaign.name)
        abandon = status["abandon"]
        rate.add_metric([name, "today"], float(abandon["rate_today"]))
        rate.add_metric([name, "30d"], float(abandon["rate_30d"]))
        target.add_metric([name], float(abandon["target"]))
        last = status.get("decision") or {}
        for key, family in decision.items():
            if key in last:
                family.add_metric([name], float(last[key]))
        if "threshold" in (last.get("pacer") or {}):
            threshold.add_metric([name], float(last["pacer"]["threshold"]))
        estimates = status.get("estimates") or {}
        if "answer_probability" in estimates:
            answer.add_metric([name], float(estimates["answer_probability"]))
        for phase in ("ring_to_answer", "talk", "wrap"):
            if f"mean_{phase}_seconds" in estimates:
                means.add_metric([name, phase], float(estimates[f"mean_{phase}_seconds"]))
    yield from (rate, target, *decision.values(), threshold, answer, means)


def _queue_metrics() -> Iterator[GaugeMetricFamily]:
    """Live queue counters from the engine's snapshot (nothing when the engine is not here)."""
    from control.engine_link import maybe_engine

    engine = maybe_engine()
    if engine is None:
        return
    queues = engine.snapshot().get("queues", [])
    for name, help_text in (("waiting", "Callers waiting"), ("answered", "Calls answered today"),
                            ("abandoned", "Calls abandoned today"), ("service_level", "Service level (0-1)")):
        family = GaugeMetricFamily(f"fscc_queue_{name}", help_text, labels=["queue"])
        for queue in queues:
            if name in queue and queue[name] is not None:
                family.add_metric([str(queue.get("name", ""))], float(queue[name]))
        yield family


def init_app(app: Flask) -> None:
    registry = CollectorRegistry()
    requests = Counter("fscc_http_requests", "HTTP requests served", ["endpoint", "method", "status"], registry=registry)
    latency = Histogram("fscc_http_request_seconds", "HTTP request time", ["endpoint"], registry=registry)
    registry.register(StateCollector(app))
    app.config["FSCC_METRICS"] = registry

    @app.before_request
    def _start() -> None:
        g.fscc_started = time.perf_counter()

    @app.after_request
    def _count(response: Any) -> Any:
        endpoint = request.endpoint or "unknown"
        requests.labels(endpoint, request.method, str(response.status_code)).inc()
        if "fscc_started" in g and not response.is_streamed:
            latency.labels(endpoint).observe(time.perf_counter() - g.fscc_started)
        return response

    app.register_blueprint(bp)


@bp.route("/metrics")
def metrics() -> Any:
    """Open by default; ``extra.metrics.allowed_ips`` limits who may scrape."""
    from control.access import ip_allowed

    extra = current_app.config["FSCC_SETTINGS"].extra or {}
    if not ip_allowed(request.remote_addr or "", list((extra.get("metrics") or {}).get("allowed_ips") or [])):
        return Response("forbidden", status=403, mimetype="text/plain")
    return Response(generate_latest(current_app.config["FSCC_METRICS"]), mimetype=CONTENT_TYPE_LATEST)
