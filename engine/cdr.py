"""One ``Cdr`` row per call, written from the customer channel's CHANNEL_HANGUP_COMPLETE.

Agent and consult legs do not get rows of their own: they are listed in the call's
``legs``. A leg that ends after its call's row was written updates that row's list.
"""
from __future__ import annotations

import logging
from typing import Any

from engine.calls import Call, CallTable
from engine.clock import utc_datetime

log = logging.getLogger(__name__)


def cdr_fields(call: Call, legs: list[dict[str, Any]]) -> dict[str, Any]:
    """The column values of a call's CDR (pure: easy to check against events)."""
    started = call.created_at or call.ended_at or 0.0
    return {
        "call_uuid": call.uuid,
        "direction": "inbound" if call.role == "customer" and call.direction == "inbound" else (call.direction or "internal"),
        "node": call.node,
        "caller_number": call.caller_number[:40],
        "destination_number": call.destination_number[:40],
        "legs": legs,
        "queue": call.queue_id,
        "campaign": call.campaign_id,
        "agent": call.agent_id,
        "attempt": call.attempt_id,
        "started_at": utc_datetime(started),
        "answered_at": utc_datetime(call.answered_at) if call.answered_at else None,
        "ended_at": utc_datetime(call.ended_at) if call.ended_at else None,
        "duration": call.duration,
        "billsec": call.billsec,
        "queue_wait_seconds": round(call.queue_wait, 3),
        "hangup_cause": call.hangup_cause,
        "sip_hangup_disposition": call.sip_hangup_disposition,
        "disposition": call.disposition,
        "satisfaction": call.satisfaction,
        "abandoned": call.abandoned,
    }


def write_cdr(call: Call, calls: CallTable) -> Any:
    """Insert (or, after a restart, replace) the call's CDR row."""
    from engine.store import Cdr

    legs = list(call.leg_summaries.values()) + [
        leg.summary() for leg in (calls.get(uuid) for uuid in call.legs)
        if leg is not None and leg.uuid not in call.leg_summaries
    ]
    fields = cdr_fields(call, legs)
    existing = Cdr.get_or_none(Cdr.call_uuid == call.uuid)
    if existing is not None:
        Cdr.update(**fields).where(Cdr.id == existing.id).execute()
        return Cdr.get_by_id(existing.id)
    return Cdr.create(**fields)


def update_leg(parent_uuid: str, leg: Call) -> None:
    """A leg ended after its call's CDR was written: refresh it in ``legs``."""
    from engine.store import Cdr

    row = Cdr.get_or_none(Cdr.call_uuid == parent_uuid)
    if row is None:
        return
    legs = [item for item in row.legs if item.get("uuid") != leg.uuid] + [leg.summary()]
    Cdr.update(legs=legs).where(Cdr.id == row.id).execute()


def set_satisfaction(call_uuid: str, score: int) -> None:
    """Store a rating that arrived after the CDR was written."""
    from engine.store import Cdr

    Cdr.update(satisfaction=score).where(Cdr.call_uuid == call_uuid).execute()
