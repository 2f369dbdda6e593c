"""CDR variables FreeSWITCH sets at hangup (ESL_PROTOCOL.md §16), in the transcript order."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from simswitch.causes import q850

if TYPE_CHECKING:
    from simswitch.channel import Channel


def _stamp(us: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us // 1_000_000)) if us else ""


def hangup_variables(channel: Channel) -> dict[str, str]:
    """hangup_cause, stamps, epochs and duration/billsec/answersec... for HANGUP_COMPLETE."""
    t = channel.times
    start = channel.created_us
    answer = t["Answered"]
    end = channel.switch.clock.now_us()
    bridge = t["Bridged"]
    progress = t["Progress"]
    media = t["Progress-Media"]
    cause = channel.hangup_cause or "NORMAL_CLEARING"
    out: dict[str, str] = {"hangup_cause": cause, "hangup_cause_q850": str(q850(cause))}
    if channel.name.startswith("sofia/"):
        out["sip_hangup_disposition"] = channel.sip_disposition
    out["digits_dialed"] = "none"
    out["start_stamp"] = _stamp(start)
    out["profile_start_stamp"] = _stamp(start)
    if answer:
        out["answer_stamp"] = _stamp(answer)
    if bridge:
        out["bridge_stamp"] = _stamp(bridge)
    if progress:
        out["progress_stamp"] = _stamp(progress)
    if media:
        out["progress_media_stamp"] = _stamp(media)
    out["end_stamp"] = _stamp(end)
    for name, value in (("start", start), ("profile_start", start), ("answer", answer),
                        ("bridge", bridge), ("last_hold", 0)):
        out[f"{name}_epoch"] = str(value // 1_000_000)
        out[f"{name}_uepoch"] = str(value)
    out.update({"hold_accum_seconds": "0", "hold_accum_usec": "0", "hold_accum_ms": "0",
                "resurrect_epoch": "0", "resurrect_uepoch": "0"})
    for name, value in (("progress", progress), ("progress_media", media), ("end", end)):
        out[f"{name}_epoch"] = str(value // 1_000_000)
        out[f"{name}_uepoch"] = str(value)
    if channel.last_app:
        out["last_app"] = channel.last_app
    if channel.last_arg:
        out["last_arg"] = channel.last_arg
    profile = channel.profile
    name, number = profile["Caller-ID-Name"], profile["Caller-ID-Number"]
    out["caller_id"] = f'"{name}" <{number}>' if name else number

    def span(since: int, until: int) -> int:
        return max(0, until - since) if since and until else 0

    spans = {
        "duration": span(start, end), "billsec": span(answer, end),
        "progresssec": span(start, progress), "answersec": span(start, answer),
        "waitsec": span(start, bridge), "progress_mediasec": span(start, media),
        "flow_billsec": span(start, end) if answer else 0,
    }
    for key, us in spans.items():
        out[key] = str(us // 1_000_000)
    for key, us in spans.items():
        out[_unit(key, "m")] = str(us // 1000)
    for key, us in spans.items():
        out[_unit(key, "u")] = str(us)
    return out


def _unit(key: str, unit: str) -> str:
    """duration → mduration/uduration, billsec → billmsec/billusec."""
    if key == "duration":
        return f"{unit}duration"
    return key[:-3] + ("msec" if unit == "m" else "usec")
