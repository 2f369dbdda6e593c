"""API commands (`api` / `bgapi`) with FreeSWITCH's exact reply bodies (§5, §14, §15)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simswitch.apps import Message, flush_messages
from simswitch.causes import parse_cause
from simswitch.dialstring import separate
from simswitch.uuidbridge import uuid_bridge

if TYPE_CHECKING:
    from simswitch.channel import Channel
    from simswitch.switch import Switch

ApiFunc = Callable[["Apis", str], str]
API_TABLE: dict[str, tuple[ApiFunc, str, str]] = {}
NO_CHANNEL = "-ERR No such channel!\n"


def api(name: str, syntax: str = "", description: str = "") -> Callable[[ApiFunc], ApiFunc]:
    """Register an API command (syntax/description feed `show api`)."""
    def register(func: ApiFunc) -> ApiFunc:
        API_TABLE[name] = (func, syntax, description or name)
        return func
    return register


class Apis:
    """Runs API commands against one switch."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch

    def run(self, name: str, args: str, session: Any = None) -> str:
        """Execute and fire the API event afterwards (as switch_api_execute does)."""
        entry = API_TABLE.get(name)
        if entry is None:
            body = f"-ERR {name} Command not found!\n"
        else:
            body = entry[0](self, args) or "-ERR no reply\n"
        specific = [("API-Command", name)]
        if args:
            specific.append(("API-Command-Argument", args))
        self.switch.bus.emit("API", specific)
        return body

    def background(self, name: str, args: str, job_uuid: str, owner: str | None,
                   session: Any = None) -> None:
        """bgapi job: run, then BACKGROUND_JOB with the output as body."""
        body = self.run(name, args, session)
        specific = [("Job-UUID", job_uuid)]
        if owner:
            specific.append(("Job-Owner-UUID", owner))
        specific.append(("Job-Command", name))
        if args:
            specific.append(("Job-Command-Arg", args))
        self.switch.bus.emit("BACKGROUND_JOB", specific, body=body)

    def channel(self, uuid: str) -> Channel | None:
        """Live channel by UUID."""
        return self.switch.channels.get(uuid)


@api("originate", "<call url> <exten>|&<application_name>(<app_args>) [<dialplan>] "
     "[<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]", "Originate a call")
def _originate(self: Apis, args: str) -> str:
    return self.switch.dialer.originate_api(args)


@api("uuid_kill", "<uuid> [cause]", "Kill channel")
def _uuid_kill(self: Apis, args: str) -> str:
    words = args.split()
    if not words:
        return "-USAGE: <uuid> [cause]\n"
    chan = self.channel(words[0])
    if chan is None:
        return NO_CHANNEL
    chan.hangup(parse_cause(words[1] if len(words) > 1 else None), "send_bye")
    return "+OK\n"


@api("uuid_bridge", "<uuid> <other_uuid>", "Bridge call legs")
def _uuid_bridge(self: Apis, args: str) -> str:
    words = args.split()
    if len(words) != 2:
        return "-USAGE: <uuid> <other_uuid>\n"
    a, b = self.channel(words[0]), self.channel(words[1])
    if a is None or b is None or not uuid_bridge(a, b):
        return "-ERR Invalid uuid\n"
    return f"+OK {b.uuid}\n"


@api("uuid_transfer", "<uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]",
     "Transfer a session")
def _uuid_transfer(self: Apis, args: str) -> str:
    words = args.split()
    legs = [w for w in words if w in ("-bleg", "-both")]
    words = [w for w in words if w not in ("-bleg", "-both")]
    if len(words) < 2:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    chan = self.channel(words[0])
    if chan is None:
        return NO_CHANNEL
    dest, dialplan = words[1], (words[2] if len(words) > 2 else "XML")
    if dialplan == "inline":  # `app:arg,app2:arg2`
        steps = [Message(*item.partition(":")[::2]) for item in dest.split(",") if item]
    else:
        steps = self.switch.dialplan_steps(dest)
    partner = chan.bridged_to
    targets = [] if "-bleg" in legs else [chan]
    if partner is not None and legs:
        targets.append(partner)
    for target in targets:
        target.transfer([Message(m.app, m.arg) for m in steps])
    return "+OK\n"


@api("uuid_broadcast", "<uuid> <path> [aleg|bleg|holdb|both]", "Execute dialplan application")
def _uuid_broadcast(self: Apis, args: str) -> str:
    words = separate(args.strip(), " ")  # the path may be quoted
    if len(words) < 2:
        return "-USAGE: <uuid> <path> [aleg|bleg|both]\n"
    chan = self.channel(words[0])
    if chan is None:
        return "-ERR invalid uuid\n"
    path = words[1]
    if "::" in path:
        name, _, arg = path.partition("::")
        chan.messages.put(Message(name, arg.replace("::", " ")))
    else:
        chan.messages.put(Message("playback", path))
    return "+OK Message sent\n"


@api("uuid_record", "<uuid> [start|stop|mask|unmask|pause|resume] <path> [<limit>]",
     "Record session audio")
def _uuid_record(self: Apis, args: str) -> str:
    words = args.split()
    if len(words) < 3:
        return "-USAGE: <uuid> [start|stop|mask|unmask|pause|resume] <path> [<limit>]\n"
    chan = self.channel(words[0])
    if chan is None:
        return "-ERR Cannot locate session!\n"
    action, path = words[1], words[2]
    if action == "start":
        chan.recordings[path] = self.switch.clock.now()
        chan.emit("RECORD_START", after=[("Record-File-Path", path)])
    elif action == "stop":
        paths = list(chan.recordings) if path == "all" else [path]
        if not any(p in chan.recordings for p in paths):
            return "-ERR Cannot stop record session!\n"
        for one in paths:
            chan.stop_recording(one)
    return "+OK Success\n"


