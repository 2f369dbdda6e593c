"""Inbound-connection transcripts replayed against `esl_target` (simswitch or real FS)."""

from __future__ import annotations

import json

import pytest

from tests.simswitch.conftest import Target
from tests.simswitch.replay import Connection, Transcript, compare, replay


def _json_rows(want: str, got: str) -> bool:
    """`show api as json`: same shape (row_count + rows of name/description/syntax/ikey)."""
    data = json.loads(got.replace("N", "0")) if got.startswith("{") else {}
    return bool(data.get("rows")) and set(data["rows"][0]) == {
        "name", "description", "syntax", "ikey"}


def _same_first_line(want: str, got: str) -> bool:
    """Reports whose rows depend on the machine: compare the heading line only."""
    return want.split("\n")[0] == got.split("\n")[0]


BODY_RULES = {
    '{"row_count":N,"rows":[{"name":"..."': _json_rows,
    "                     Name\t   Type": _same_first_line,
}


TIMER_EVENTS = frozenset({"HEARTBEAT", "RE_SCHEDULE"})  # FreeSWITCH's 20 s timers


def run(target: Target, name: str, **kwargs: object) -> tuple[Transcript, list]:
    transcript = Transcript.load(name, ignore=TIMER_EVENTS)
    conn = Connection(target.connect())
    try:
        frames = replay(transcript, conn, **kwargs)  # type: ignore[arg-type]
    finally:
        conn.close()
    return transcript, frames


@pytest.mark.parametrize("name", [
    "a1_auth_api_status_channels_unknown",
    "a2_wrong_password",
    "a3_command_before_auth",
    "d_originate_failures",
    "j_misc_log_filter_sendevent",
])
def test_replies_and_events_match(esl_target: Target, name: str) -> None:
    transcript, frames = run(esl_target, name)
    diff = compare(transcript.frames, frames, body_rules=BODY_RULES)
    assert diff.empty(), str(diff)


@pytest.mark.parametrize("name", [
    "b_events_plain_originate_kill",
    "c_events_json_originate_kill",
    "h_events_xml_originate_kill",
])
def test_originate_kill_event_sequence(esl_target: Target, name: str) -> None:
    transcript, frames = run(esl_target, name)
    # HEARTBEAT / RE_SCHEDULE fire on FreeSWITCH's 20 s timer, not caused by the commands.
    diff = compare(transcript.frames, frames, skip_events={"HEARTBEAT", "RE_SCHEDULE"})
    assert diff.empty(), str(diff)
