"""Command builders produce exactly the bytes the capturing client sent to real FreeSWITCH."""

from __future__ import annotations

import pytest

from engine.esl import commands as c
from tests.esl.transcripts import sent_commands

E1_UUID = "ab3c507a-2989-4b59-b4fd-211e70268cc1"
E3_UUID = "c94a03b5-93f6-458e-806e-91453af1668f"


def test_a1_inbound_session_commands() -> None:
    assert sent_commands("a1_auth_api_status_channels_unknown") == [
        c.auth("ClueCon"),
        c.api("status"),
        c.api("show channels as json"),
        c.api("show channels"),
        c.api("version"),
        c.api("nosuchapicommand foo"),
        b"nosuchcommand foo\n\n",
        c.api(c.uuid_kill("00000000-0000-0000-0000-000000000000")),
        c.api("global_getvar hostname"),
        c.api("eval ${hostname}"),
        c.api("show calls as json"),
        c.event(["BACKGROUND_JOB"]),
        c.bgapi("status"),
        c.noevents(),
        c.exit_(),
    ]


def test_d_originate_and_bgapi_with_job_uuid() -> None:
    sent = sent_commands("d_originate_failures")
    assert sent[1] == c.event(
        ["BACKGROUND_JOB", "CHANNEL_CREATE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"]
    )
    assert sent[2] == c.api(c.originate("error/user_busy", "&park()"))
    assert sent[5] == c.api(
        c.originate(
            "sofia/internal/nobody@127.0.0.1:5999", "&park()", global_vars={"originate_timeout": 5}
        )
    )
    job = sent[-2]
    assert job.startswith(b"bgapi originate {originate_timeout=3}")
    command_line = job.split(b"\n")[0].decode()[len("bgapi ") :]
    assert job == c.bgapi(command_line, job_uuid="11111111-2222-3333-4444-555555555555")
    assert job.endswith(b"\nJob-UUID: 11111111-2222-3333-4444-555555555555\n\n")


def test_e1_outbound_session_commands() -> None:
    assert sent_commands("e1_outbound_socket_session") == [
        c.connect(),
        c.myevents(),
        c.linger(),
        c.execute("answer"),
        c.execute("set", "fixture_var=hello world; with spaces"),
        c.api(c.uuid_getvar(E1_UUID, "fixture_var")),
        c.execute("playback", "tone_stream://%(200,100,440)"),
        c.execute(
            "play_and_get_digits",
            "1 1 1 5000 # tone_stream://%(300,0,600) tone_stream://%(300,0,300) pagd_result \\d",
        ),
        c.api(c.uuid_recv_dtmf(E1_UUID, "7")),
        c.execute("set", "fixture_body_var=from body", in_body=True),
        c.execute("hangup", "NORMAL_CLEARING"),
    ]


def test_e3_outbound_json_linger_filters_event_lock_loops() -> None:
    assert sent_commands("e3_outbound_socket_json_linger_timeout") == [
        c.connect(),
        c.myevents(fmt="json"),
        c.linger(2),
        c.filter_("Event-Name", "CHANNEL_EXECUTE_COMPLETE"),
        c.filter_("Event-Name", "CHANNEL_HANGUP"),
        c.filter_("Event-Name", "CHANNEL_HANGUP_COMPLETE"),
        c.filter_("Event-Name", "DTMF"),
        c.event(["DTMF"], fmt="json"),
        b"getvar\n\n",
        c.execute("answer", event_lock=True, event_uuid="fixture-answer-1"),
        c.execute(
            "playback", "tone_stream://%(100,0,800)", uuid=E3_UUID, loops=2, event_lock=True
        ),
        c.api(c.uuid_recv_dtmf(E3_UUID, "12#")),
        c.hangup("USER_BUSY"),
    ]


def test_j_log_filter_sendevent_custom() -> None:
    sent = sent_commands("j_misc_log_filter_sendevent")
    assert sent[1] == c.log(7)
    assert sent[3] == c.nolog()
    assert sent[4] == c.event(["CUSTOM fixture::test example::other"])
    assert sent[4] == c.event(["CUSTOM fixture::test", "CUSTOM example::other"])
    assert sent[6] == c.filter_("Event-Subclass", "fixture::test")
    assert sent[7] == c.sendevent(
        "CUSTOM",
        [
            ("Event-Subclass", "fixture::test"),
            ("X-Fixture-Header", "value with spaces & symbols: %20 = raw"),
            ("Content-Type", "text/plain"),
        ],
        body="body line 1\nbody line 2",
    )
    assert sent[8] == c.sendevent(
        "CUSTOM", {"Event-Subclass": "example::other", "X-Dropped": "filtered out"}
    )
    assert sent[9] == c.filter_delete("Event-Subclass", "fixture::test")
    assert sent[10] == c.filter_delete("all")
    assert sent[11] == c.nixevent(["API"])
    assert sent[12] == c.event(["CUSTOM fixture::test"], fmt="json")
    assert sent[13] == c.sendevent(
        "CUSTOM",
        {"Event-Subclass": "fixture::test", "X-Fixture-Header": "json %41 é unicode"},
        body="json body",
    )
    assert sent[22] == c.api("echo 123 é ü")


