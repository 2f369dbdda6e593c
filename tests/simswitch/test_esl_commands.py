"""ESL command semantics beyond the captures: filters, myevents, sendmsg, uuid_* APIs."""

from __future__ import annotations

import json

import pytest

from simswitch.switch import SimSwitch
from tests.simswitch.client import Client, named


@pytest.fixture
def client():
    sim = SimSwitch(port=0, speed=10.0).start()
    esl = Client(sim.port)
    yield esl
    esl.close()
    sim.stop()


def parked(client: Client, dial: str = "sofia/gateway/gw/15550001") -> str:
    reply = client.api(f"originate {dial} &park()")
    assert reply.startswith("+OK "), reply
    return reply[4:].strip()


def test_prefix_rules_and_unknown_commands(client: Client) -> None:
    assert client.command("api") == "-ERR command not found"
    assert client.command("events plain HEARTBEAT") == "+OK event listener enabled plain"
    assert client.command("event plain NOT_AN_EVENT") == "-ERR no keywords supplied"
    assert client.command("nixevent") == "-ERR no keywords supplied"
    assert client.command("filter Unique-ID") == "-ERR invalid syntax"
    assert client.command("sendmsg 123") == "-ERR invalid session id [123]"
    assert client.command("linger") == "-ERR not controlling a session"
    assert client.command("nolog") == "-ERR not loging"
    assert client.command("log info") == "+OK log level info [6]"
    assert client.command("myevents 123 json") == "-ERR invalid uuid"


def test_negative_only_filters_deliver_nothing(client: Client) -> None:
    client.command("event plain CHANNEL_CREATE CHANNEL_ANSWER BACKGROUND_JOB")
    assert client.command("filter Event-Name -CHANNEL_CREATE") == \
        "+OK filter added. [Event-Name]=[-CHANNEL_CREATE]"
    parked(client)
    client.command("filter Event-Name CHANNEL_ANSWER")
    uuid = parked(client)
    answer = client.wait_event(named("CHANNEL_ANSWER", Unique_ID=uuid))
    assert answer.get("Answer-State") == "answered"
    names = {e.get("Event-Name") for e in client.events()}
    assert names == {"CHANNEL_ANSWER"}


def test_bgapi_unknown_command_reports_in_the_job_body(client: Client) -> None:
    client.command("event json BACKGROUND_JOB")
    reply = client.command("bgapi nosuchapi foo")
    job = reply.split("Job-UUID: ")[1]
    event = client.wait_event(named("BACKGROUND_JOB", Job_UUID=job))
    assert event.body == "-ERR nosuchapi Command not found!\n"
    assert event.get("Job-Command-Arg") == "foo"


def test_myevents_binds_an_inbound_connection_to_one_channel(client: Client) -> None:
    first = parked(client)
    parked(client)
    assert client.command(f"myevents {first}") == "+OK Events Enabled"
    assert client.command(f"myevents {first}") == "-ERR aready enabled."
    client.api("hupall")
    client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=first))
    assert {e.get("Unique-ID") for e in client.events()} == {first}


def test_show_channels_lists_live_channels(client: Client) -> None:
    uuid = parked(client)
    data = json.loads(client.api("show channels as json"))
    assert data["row_count"] == 1
    row = data["rows"][0]
    assert list(row)[:6] == ["uuid", "direction", "created", "created_epoch", "name", "state"]
    assert row["uuid"] == uuid and row["callstate"] == "ACTIVE"
    text = client.api("show channels")
    assert text.startswith("uuid,direction,created,") and text.endswith("\n\n1 total.\n")
    assert client.api("show channels count") == "\n1 total.\n"
    calls = json.loads(client.api("show calls as json"))
    assert calls["rows"][0]["b_uuid"] == ""


def test_uuid_variables_hold_and_exists(client: Client) -> None:
    uuid = parked(client)
    assert client.api(f"uuid_setvar {uuid} campaign spring sale") == "+OK\n"
    assert client.api(f"uuid_getvar {uuid} campaign") == "spring sale"
    assert client.api(f"uuid_getvar {uuid} nothing") == "_undef_"
    assert client.api("uuid_getvar") == "-USAGE: <uuid> <var>\n"
    client.command("event plain CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_CALLSTATE")
    assert client.api(f"uuid_hold {uuid}") == "+OK Success\n"
    client.wait_event(named("CHANNEL_CALLSTATE", Channel_Call_State="HELD"))
    assert client.api(f"uuid_hold off {uuid}") == "+OK Success\n"
    client.wait_event(named("CHANNEL_UNHOLD", Unique_ID=uuid))
    assert client.api(f"uuid_exists {uuid}") == "true"
    assert client.api("uuid_kill nope") == "-ERR No such channel!\n"


