"""Outbound-socket transcripts (e1/e2, e3/e4): the switch connects to us, we replay."""

from __future__ import annotations

import gevent
import pytest
from gevent.event import Event as Flag

from tests.simswitch.conftest import Target
from tests.simswitch.replay import Connection, Transcript, compare, replay

PAIRS = [
    ("e1_outbound_socket_session", "e2_outbound_trigger_inbound_side", "esl_outbound"),
    ("e3_outbound_socket_json_linger_timeout", "e4_outbound2_trigger_inbound_side",
     "esl_outbound2"),
]


def run_pair(target: Target, outbound: str, trigger: str, listener: str):
    out_t, trig_t = Transcript.load(outbound), Transcript.load(trigger)
    done = Flag()
    trig_conn = Connection(target.connect())
    # The real trigger client sent `hupall` only after the outbound session had finished.
    trigger_job = gevent.spawn(replay, trig_t, trig_conn, hold={3: done})
    sock, _ = target.listeners[listener].accept()
    out_conn = Connection(sock)
    try:
        out_frames = replay(out_t, out_conn, final_wait=10)
    finally:
        done.set()
        out_conn.close()
    trig_frames = trigger_job.get(timeout=30)
    trig_conn.close()
    return (out_t, out_frames), (trig_t, trig_frames)


@pytest.mark.parametrize(("outbound", "trigger", "listener"), PAIRS)
def test_outbound_session_matches(esl_target: Target, outbound: str, trigger: str,
                                  listener: str) -> None:
    (out_t, out_frames), (trig_t, trig_frames) = run_pair(esl_target, outbound, trigger,
                                                          listener)
    diff = compare(out_t.frames, out_frames)
    assert diff.empty(), f"outbound side:\n{diff}"
    diff = compare(trig_t.frames, trig_frames)
    assert diff.empty(), f"trigger side:\n{diff}"
