"""CDR fields from events, WAV metadata, dated paths, and what a rating leaves behind."""
from __future__ import annotations

import datetime as dt
import pathlib
import wave

from engine.acd.callflow import CallFlow
from engine.calls import Call, CallTable
from engine.cdr import cdr_fields, update_leg, write_cdr
from engine.esl.event import Event
from engine.recordings import recording_path, save_recording, wav_info


def event(name: str, uuid: str, **headers: str) -> Event:
    return Event({"Event-Name": name, "Unique-ID": uuid, **headers})


def test_call_is_updated_only_from_events_and_feeds_the_cdr() -> None:
    table = CallTable()
    uuid = "c1"
    table.apply(event("CHANNEL_CREATE", uuid, **{"Caller-Caller-ID-Number": "+14155550100", "Caller-Destination-Number": "100",
                                                 "Call-Direction": "inbound", "Caller-Channel-Created-Time": "1700000000000000"}))
    table.apply(event("CHANNEL_ANSWER", uuid, **{"Caller-Channel-Answered-Time": "1700000002000000"}))
    table.apply(event("CHANNEL_BRIDGE", uuid, **{"Bridge-A-Unique-ID": uuid, "Bridge-B-Unique-ID": "leg",
                                                 "Other-Leg-Unique-ID": "leg"}))
    call = table.get(uuid)
    assert call is not None and call.bridged_to == "leg" and call.answered
    call.entered_queue_at, call.left_queue_at = 1700000002.0, 1700000009.5
    table.apply(event("CHANNEL_HANGUP_COMPLETE", uuid, **{"Hangup-Cause": "NORMAL_CLEARING", "variable_billsec": "58",
                                                          "variable_duration": "60", "Caller-Channel-Hangup-Time": "1700000060000000",
                                                          "variable_sip_hangup_disposition": "recv_bye"}))
    fields = cdr_fields(call, [])
    assert fields["started_at"] == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert (fields["billsec"], fields["duration"], fields["hangup_cause"]) == (58, 60, "NORMAL_CLEARING")
    assert fields["queue_wait_seconds"] == 7.5 and fields["direction"] == "inbound"
    table.apply(event("CHANNEL_DESTROY", uuid))
    assert uuid not in table


def test_write_cdr_with_legs_and_late_leg_update(sqlite_store: str) -> None:
    from engine.store import Cdr

    table = CallTable()
    call = table.add(Call(uuid="c2", created_at=1700000000.0, ended_at=1700000010.0, legs=["l1"], hangup_cause="NORMAL_CLEARING"))
    leg = table.add(Call(uuid="l1", role="agent", parent_uuid="c2", agent_id=None))
    write_cdr(call, table)
    leg.hangup_cause, leg.outcome = "NORMAL_CLEARING", "connected"
    update_leg("c2", leg)
    row = Cdr.get(Cdr.call_uuid == "c2")
    assert [item["outcome"] for item in row.legs] == ["connected"]


def write_wav(path: pathlib.Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(b"\x00\x00" * int(seconds * rate))


def test_recording_path_and_row_from_a_real_wav(sqlite_store: str, tmp_path: pathlib.Path) -> None:
    from engine.store import Recording

    path = recording_path(tmp_path, "abc", dt.datetime(2026, 3, 4, 23, 59, tzinfo=dt.UTC).timestamp())
    assert path == tmp_path / "2026" / "03" / "04" / "abc.wav"
    path.parent.mkdir(parents=True)
    write_wav(path, 2.5)
    assert wav_info(path).duration_seconds == 2.5
    save_recording(path, "abc", started_at=0.0, direction="inbound", phone="+14155550100")
    row = Recording.get()
    assert (row.duration_seconds, row.size_bytes) == (2.5, path.stat().st_size)
    assert save_recording(tmp_path / "missing.wav", "x", started_at=0.0) is None


class _Bus:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, object]]] = []

    def publish(self, kind: str, /, **data: object) -> None:
        self.events.append((kind, data))


class _Engine:
    def __init__(self) -> None:
        self.bus = _Bus()


def test_low_rating_is_stored_and_opens_a_team_callback(sqlite_store: str) -> None:
    from engine.store import Callback, Cdr, Queue, Team

    team = Team.create(name="Care")
    queue = Queue.create(name="care", team=team)
    call = Call(uuid="c3", caller_number="+14155550100", queue_id=queue.id, created_at=1.0)
    write_cdr(call, CallTable())
    flow = CallFlow(_Engine())  # type: ignore[arg-type]
    flow.record_rating(call, 2)
    assert Cdr.get(Cdr.call_uuid == "c3").satisfaction == 2
    callback = Callback.get()
    assert callback.team is not None and callback.team.id == team.id and callback.phone == "+14155550100"
    flow.record_rating(Call(uuid="c4", caller_number="+1", queue_id=queue.id), 5)
    assert Callback.select().count() == 1