def test_uuid_broadcast_and_transfer_run_applications(client: Client) -> None:
    client.command("event plain PLAYBACK_START CHANNEL_EXECUTE")
    uuid = parked(client)
    assert client.api(f"uuid_broadcast {uuid} 'playback::silence_stream://500' aleg") == \
        "+OK Message sent\n"
    start = client.wait_event(named("PLAYBACK_START", Unique_ID=uuid))
    assert start.get("Playback-File-Path") == "silence_stream://500"
    assert client.api(f"uuid_transfer {uuid} esl_echo") == "+OK\n"
    client.wait_event(named("CHANNEL_EXECUTE", Unique_ID=uuid, Application="echo"))


def test_eavesdrop_originate_follows_its_target(client: Client) -> None:
    client.command("event plain CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE")
    target = parked(client)
    spy = parked(client, "user/1000")
    client.api(f"uuid_kill {spy}")
    listener = client.api(f"originate user/1001 &eavesdrop({target})")[4:].strip()
    client.wait_event(named("CHANNEL_EXECUTE", Unique_ID=listener, Application="eavesdrop"))
    client.api(f"uuid_kill {target}")
    done = client.wait_event(named("CHANNEL_HANGUP_COMPLETE", Unique_ID=listener))
    assert done.get("variable_eavesdrop_target_uuid") == target


def test_sendevent_to_subscribers(client: Client) -> None:
    client.command("event plain CUSTOM crm::note")
    reply = client.command("sendevent CUSTOM\nEvent-Subclass: crm::note\nX-Note: call back")
    assert reply.startswith("+OK ")
    note = client.wait_event(named("CUSTOM", Event_Subclass="crm::note"))
    assert note.get("X-Note") == "call back"
    assert note.get("Event-UUID") == reply[4:]


def test_uuid_break_stops_music_on_hold(client: Client) -> None:
    """mod_commands.c break_function writes nothing on success, so mod_event_socket's
    api_exec answers `-ERR no reply`; CF_BREAK ends switch_ivr_play_file with
    SWITCH_STATUS_BREAK (Playback-Status break, playback_function: FILE PLAYED)."""
    client.command("event plain PLAYBACK_STOP CHANNEL_EXECUTE_COMPLETE")
    uuid = parked(client)
    client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: playback\n"
                   "execute-app-arg: local_stream://moh\nEvent-UUID: moh-1")
    assert client.api(f"uuid_break {uuid}") == "-ERR no reply\n"
    stop = client.wait_event(named("PLAYBACK_STOP", Unique_ID=uuid))
    assert stop.get("Playback-Status") == "break"
    done = client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="moh-1"))
    assert done.get("Application-Response") == "FILE PLAYED"


def test_uuid_break_all_flushes_queued_applications(client: Client) -> None:
    """`all` calls switch_core_session_flush_private_events: the queued sendmsg
    applications behind the playback never run."""
    client.command("event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE")
    uuid = parked(client)
    for name, arg, tag in (("playback", "local_stream://moh", "moh-2"), ("set", "queued=1", "set-2")):
        client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: {name}\n"
                       f"execute-app-arg: {arg}\nEvent-UUID: {tag}")
    client.wait_event(named("CHANNEL_EXECUTE", Application_UUID="moh-2"))
    assert client.api(f"uuid_break {uuid} all") == "-ERR no reply\n"
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="moh-2"))
    client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: set\n"
                   "execute-app-arg: after=1\nEvent-UUID: set-3")
    client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="set-3"))
    assert client.api(f"uuid_getvar {uuid} queued") == "_undef_"
    assert client.api(f"uuid_getvar {uuid} after") == "1"


