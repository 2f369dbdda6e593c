"""Byte-exact serialization: re-serializing every real event gives the captured bytes."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from simswitch import wire
from tests.simswitch.replay import Transcript


def _plain_pairs(body: bytes) -> tuple[list[tuple[str, str]], str | None]:
    text = body.decode("utf-8")
    head, sep, rest = text.partition("\n\n")
    pairs = [tuple(line.split(": ", 1)) for line in head.split("\n")]
    decoded = [(k, "" if v == "_undef_" else unquote(v)) for k, v in pairs]
    if decoded and decoded[-1][0] == "Content-Length" and rest:
        return decoded[:-1], rest  # the serializer appends the body's own Content-Length
    return decoded, None


def _real_events(name: str, ctype: str) -> list[bytes]:
    return [f.body for f in Transcript.load(name).frames if f.content_type == ctype]


@pytest.mark.parametrize("name", ["b_events_plain_originate_kill", "d_originate_failures",
                                  "f_conference", "e1_outbound_socket_session",
                                  "i1_sip_call_fs_to_sipp_uas"])
def test_plain_events_round_trip_byte_exact(name: str) -> None:
    bodies = _real_events(name, "text/event-plain")
    assert bodies
    for body in bodies:
        pairs, event_body = _plain_pairs(body)
        assert wire.serialize_plain(pairs, event_body) == body


def test_json_events_round_trip_byte_exact() -> None:
    bodies = _real_events("c_events_json_originate_kill", "text/event-json")
    bodies += _real_events("j_misc_log_filter_sendevent", "text/event-json")
    for body in bodies:
        pairs = json.loads(body, object_pairs_hook=list)
        event_body = None
        if pairs[-1][0] == "_body":
            event_body = pairs[-1][1]
            pairs = pairs[:-2]  # serializer re-adds Content-Length and _body
        assert wire.serialize_json(pairs, event_body) == body


def test_xml_events_round_trip_byte_exact() -> None:
    for body in _real_events("h_events_xml_originate_kill", "text/event-xml"):
        text = body.decode()
        pairs = [(k, unquote(v.replace("&lt;", "<").replace("&gt;", ">")
                             .replace("&quot;", '"').replace("&amp;", "&")))
                 for k, v in re.findall(r"^    <([^>]+)>(.*)</\1>$", text, re.M)]
        match = re.search(r"<body>(.*)</body>", text, re.S)
        event_body = None
        if match:
            event_body = match.group(1).removesuffix("  ")
        assert wire.serialize_xml(pairs, event_body) == body


def test_frames_and_notices_match_the_captures() -> None:
    frames = Transcript.load("a1_auth_api_status_channels_unknown").frames
    raw = (b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n" + wire.GOODBYE)
    assert wire.disconnect_notice() == raw
    assert frames[-1].body == wire.GOODBYE
    assert wire.command_reply("+OK accepted") == \
        b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    assert wire.api_response("+OK\n") == b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n"
    linger = wire.disconnect_notice("u-1", "-1", "loopback/x-b")
    assert linger == (b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: u-1\n"
                      b"Content-Disposition: linger\nChannel-Name: loopback/x-b\n"
                      b"Linger-Time: -1\nContent-Length: 0\n\n")


@pytest.mark.parametrize(("value", "encoded"), [
    ("sofia/internal/1000@10.0.0.1", "sofia/internal/1000%4010.0.0.1"),
    ("2024-03-05 10:11:12", "2024-03-05%2010%3A11%3A12"),
    ("+OK\n", "%2BOK%0A"),
    ('"Alice" <sip:1000@x>', "%22Alice%22%20%3Csip%3A1000%40x%3E"),
    ("é", "%C3%A9"),
    ("tone_stream://%(200,100,440)", "tone_stream%3A//%25(200,100,440)"),
    ("already %20 encoded", "already%20%20%20encoded"),
])
def test_url_encode_examples(value: str, encoded: str) -> None:
    assert wire.url_encode(value) == encoded


def test_parse_command_block() -> None:
    command, headers, raw = wire.parse_command(
        b"sendmsg\r\ncall-command: execute\nExecute-App-Name:   playback\nnot a header")
    assert command == "sendmsg"
    assert headers == {"call-command": "execute", "execute-app-name": "playback"}
    assert raw[1] == ("Execute-App-Name", "playback")


def test_take_block_handles_crlf_and_leading_blank_lines() -> None:
    from simswitch.session import _take_block

    buffer = bytearray(b"\n\r\nauth ClueCon\r\n\r\napi version\n\nsendmsg\nx: y\n")
    assert _take_block(buffer) == b"auth ClueCon\r"
    assert _take_block(buffer) == b"api version"
    assert _take_block(buffer) is None
    assert bytes(buffer) == b"sendmsg\nx: y\n"
