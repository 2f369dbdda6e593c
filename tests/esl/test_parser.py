"""The sans-I/O parser against every real FreeSWITCH transcript, byte for byte."""

from __future__ import annotations

import collections

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.esl.errors import ESLProtocolError
from engine.esl.event import Event
from engine.esl.parser import ESLParser, Frame
from tests.esl.transcripts import SCENARIOS, recv_bytes, recv_chunks

EXPECTED_TYPES = {
    "a1_auth_api_status_channels_unknown": {
        "auth/request": 1, "command/reply": 6, "api/response": 9,
        "text/event-plain": 1, "text/disconnect-notice": 1,
    },
    "a2_wrong_password": {"auth/request": 1, "command/reply": 1, "text/disconnect-notice": 1},
    "a3_command_before_auth": {
        "auth/request": 1, "command/reply": 4, "text/disconnect-notice": 1,
    },
    "b_events_plain_originate_kill": {
        "auth/request": 1, "command/reply": 5, "text/event-plain": 46, "api/response": 1,
        "text/disconnect-notice": 1,
    },
    "c_events_json_originate_kill": {
        "auth/request": 1, "command/reply": 5, "text/event-json": 48, "api/response": 1,
        "text/disconnect-notice": 1,
    },
    "d_originate_failures": {
        "auth/request": 1, "command/reply": 5, "api/response": 6, "text/event-plain": 14,
        "text/disconnect-notice": 1,
    },
    "e1_outbound_socket_session": {
        "command/reply": 9, "text/event-plain": 21, "api/response": 2,
        "text/disconnect-notice": 1,
    },
    "e2_outbound_trigger_inbound_side": {
        "auth/request": 1, "command/reply": 4, "text/event-plain": 3, "api/response": 1,
        "text/disconnect-notice": 1,
    },
    "e3_outbound_socket_json_linger_timeout": {
        "command/reply": 12, "text/event-json": 8, "api/response": 1,
        "text/disconnect-notice": 2,
    },
    "e4_outbound2_trigger_inbound_side": {
        "auth/request": 1, "command/reply": 4, "text/event-plain": 1, "api/response": 1,
        "text/disconnect-notice": 1,
    },
    "f_conference": {
        "auth/request": 1, "command/reply": 6, "text/event-plain": 21, "api/response": 15,
        "text/disconnect-notice": 1,
    },
    "g_callcenter": {
        "auth/request": 1, "command/reply": 5, "api/response": 21, "text/event-plain": 25,
        "text/disconnect-notice": 1,
    },
    "h_events_xml_originate_kill": {
        "auth/request": 1, "command/reply": 5, "text/event-xml": 46, "api/response": 1,
        "text/disconnect-notice": 1,
    },
    "i1_sip_call_fs_to_sipp_uas": {
        "auth/request": 1, "command/reply": 5, "text/event-plain": 28, "api/response": 1,
        "text/disconnect-notice": 1,
    },
    "i2_sip_call_sipp_uac_to_fs": {
        "auth/request": 1, "command/reply": 4, "text/event-plain": 30,
        "text/disconnect-notice": 1,
    },
    "j_misc_log_filter_sendevent": {
        "auth/request": 1, "command/reply": 15, "api/response": 10, "log/data": 1,
        "text/event-plain": 1, "text/event-json": 1, "text/disconnect-notice": 1,
    },
}

GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def parse_all(scenario: str) -> list[Frame]:
    parser = ESLParser()
    frames = parser.feed(recv_bytes(scenario))
    assert parser.buffered == 0, "bytes left over after the last frame"
    return frames


def frame_key(frame: Frame) -> tuple[object, ...]:
    return (tuple(frame.headers.pairs), frame.body)


