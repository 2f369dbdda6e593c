"""OutboundServer/OutboundCall driven by a scripted FreeSWITCH replaying e1/e3's real bytes."""

from __future__ import annotations

import socket
from typing import Any

import gevent
import gevent.event

from engine.esl import commands
from engine.esl.errors import ESLCallGone
from engine.esl.event import Event
from engine.esl.outbound import OutboundCall, OutboundServer
from tests.esl.fakeswitch import ScriptedPeer, load_script

E1_UUID = "ab3c507a-2989-4b59-b4fd-211e70268cc1"
E3_UUID = "c94a03b5-93f6-458e-806e-91453af1668f"


def run_call(scenario: str, handler_cls: type, **server_kwargs: Any) -> tuple[Any, ScriptedPeer]:
    """FreeSWITCH (scripted) connects to our server; returns (handler, peer) when both end."""
    handlers: list[Any] = []
    done = gevent.event.Event()

    def factory(call: OutboundCall) -> Any:
        handler = handler_cls(call)
        handlers.append(handler)
        return handler

    server = OutboundServer("127.0.0.1", 0, factory, **server_kwargs)
    server.start()
    peer = ScriptedPeer(load_script(scenario))
    try:
        sock = socket.create_connection(("127.0.0.1", server.port))
        gevent.spawn(peer.serve, sock, False).link(lambda _: done.set())
        assert done.wait(timeout=20), "scripted FreeSWITCH did not finish"
        gevent.sleep(0.05)
    finally:
        server.stop()
    assert len(handlers) == 1
    return handlers[0], peer


class E1Handler:
    def __init__(self, call: OutboundCall) -> None:
        self.call = call
        self.results: dict[str, Any] = {}

    def run(self) -> None:
        call = self.call
        self.results["uuid"] = call.uuid
        self.results["socket_host"] = call.get_var("socket_host")
        self.results["answer"] = call.execute("answer", timeout=5)
        call.execute("set", "fixture_var=hello world; with spaces", timeout=5)
        self.results["getvar"] = call.api(commands.uuid_getvar(call.uuid or "", "fixture_var"))
        self.results["playback"] = call.execute("playback", "tone_stream://%(200,100,440)", timeout=5)
        pagd = call.execute_async(
            "play_and_get_digits",
            "1 1 1 5000 # tone_stream://%(300,0,600) tone_stream://%(300,0,300) pagd_result \\d",
        )
        call.api(commands.uuid_recv_dtmf(call.uuid or "", "7"))
        self.results["digits"] = call.read_dtmf(1, timeout=5)
        self.results["pagd"] = pagd.get(timeout=5)
        call.execute("set", "fixture_body_var=from body", in_body=True, timeout=5)
        call.execute("hangup", "NORMAL_CLEARING", timeout=5)
        self.results["hangup_complete"] = call.wait_for(
            "CHANNEL_HANGUP_COMPLETE", timeout=5, include_past=True
        )


def test_e1_outbound_session() -> None:
    handler, peer = run_call("e1_outbound_socket_session", E1Handler)
    results = handler.results
    assert results["uuid"] == E1_UUID
    assert results["socket_host"] == "127.0.0.1"
    answer: Event = results["answer"]
    assert answer.name == "CHANNEL_EXECUTE_COMPLETE" and answer.get("Application") == "answer"
    assert results["getvar"] == "hello world; with spaces"
    assert results["playback"].get("Application-Response") == "FILE PLAYED"
    assert results["digits"] == "7"
    assert results["pagd"].get("variable_pagd_result") == "7"
    assert results["hangup_complete"].get("Hangup-Cause") == "NORMAL_CLEARING"
    assert handler.call.hungup and handler.call.hangup_cause == "NORMAL_CLEARING"
    sent = peer.received
    assert sent[:3] == [b"connect\n\n", b"myevents\n\n", b"linger\n\n"]
    # Each execute carries event-lock and its own Event-UUID, as §11 describes.
    assert sent[3].startswith(b"sendmsg\ncall-command: execute\nexecute-app-name: answer\n")
    assert b"\nevent-lock: true\nEvent-UUID: " in sent[3]
    assert b"content-length: 26\n\nfixture_body_var=from body" in sent[-3]
    assert sent[-1] == b"exit\n\n"  # clean close once the handler returned


class E3Handler:
    def __init__(self, call: OutboundCall) -> None:
        self.call = call
        self.results: dict[str, Any] = {}

    def run(self) -> None:
        call = self.call
        for name in ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "DTMF"):
            call.checked(commands.filter_("Event-Name", name))
        call.checked(commands.event(["DTMF"], fmt="json"))
        self.results["getvar"] = call.command(b"getvar\n\n").reply_text
        self.results["answer"] = call.execute(
            "answer", event_uuid="fixture-answer-1", timeout=5
        )
        self.results["playback"] = call.execute(
            "playback", "tone_stream://%(100,0,800)", loops=2, timeout=5
        )
        call.api(commands.uuid_recv_dtmf(call.uuid or "", "12#"))
        self.results["digits"] = call.read_dtmf(5, timeout=5, terminators="#")
        call.hangup("USER_BUSY")
        assert call.gone.wait(timeout=10)
        try:
            call.execute("playback", "/tmp/too-late.wav")
            self.results["late_execute"] = "accepted"
        except ESLCallGone:
            self.results["late_execute"] = "refused"


def test_e3_outbound_json_linger_then_disconnect() -> None:
    handler, peer = run_call(
        "e3_outbound_socket_json_linger_timeout", E3Handler, fmt="json", linger=2
    )
    results = handler.results
    call = handler.call
    assert call.uuid == E3_UUID
    assert call.channel_data is not None and call.channel_data.get("Socket-Mode") == "async"
    assert results["getvar"] == "-ERR command not found"
    assert results["answer"].get("Application-UUID") == "fixture-answer-1"
    assert results["answer"].format == "json"
    assert results["playback"].get("Application-Response") == "FILE PLAYED"
    assert results["digits"] == "12"
    assert results["late_execute"] == "refused"
    assert call.hungup and call.hangup_cause == "USER_BUSY"
    assert peer.received[:3] == [b"connect\n\n", b"myevents json\n\n", b"linger 2\n\n"]
    assert peer.received[-1] == b"sendmsg\ncall-command: hangup\nhangup-cause: USER_BUSY\n\n"
    assert not call.connected
