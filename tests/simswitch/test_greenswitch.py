"""A stock greenswitch client (unmodified) against simswitch: inbound and outbound mode."""

from __future__ import annotations

import socket

import gevent
from gevent.event import AsyncResult
from greenswitch.esl import InboundESL, OutboundSession

from simswitch.scenario import parse_scenario
from simswitch.switch import SimSwitch

ORIGINATION_UUID = "0f0e0d0c-0b0a-4909-8807-060504030201"


def test_inbound_esl_status_originate_and_events() -> None:
    scenario = parse_scenario({"gateways": ["carrier"], "customers": [
        {"prefix": "1555", "ring_time": 0.05, "talk_time": 0.3}]})
    sim = SimSwitch(port=0, password="secret", scenario=scenario).start()
    esl = InboundESL("127.0.0.1", sim.port, "secret")
    seen: dict[str, AsyncResult] = {name: AsyncResult() for name in (
        "CHANNEL_CREATE", "CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_HANGUP_COMPLETE")}
    try:
        esl.connect()
        status = esl.send("api status")
        assert status.data.startswith("UP 0 years")
        assert "is ready" in status.data
        for name, result in seen.items():
            esl.register_handle(name, lambda event, r=result: r.set(event))
        reply = esl.send("event plain CHANNEL_CREATE CHANNEL_ANSWER BACKGROUND_JOB "
                         "CHANNEL_HANGUP_COMPLETE")
        assert reply.data == "+OK event listener enabled plain"
        reply = esl.send(f"bgapi originate {{origination_uuid={ORIGINATION_UUID},"
                         "origination_caller_id_number=2125550000}"
                         "sofia/gateway/carrier/15551234567 &park()")
        assert reply.data.startswith("+OK Job-UUID: ")
        job_uuid = reply.headers["Job-UUID"]

        create = seen["CHANNEL_CREATE"].get(timeout=5)
        assert create.headers["Unique-ID"] == ORIGINATION_UUID
        assert create.headers["Call-Direction"] == "outbound"
        assert create.headers["Channel-Name"] == "sofia/gateway/carrier/15551234567"
        assert create.headers["Caller-Caller-ID-Number"] == "2125550000"
        answer = seen["CHANNEL_ANSWER"].get(timeout=5)
        assert answer.headers["Answer-State"] == "answered"
        assert answer.headers["Unique-ID"] == ORIGINATION_UUID
        job = seen["BACKGROUND_JOB"].get(timeout=5)
        assert job.headers["Job-UUID"] == job_uuid
        assert job.headers["Job-Command"] == "originate"
        done = seen["CHANNEL_HANGUP_COMPLETE"].get(timeout=5)
        assert done.headers["Hangup-Cause"] == "NORMAL_CLEARING"
        assert done.headers["variable_sip_hangup_disposition"] == "recv_bye"
        assert int(done.headers["variable_billsec"]) >= 0
        assert "variable_duration" in done.headers
    finally:
        esl.stop()
        sim.stop()


def test_outbound_session_drives_an_injected_inbound_call() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    outbound = f"127.0.0.1:{listener.getsockname()[1]}"
    sim = SimSwitch(port=0, outbound=outbound).start()
    esl = InboundESL("127.0.0.1", sim.port, "ClueCon")
    try:
        esl.connect()
        injected = esl.send("api simswitch_inbound 5551000 15550001").data
        assert injected.startswith("+OK ")
        sock, address = listener.accept()
        session = OutboundSession(address, sock)
        session.connect()
        assert session.uuid == injected[4:].strip()
        assert session.caller_id_number == "15550001"
        session.myevents()
        session.linger()
        session.answer()
        played = session.playback("tone_stream://%(200,0,440)", block=True)
        assert played.headers["Application-Response"] == "FILE PLAYED"
        hangup = AsyncResult()
        session.register_handle("CHANNEL_HANGUP_COMPLETE", hangup.set)
        session.hangup("NORMAL_CLEARING")
        assert hangup.get(timeout=5).headers["Hangup-Cause"] == "NORMAL_CLEARING"
        session.stop()
        gevent.sleep(0.1)
        assert esl.send("api show channels").data == "\n0 total.\n"
    finally:
        esl.stop()
        sim.stop()
        listener.close()