def test_every_transcript_is_covered() -> None:
    assert sorted(EXPECTED_TYPES) == SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_frame_types_per_transcript(scenario: str) -> None:
    frames = parse_all(scenario)
    counts = collections.Counter(frame.content_type for frame in frames)
    assert dict(counts) == EXPECTED_TYPES[scenario]
    for frame in frames:
        length = frame.headers.get("Content-Length")
        assert len(frame.body) == (int(length) if length is not None else 0)
        if frame.content_type and frame.content_type.startswith("text/event-"):
            event = frame.event
            assert event is not None and event.name
            assert event.get("Core-UUID") == "36769891-22c7-41e0-a9d0-9b0a601231de"
            # Full decode of every header must work, and peeked routing values agree with it.
            assert dict(event.headers)["Event-Name"] == event.name


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kernel_chunking_from_capture(scenario: str) -> None:
    """Replay the recv() chunks exactly as the kernel delivered them."""
    parser = ESLParser()
    frames = [frame for chunk in recv_chunks(scenario) for frame in parser.feed(chunk)]
    assert [frame_key(f) for f in frames] == [frame_key(f) for f in parse_all(scenario)]


def split_points(data: bytes, frames: list[Frame]) -> range | list[int]:
    if len(data) <= 12_000:
        return range(len(data) + 1)
    # Large transcripts: a stride through everything, plus every offset near each frame's
    # header/body boundary (where a parser's state changes).
    points = set(range(0, len(data) + 1, 97))
    offset = 0
    for frame in frames:
        header_len = sum(len(n) + len(v) + 3 for n, v in frame.headers.pairs) + 1
        for edge in (offset, offset + header_len - 1, offset + header_len):
            points.update(range(max(0, edge - 3), min(len(data), edge + 3) + 1))
        offset += header_len + len(frame.body)
    assert offset == len(data)
    return sorted(points)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_split_at_chunk_boundaries(scenario: str) -> None:
    data = recv_bytes(scenario)
    expected = [frame_key(f) for f in parse_all(scenario)]
    for cut in split_points(data, parse_all(scenario)):
        parser = ESLParser()
        frames = parser.feed(data[:cut]) + parser.feed(data[cut:])
        assert [frame_key(f) for f in frames] == expected, f"split at byte {cut}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_byte_at_a_time(scenario: str) -> None:
    data = recv_bytes(scenario)
    parser = ESLParser()
    frames = [frame for i in range(len(data)) for frame in parser.feed(data[i : i + 1])]
    assert [frame_key(f) for f in frames] == [frame_key(f) for f in parse_all(scenario)]


def test_a1_api_bodies_and_background_job() -> None:
    frames = parse_all("a1_auth_api_status_channels_unknown")
    assert frames[0].content_type == "auth/request" and frames[0].body == b""
    assert frames[1].reply_text == "+OK accepted"
    api = [f.body for f in frames if f.content_type == "api/response"]
    assert api[0].startswith(b"UP 0 years, 0 days, 0 hours, 0 minutes, 25 seconds")
    assert api[0].endswith(b"Current Stack Size/Max 240K/8192K\n")
    assert api[1:4] == [
        b'{"row_count": 0}\n', b"\n0 total.\n", b"FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n"
    ]
    assert api[4] == b"-ERR nosuchapicommand Command not found!\n"
    assert api[5] == b"-ERR No such channel!\n"
    assert api[6:8] == [b"vm", b"vm"]
    replies = [f.reply_text for f in frames if f.content_type == "command/reply"]
    assert "-ERR command not found" in replies
    bgapi = next(f for f in frames if (f.reply_text or "").startswith("+OK Job-UUID"))
    assert bgapi.headers["Job-UUID"] == "46d208ca-dcba-43f4-b75a-fc159712c648"
    job = next(f.event for f in frames if f.content_type == "text/event-plain")
    assert job is not None
    assert job.name == "BACKGROUND_JOB"
    assert job.job_uuid == "46d208ca-dcba-43f4-b75a-fc159712c648"
    assert job.get("Job-Command") == "status"
    assert job.get("FreeSWITCH-IPv6") == "fd00::2"
    assert job.get("Event-Date-Local") == "2026-11-26 23:34:34"
    assert job.body.startswith("UP 0 years") and len(job.body_bytes) == 333
    assert job.get("Content-Length") == "333"
    assert frames[-2].reply_text == "+OK bye"
    assert frames[-1].body == GOODBYE


def test_a2_wrong_password_then_disconnect_notice() -> None:
    frames = parse_all("a2_wrong_password")
    assert frames[1].reply_text == "-ERR invalid"
    notice = frames[2]
    assert notice.content_type == "text/disconnect-notice"
    assert len(notice.body) == 67 and notice.body == GOODBYE
    assert notice.event is None