@api("uuid_setvar", "<uuid> <var> [value]", "Set a variable")
def _uuid_setvar(self: Apis, args: str) -> str:
    words = args.split(" ", 2)
    if not words[0]:
        return "-USAGE: <uuid> <var> [value]\n"
    chan = self.channel(words[0])
    if chan is None:
        return NO_CHANNEL
    if len(words) < 2 or not words[1]:
        return "-ERR No variable specified\n"
    value = words[2] if len(words) > 2 else ""
    if value:
        chan.variables[words[1]] = value
    else:
        chan.variables.pop(words[1], None)
    return "+OK\n"


@api("uuid_getvar", "<uuid> <var>", "Get a variable from a channel")
def _uuid_getvar(self: Apis, args: str) -> str:
    words = args.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <var>\n"
    chan = self.channel(words[0])
    if chan is None:
        return NO_CHANNEL
    return chan.variables.get(words[1]) or "_undef_"


@api("uuid_exists", "<uuid>", "Check if a uuid exists")
def _uuid_exists(self: Apis, args: str) -> str:
    return "true" if self.channel(args.strip()) is not None else "false"


@api("uuid_answer", "<uuid>", "answer")
def _uuid_answer(self: Apis, args: str) -> str:
    chan = self.channel(args.strip())
    if chan is None:
        return NO_CHANNEL
    chan.answer()
    return "+OK\n"


@api("uuid_park", "<uuid>", "Park channel")
def _uuid_park(self: Apis, args: str) -> str:
    chan = self.channel(args.strip())
    if chan is None:
        return NO_CHANNEL
    chan.messages.put(Message("park"))
    return "+OK\n"


@api("uuid_hold", "[off|toggle] <uuid> [<display>]", "Place call on hold")
def _uuid_hold(self: Apis, args: str) -> str:
    words = args.split()
    mode = words.pop(0) if words and words[0] in ("off", "toggle") else "on"
    chan = self.channel(words[0]) if words else None
    if chan is None:
        return "-ERR Operation failed\n"
    held = chan.call_state == "HELD"
    hold = not held if mode == "toggle" else mode == "on"
    if hold != held:
        chan.emit("CHANNEL_HOLD" if hold else "CHANNEL_UNHOLD")
        chan.set_call_state("HELD" if hold else "ACTIVE")
    return "+OK Success\n"


@api("uuid_send_dtmf", "<uuid> <dtmf_data>", "Send dtmf to uuid")
def _uuid_send_dtmf(self: Apis, args: str) -> str:
    words = args.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <dtmf_data>\n"
    if self.channel(words[0]) is None:
        return "-ERR no such session\n"
    return "+OK Success\n"


@api("uuid_recv_dtmf", "<uuid> <dtmf_data>", "Receive dtmf digits")
def _uuid_recv_dtmf(self: Apis, args: str) -> str:
    words = args.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <dtmf_data>\n"
    chan = self.channel(words[0])
    if chan is None:
        return "-ERR no such session\n"
    for digit in words[1]:
        if digit.upper() in "0123456789*#ABCD":
            chan.receive_dtmf(digit, "APP")
    return f"+OK {chan.uuid} received DTMF {words[1]}.\n"


@api("uuid_break", "<uuid> [all]", "Break out of media sent to channel")
def _uuid_break(self: Apis, args: str) -> str:
    """mod_commands.c break_function: CF_BREAK stops the current playback; `all` also
    flushes the queued (sendmsg) applications (switch_core_session_flush_private_events);
    `both` does the same to the bridged partner. On success it writes nothing, so ESL
    answers `-ERR no reply` (mod_event_socket.c api_exec)."""
    if not args.strip():
        return "-USAGE: <uuid> [all]\n"
    uuid, _, flag = args.strip().partition(" ")
    chan = self.channel(uuid)
    if chan is None:
        return "-ERR No Such Channel!\n"
    targets = [chan]
    if "both" in flag and chan.bridged_to is not None:
        targets.append(chan.bridged_to)
    for target in targets:
        if "all" in flag:
            flush_messages(target)
        target.break_flag.set()
    return ""


@api("sofia_contact", "[profile/]<user>@<domain>", "Sofia Contacts")
def _sofia_contact(self: Apis, args: str) -> str:
    user = args.strip().split("/")[-1].split("@")[0]
    scenario = self.switch.scenario
    agent = scenario.agent_for(user)
    registered = agent.registered if agent else not scenario.agents
    if not user or not registered:
        return "error/user_not_registered"
    return f"sofia/internal/sip:{user}@{self.switch.bus.ipv4}:5060"


@api("hupall", "<cause> [<var> <value>]", "hupall")
def _hupall(self: Apis, args: str) -> str:
    words = args.split()
    cause = parse_cause(words[0] if words else None)
    var, value = (words[1], words[2]) if len(words) > 2 else (None, None)
    for chan in list(self.switch.channels.values()):
        if var is None or chan.variables.get(var) == value:
            chan.hangup(cause, "send_bye")
    return f"+OK hangup all channels with cause {cause}\n"


@api("conference", "<conference_name> <command> [args]", "Conference module commands")
def _conference(self: Apis, args: str) -> str:
    return self.switch.conferences.api(args)