def test_uuid_break_replies_like_mod_commands(client: Client) -> None:
    assert client.api("uuid_break") == "-USAGE: <uuid> [all]\n"
    assert client.api("uuid_break 00000000-0000-0000-0000-000000000000 all") == \
        "-ERR No Such Channel!\n"


def test_sofia_contact_reflects_registration() -> None:
    from simswitch.scenario import parse_scenario

    scenario = parse_scenario({"agents": [{"extension": "1000"},
                                          {"extension": "1001", "registered": False}]})
    sim = SimSwitch(port=0, scenario=scenario).start()
    esl = Client(sim.port)
    try:
        assert esl.api("sofia_contact 1000@default") == \
            "sofia/internal/sip:1000@127.0.0.1:5060"
        assert esl.api("sofia_contact internal/1001@default") == "error/user_not_registered"
        assert esl.api("sofia_contact 4242@default") == "error/user_not_registered"
    finally:
        esl.close()
        sim.stop()


def test_application_arguments_are_variable_expanded(client: Client, tmp_path) -> None:
    client.command("event plain CHANNEL_EXECUTE_COMPLETE RECORD_START")
    uuid = parked(client, "{origination_caller_id_number=2125550000}sofia/gateway/gw/155")
    client.api(f"uuid_setvar {uuid} campaign spring")
    client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: set\n"
                   "execute-app-arg: tag=${campaign}-${destination_number}-${strftime(%Y)}\n"
                   "Event-UUID: set-1")
    done = client.wait_event(named("CHANNEL_EXECUTE_COMPLETE", Application_UUID="set-1"))
    year = client.api("strftime %Y")
    assert done.get("Application-Data") == f"tag=spring-155-{year}"
    assert client.api(f"uuid_getvar {uuid} tag") == f"spring-155-{year}"
    client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: record_session\n"
                   f"execute-app-arg: {tmp_path}/${{uuid}}.wav")
    start = client.wait_event(named("RECORD_START", Unique_ID=uuid))
    assert start.get("Record-File-Path") == f"{tmp_path}/{uuid}.wav"
    assert client.api(f"eval uuid:{uuid} ${{campaign}}/$${{hostname}}") == "spring/simswitch"


def test_uuid_transfer_both_legs_into_an_inline_conference(client: Client) -> None:
    client.command("event plain CHANNEL_UNBRIDGE CHANNEL_UNPARK CHANNEL_EXECUTE "
                   "CUSTOM conference::maintenance")
    customer = parked(client)
    agent = parked(client, "user/1000")
    client.api(f"uuid_bridge {customer} {agent}")
    assert client.api(f"uuid_transfer {customer} -both conference:room7 inline") == "+OK\n"
    client.wait_event(named("CHANNEL_UNBRIDGE", Unique_ID=customer))
    for uuid in (customer, agent):
        client.wait_event(named("CHANNEL_UNPARK", Unique_ID=uuid))
        client.wait_event(named("CUSTOM", Action="add-member", Unique_ID=uuid))
    assert client.api("conference room7 count") == "2"
    assert client.api(f"uuid_exists {customer}") == "true"
    client.api("conference room7 hup all")
    client.wait_event(named("CUSTOM", Action="conference-destroy"))


# An originate line as the engine escapes it (three FreeSWITCH split passes: ' ', ',', '=').
ESCAPED_ORIGINATE = 'originate {note=Smith\\\\,\\s\\\\\\\\\\\\\\"Jo\\\\\\\\\\\\\\"\\sO\\\\\\\\\\\\\\\'Neil\\s\\\\\\\\=\\sVIP\\\\\\\\\\\\\\\\x,campaign=spring\\ssale,origination_uuid=esc-1}sofia/gateway/gw/15550001 &park() undef undef \'John Smith\' 2125550000'


def test_escaped_variables_and_quoted_arguments(client: Client) -> None:
    assert client.api(ESCAPED_ORIGINATE) == "+OK esc-1\n"
    assert client.api("uuid_getvar esc-1 note") == 'Smith, "Jo" O\'Neil = VIP\\x'
    assert client.api("uuid_getvar esc-1 campaign") == "spring sale"
    row = json.loads(client.api("show channels as json"))["rows"][0]
    # after answer the caller id is flipped (as in capture b); the original stays
    assert row["initial_cid_name"] == "John Smith" and row["initial_cid_num"] == "2125550000"