def test_d_originate_failures_and_client_job_uuid() -> None:
    frames = parse_all("d_originate_failures")
    api = [f.text for f in frames if f.content_type == "api/response"]
    assert api[:5] == [
        "-ERR USER_BUSY\n", "-ERR NO_ANSWER\n", "-ERR NORMAL_CLEARING\n",
        "-ERR NORMAL_TEMPORARY_FAILURE\n", "-ERR CHAN_NOT_IMPLEMENTED\n",
    ]
    assert api[5].startswith("-USAGE: <call url> <exten>|&<application_name>(<app_args>)")
    jobs = [f.event for f in frames if f.event is not None and f.event.name == "BACKGROUND_JOB"]
    assert [(j.job_uuid, j.body) for j in jobs if j is not None] == [
        ("850fd4b4-e855-4c8a-9655-876238751f0d", "-ERR USER_BUSY\n"),
        ("11111111-2222-3333-4444-555555555555", "-ERR NORMAL_TEMPORARY_FAILURE\n"),
    ]


@pytest.mark.parametrize(
    "scenario", ["e1_outbound_socket_session", "e3_outbound_socket_json_linger_timeout"]
)
def test_outbound_connect_reply(scenario: str) -> None:
    connect = parse_all(scenario)[0]
    assert connect.content_type == "command/reply"
    assert connect.is_channel_data
    assert connect.headers["Reply-Text"] == "%2BOK%0A"
    assert connect.reply_text == "+OK\n"
    assert connect.body == b""
    data = connect.event
    assert data is not None
    assert data.name == "CHANNEL_DATA"
    assert data.uuid == data.get("variable_uuid") == data.get("Channel-Unique-ID")
    assert data.get("Socket-Mode") == "async" and data.get("Control") == "full"
    assert data.get("variable_current_application") == "socket"
    assert data.variables["current_application"] == "socket"
    assert "variable_uuid" not in data.variables and "uuid" in data.variables


def test_e3_linger_then_disconnect_notices() -> None:
    frames = parse_all("e3_outbound_socket_json_linger_timeout")
    linger, final = frames[-2:]
    assert linger.headers["Content-Disposition"] == "linger"
    assert linger.headers["Linger-Time"] == "2" and linger.body == b""
    assert final.headers["Content-Disposition"] == "disconnect" and final.body == GOODBYE
    assert final.headers.get_ci("controlled-session-uuid") == linger.headers.get(
        "Controlled-Session-UUID"
    )


def test_j_log_data_with_empty_user_data() -> None:
    log = next(f for f in parse_all("j_misc_log_filter_sendevent") if f.content_type == "log/data")
    assert log.headers["User-Data"] == ""
    assert log.headers["Log-Level"] == "6"
    assert log.text.endswith("fixture log line one\n") and len(log.body) == 81


def test_j_duplicate_content_length_plain() -> None:
    frames = parse_all("j_misc_log_filter_sendevent")
    event = next(f.event for f in frames if f.content_type == "text/event-plain")
    assert event is not None
    assert event.name == "CUSTOM" and event.subclass == "fixture::test"
    assert event.dispatch_key == "CUSTOM fixture::test"
    assert event.get_all("Content-Length") == ["23", "23"]
    assert event.get("Content-Type") == "text/plain"  # the inner one is just a header
    assert event.body == "body line 1\nbody line 2"
    # FreeSWITCH leaves a literal "%20" alone when encoding, so it decodes to a space.
    assert event.get("X-Fixture-Header") == "value with spaces & symbols:   = raw"
    assert event.raw("X-Fixture-Header") == (
        "value%20with%20spaces%20%26%20symbols%3A%20%20%20%3D%20raw"
    )


def test_j_json_duplicate_content_length_utf8_and_no_double_decoding() -> None:
    frames = parse_all("j_misc_log_filter_sendevent")
    event = next(f.event for f in frames if f.content_type == "text/event-json")
    assert event is not None
    assert event.subclass == "fixture::test"
    assert event.get("X-Fixture-Header") == "json %41 é unicode"
    assert event.body == "json body" and event.get("Content-Length") == "9"
    api = [f.text for f in frames if f.content_type == "api/response"]
    assert "123 é ü" in api