def test_f_originate_with_global_vars() -> None:
    sent = sent_commands("f_conference")
    line = sent[3].split(b"\n")[0].decode()
    assert line.startswith("bgapi originate {origination_caller_id_number=")
    assert sent[3] == c.bgapi(line[len("bgapi ") :])


def test_custom_goes_last_in_event_command() -> None:
    assert c.event(["CUSTOM a::b", "CHANNEL_ANSWER", "HEARTBEAT"]) == (
        b"event plain CHANNEL_ANSWER HEARTBEAT CUSTOM a::b\n\n"
    )


def fs_cleanup(text: str, delim: str) -> str:
    """cleanup_separated_string() from FreeSWITCH's switch_utils.c, for one split token."""
    unescape = {"n": "\n", "r": "\r", "t": "\t", "s": " "}
    out: list[str] = []
    inside_quotes = False
    i = 0
    text = text.lstrip(" ")
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == "\\" and nxt and (nxt in "'\"\\" or nxt == delim or nxt in unescape):
            out.append(unescape.get(nxt, nxt) if nxt not in "'\"\\" + delim else nxt)
            i += 2
            continue
        if ch == "'" and (inside_quotes or "'" in text[i + 1 :]):
            inside_quotes = not inside_quotes
        else:
            out.append(ch)
        i += 1
    return "".join(out).rstrip(" ") if not inside_quotes else "".join(out)


@pytest.mark.parametrize(
    "value",
    ["O'Brien, Pat", "a,b", "x y z", "back\\slash", 'say "hi"', "k=v", "it's Bob's", "plain"],
)
def test_escaped_values_survive_freeswitch_three_splits(value: str) -> None:
    escaped = c.escape_var_value(value)
    assert " " not in escaped and "," not in escaped.replace("\\,", "")
    after_space_split = fs_cleanup(escaped, " ")
    after_comma_split = fs_cleanup(after_space_split, ",")
    assert fs_cleanup(after_comma_split, "=") == value


def test_originate_legs_and_positional_args() -> None:
    command = c.originate(
        ["user/1000", "sofia/gateway/gw1/15551234567"],
        "&park()",
        global_vars={"origination_caller_id_name": "Pat Lee", "ignore_early_media": True},
        leg_vars=[{"leg_timeout": 20}, {"sip_h_X-Campaign": "c7"}],
        origination_uuid="0d5e3f0a-1c2b-4d6e-8f90-123456789abc",
        timeout=30,
    )
    assert command == (
        "originate {origination_caller_id_name=Pat\\sLee,ignore_early_media=true,"
        "origination_uuid=0d5e3f0a-1c2b-4d6e-8f90-123456789abc}"
        "[leg_timeout=20]user/1000,[sip_h_X-Campaign=c7]sofia/gateway/gw1/15551234567"
        " &park() undef undef undef undef 30"
    )
    assert len(command.split(" ")) == 8  # the dial string stays one API argument


def test_escape_is_identity_for_plain_values() -> None:
    assert c.escape_var_value("sofia/internal/1000@10.0.0.1") == "sofia/internal/1000@10.0.0.1"
    assert c.escape_var_value("a,b") == "a\\\\,b"


@pytest.mark.parametrize(
    "call",
    [
        lambda: c.api("status\nexit"),
        lambda: c.originate("user/1000", "&park()", global_vars={"bad name": "x"}),
        lambda: c.originate("user/1000", "&park()", global_vars={"x": "a}b"}),
        lambda: c.originate([], "&park()"),
        lambda: c.execute("play back"),
        lambda: c.bgapi("status", job_uuid="a b"),
        lambda: c.uuid_broadcast("u1", "/tmp/it's here.wav"),
        lambda: c.event([]),
        lambda: c.linger(0),
    ],
)
def test_invalid_input_is_refused(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_uuid_helpers() -> None:
    assert c.uuid_broadcast("u1", "/tmp/a b.wav") == "uuid_broadcast u1 '/tmp/a b.wav' aleg"
    assert c.uuid_broadcast("u1", "/tmp/ab.wav", "both") == "uuid_broadcast u1 /tmp/ab.wav both"
    assert c.uuid_kill("u1", "USER_BUSY") == "uuid_kill u1 USER_BUSY"
    assert c.uuid_transfer("u1", "5000", context="default") == "uuid_transfer u1 5000 XML default"
    assert c.uuid_record("u1", "start", "/r/u1.wav", 60) == "uuid_record u1 start /r/u1.wav 60"
    assert c.uuid_setvar("u1", "x", "a b") == "uuid_setvar u1 x a b"
    assert c.hangup("NORMAL_CLEARING", uuid="u1") == (
        b"sendmsg u1\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"
    )
    long_arg = "x=" + "y" * 3000
    assert b"content-length: 3002\n\n" + long_arg.encode() in c.execute("set", long_arg)