def test_json_and_xml_background_job_bodies() -> None:
    for scenario, fmt in [
        ("c_events_json_originate_kill", "json"), ("h_events_xml_originate_kill", "xml")
    ]:
        jobs = [
            f.event for f in parse_all(scenario)
            if f.event is not None and f.event.name == "BACKGROUND_JOB"
        ]
        assert len(jobs) == 1 and jobs[0] is not None
        job = jobs[0]
        assert job.format == fmt
        assert job.body.startswith("+OK ") and job.body.endswith("\n")
        assert len(job.body_bytes) == 41  # XML's "\n  " before </body> is cut off
        assert job.get("Job-Command-Arg") == "loopback/esl_echo &park()"


def test_same_events_in_plain_json_and_xml() -> None:
    """The three serializations of the same scenario give the same decoded values."""
    for scenario in [
        "b_events_plain_originate_kill",
        "c_events_json_originate_kill",
        "h_events_xml_originate_kill",
    ]:
        events = [f.event for f in parse_all(scenario) if f.event is not None]
        names = collections.Counter(e.name for e in events)
        assert names["CHANNEL_DESTROY"] == 2 and names["BACKGROUND_JOB"] == 1
        create = next(e for e in events if e.name == "CHANNEL_CREATE")
        assert create.get("Caller-Destination-Number") == "esl_echo"
        assert create.get("Event-Date-GMT", "").startswith("Thu, 26 Nov 2026")
        assert create.get("FreeSWITCH-IPv6") == "fd00::2"


def test_array_headers_plain() -> None:
    events = [f.event for f in parse_all("i2_sip_call_sipp_uac_to_fs") if f.event is not None]
    arrays = [
        (event, name) for event in events for name, value in event.headers.items()
        if value.startswith("ARRAY::")
    ]
    assert arrays
    event, name = arrays[0]
    values = event.get_array(name)
    assert len(values) >= 1 and all("|:" not in v for v in values)


def test_peeked_values_match_full_parse() -> None:
    for scenario in SCENARIOS:
        for frame in parse_all(scenario):
            if frame.content_type and frame.content_type.startswith("text/event-"):
                peeked = Event.parse(frame.body, frame.content_type.rsplit("-", 1)[1])
                values = (peeked.name, peeked.uuid, peeked.job_uuid, peeked.subclass)
                full = Event.parse(frame.body, peeked.format)
                full.headers.items()  # force the full parse first
                assert values == (full.name, full.uuid, full.job_uuid, full.subclass)


def test_protocol_errors_name_the_problem() -> None:
    with pytest.raises(ESLProtocolError, match="Content-Length 'abc'"):
        ESLParser().feed(b"Content-Type: api/response\nContent-Length: abc\n\n")
    with pytest.raises(ESLProtocolError, match="line 2"):
        ESLParser().feed(b"Content-Type: api/response\ngarbage line\n\n")
    with pytest.raises(ESLProtocolError, match="negative"):
        ESLParser().feed(b"Content-Type: api/response\nContent-Length: -4\n\n")
    with pytest.raises(ESLProtocolError, match="json event"):
        dict(Event.parse(b"{not json", "json").headers)


def test_event_lookups() -> None:
    event = Event({"Event-Name": "CHANNEL_ANSWER", "variable_x": "a%20b", "Unique-ID": "u1"})
    assert event["variable_x"] == "a b" and event.variables == {"x": "a b"}
    assert event.get("missing", "dflt") == "dflt"
    with pytest.raises(KeyError):
        event["missing"]  # noqa: B018
    assert "Unique-ID" in event and event.uuid == "u1"
    assert event.body == ""


@given(st.text())
def test_decode_value_matches_unquote(text: str) -> None:
    from urllib.parse import quote, unquote

    from engine.esl.formats import decode_value

    encoded = quote(text, safe="!$'()*,-./_~")  # FreeSWITCH's literal set (§6.2)
    assert decode_value(encoded) == text
    if "\\" not in text:
        assert decode_value(text) == unquote(text)
