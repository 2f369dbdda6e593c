"""Dialplan applications (mod_dptools subset) with FreeSWITCH's event sequence (§11.5, §17).

Every application runs in its channel's greenlet between CHANNEL_EXECUTE and
CHANNEL_EXECUTE_COMPLETE. A hangup from outside arrives as `HangupSignal`; the application
emits its own stop events (PLAYBACK_STOP break, CHANNEL_UNPARK) and the COMPLETE event.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent
from gevent.queue import Empty

from simswitch.causes import parse_cause
from simswitch.channel import WAKE, AppInterrupt, HangupSignal, TransferSignal
from simswitch.media import play_length, write_wav

if TYPE_CHECKING:
    from simswitch.channel import Channel

log = logging.getLogger(__name__)


@dataclass
class Message:
    """A queued `sendmsg` execute (or a dialplan step)."""

    app: str
    arg: str = ""
    loops: int = 1
    event_uuid: str | None = None
    event_uuid_name: str | None = None
    done: Any = None  # optional gevent Event set when the application has finished
    event_lock: bool = False  # sendmsg `event-lock: true` (CF_EVENT_LOCK while it runs)


AppFunc = Callable[["Channel", str], "str | None"]
APPS: dict[str, AppFunc] = {}


@dataclass(frozen=True)
class AppInfo:
    """What `show application` lists: the module (ikey) that provides it, description, syntax."""

    module: str
    description: str
    syntax: str = ""


APP_INFO: dict[str, AppInfo] = {}


def app(name: str, module: str = "mod_dptools", description: str = "",
        syntax: str = "") -> Callable[[AppFunc], AppFunc]:
    """Register a dialplan application provided by `module` (absent when it is not loaded)."""
    def register(func: AppFunc) -> AppFunc:
        APPS[name] = func
        APP_INFO[name] = AppInfo(module, description or name, syntax)
        return func
    return register


def application(chan: Channel, name: str) -> AppFunc | None:
    """The application `name` when its module is loaded on this switch, else None."""
    info = APP_INFO.get(name)
    if info is None or info.module not in chan.switch.scenario.modules:
        return None
    return APPS.get(name)


def execute(chan: Channel, msg: Message) -> None:
    """Run one application with its EXECUTE / EXECUTE_COMPLETE events (loops honoured)."""
    func = application(chan, msg.app)
    try:
        if func is None:
            # switch_core_session_execute_application: no EXECUTE events, the channel hangs
            # up DESTINATION_OUT_OF_ORDER (checked on the real switch executing amd without mod_amd).
            log.info("%s: invalid application %s", chan.uuid, msg.app)
            chan.switch.log_line(3, f"Invalid Application {msg.app}\n", "switch_core_session.c",
                                 "switch_core_session_execute_application_get_flags", 2771)
            chan.hangup("DESTINATION_OUT_OF_ORDER")
            return
        # switch_ivr_parse_event sets CF_EVENT_LOCK around an `event-lock` application, and
        # switch_core_session_private_event_count then reports no queued messages: nothing
        # queued behind it runs inside it (bridge, park, conference...) until it returns.
        chan.event_lock += msg.event_lock
        try:
            _execute_once(chan, func, msg)
        finally:
            chan.event_lock -= msg.event_lock
    finally:
        if msg.done is not None:
            msg.done.set()


def _execute_once(chan: Channel, func: AppFunc, msg: Message) -> None:
    arg = chan.expand(msg.arg) if "$" in msg.arg else msg.arg  # Application-Data is expanded
    chan.variables["current_loop"] = "1"
    chan.variables["current_application"] = msg.app
    if arg:
        chan.variables["current_application_data"] = arg
    else:
        chan.variables.pop("current_application_data", None)
    app_uuid = msg.event_uuid or chan.switch.new_uuid()
    head = [("Application", msg.app)]
    if arg:
        head.append(("Application-Data", arg))
    tail = [("Application-UUID", app_uuid)]
    if msg.event_uuid_name:
        tail.append(("Application-UUID-Name", msg.event_uuid_name))
    chan.emit("CHANNEL_EXECUTE", after=head + tail)
    interrupted: AppInterrupt | None = None
    try:
        response = "_none_"
        done = 0
        # `loops` repeats the application inside one EXECUTE/EXECUTE_COMPLETE pair (e3).
        while done < msg.loops or msg.loops < 0 or done == 0:
            done += 1
            response = func(chan, arg) or "_none_"
            if not chan.alive:
                break
    except AppInterrupt as signal:
        interrupted = signal
        response = chan.last_response if msg.app == "socket" else "_none_"
        if msg.app != "socket":
            response = signal.__dict__.pop("app_response", response)
    chan.last_app, chan.last_arg = msg.app, arg
    if msg.app != "socket":
        chan.last_response = response
    chan.emit("CHANNEL_EXECUTE_COMPLETE",
              after=head + [("Application-Response", response)] + tail)
    if interrupted is not None:
        raise interrupted


Step = Message | Callable[["Channel"], None]


def run_apps(chan: Channel, steps: Sequence[Step], hangup_at_end: bool = True) -> None:
    """Channel greenlet body: run `steps` (or what a transfer replaces them with), then
    hang up and tear down. A callable step is core work without EXECUTE events (a
    uuid_bridge leg, park after bridge)."""
    queue = list(steps)
    while True:
        try:
            while queue and chan.alive:
                step = queue.pop(0)
                if isinstance(step, Message):
                    execute(chan, step)
                else:
                    step(chan)
            if chan.alive and hangup_at_end:
                chan.hangup("NORMAL_CLEARING")
            break
        except TransferSignal:
            queue = [s for s in (chan.pending_transfer or [])
                     if isinstance(s, Message) or callable(s)]
            chan.pending_transfer = None
        except HangupSignal:
            break
    chan.teardown()


def serve_messages(chan: Channel, until: Callable[[], bool] | None = None,
                   timeout: float = math.inf) -> None:
    """Wait (park-like) while executing queued sendmsg messages; returns when `until()`."""
    clock = chan.switch.clock
    deadline = clock.now() + timeout
    while chan.alive and not (until and until()):
        remaining = deadline - clock.now()
        if remaining <= 0:
            return
        try:
            # Exit conditions are signalled with WAKE; the 1 s poll is only a safety net.
            poll = 1.0 if until is not None else 3600.0
            if chan.event_lock:
                msg = _next_unlocked(chan, min(remaining / clock.speed, poll))
            else:
                msg = chan.messages.get(timeout=min(remaining / clock.speed, poll))
        except Empty:
            continue
        if msg is None:        # socket closed with `resume`
            return
        if msg is not WAKE:
            execute(chan, msg)


def flush_messages(chan: Channel) -> None:
    """Drop queued sendmsg applications (switch_core_session_flush_private_events)."""
    kept = []
    while not chan.messages.empty():
        item = chan.messages.get_nowait()
        if not isinstance(item, Message):
            kept.append(item)
        elif item.done is not None:
            item.done.set()  # a static socket waiting for it gets its reply
    for item in kept:
        chan.messages.put(item)


def _next_unlocked(chan: Channel, timeout: float) -> Any:
    """Under CF_EVENT_LOCK only wake-ups and the socket's `resume` are taken from the queue;
    queued applications wait (peeked, left in place)."""
    item = chan.messages.peek(timeout=timeout)
    if item is WAKE or item is None:
        return chan.messages.get_nowait()
    gevent.sleep(min(timeout, _LOCKED_POLL))
    raise Empty


_LOCKED_POLL = 0.05  # real seconds between exit checks while queued apps are held back


# -- call control -------------------------------------------------------------------------------
@app("answer")
def _answer(chan: Channel, arg: str) -> None:
    chan.answer()


@app("pre_answer")
def _pre_answer(chan: Channel, arg: str) -> None:
    chan.ring(early_media=True)


@app("ring_ready")
def _ring_ready(chan: Channel, arg: str) -> None:
    chan.ring()


@app("hangup")
def _hangup(chan: Channel, arg: str) -> None:
    chan.hangup(parse_cause(arg or None))


@app("park")
def _park(chan: Channel, arg: str) -> None:
    park(chan)


def park(chan: Channel) -> None:
    """switch_ivr_park: CHANNEL_PARK, run queued sendmsg applications, CHANNEL_UNPARK."""
    chan.emit("CHANNEL_PARK")
    try:
        serve_messages(chan)
    except AppInterrupt:
        chan.emit("CHANNEL_UNPARK")
        raise
    chan.emit("CHANNEL_UNPARK")


@app("set")
@app("export")
def _set(chan: Channel, arg: str) -> None:
    name, _, value = arg.partition("=")
    if name:
        if value:
            chan.variables[name] = value
        else:
            chan.variables.pop(name, None)


@app("unset")
def _unset(chan: Channel, arg: str) -> None:
    chan.variables.pop(arg, None)


@app("sleep")
def _sleep(chan: Channel, arg: str) -> None:
    chan.switch.clock.sleep(int(arg) / 1000.0 if arg.isdigit() else 0)


@app("echo")
def _echo(chan: Channel, arg: str) -> None:
    serve_messages(chan)


@app("log")
@app("info")
def _noop(chan: Channel, arg: str) -> None:
    return None


@app("transfer")
def _transfer(chan: Channel, arg: str) -> None:
    extension = arg.split(" ")[0]
    chan.switch.dialplan_steps_into(chan, extension)


# -- media ------------------------------------------------------------------------------------------
def play(chan: Channel, path: str) -> str:
    """Play one file for its real duration; returns the Application-Response.

    Relative paths resolve against the `sound_prefix` global (like FreeSWITCH's).
    """
    seconds, file_type = play_length(resolve_sound(chan, path))
    if seconds is None:
        return "FILE NOT FOUND"
    info = ([("Playback-File-Type", file_type)] if file_type else []) + [
        ("Playback-File-Path", path)]
    chan.emit("PLAYBACK_START", after=info)
    chan.break_flag.clear()
    if chan.barge_in and not chan.dtmf.empty():
        chan.break_flag.set()  # a digit already buffered ends a prompt at once
    try:
        broken = chan.break_flag.wait(
            timeout=min(seconds, 1e9) / chan.switch.clock.speed)  # uuid_break sets the flag
    except TransferSignal as signal:
        # uuid_bridge / uuid_transfer: switch_channel_ready() turns false, switch_ivr_play_file
        # returns SWITCH_STATUS_FALSE ("done", not "break"), playback_function answers
        # "PLAYBACK ERROR" (switch_ivr_play_say.c, mod_dptools.c).
        chan.emit("PLAYBACK_STOP", after=info + [("Playback-Status", "done")])
        signal.app_response = "PLAYBACK ERROR"
        raise
    except AppInterrupt:
        chan.emit("PLAYBACK_STOP", after=info + [("Playback-Status", "break")])
        raise
    if broken:
        chan.emit("PLAYBACK_STOP", after=info + [("Playback-Status", "break")])
        return "FILE PLAYED"
    samples = int(seconds * 8000)
    chan.variables.update({"playback_last_offset_pos": str(samples),
                           "playback_seconds": str(int(seconds)),
                           "playback_ms": str(int(seconds * 1000)),
                           "playback_samples": str(samples)})
    chan.emit("PLAYBACK_STOP", after=info + [("Playback-Status", "done")])
    return "FILE PLAYED"


def resolve_sound(chan: Channel, path: str) -> str:
    """`ivr/welcome.wav` → `<sound_prefix>/ivr/welcome.wav`; streams and absolute paths
    are left alone."""
    if "://" in path or path.startswith("/"):
        return path
    prefix = chan.switch.global_vars.get("sound_prefix", "")
    return os.path.join(prefix, path) if prefix else path


@app("playback")
def _playback(chan: Channel, arg: str) -> str:
    return play(chan, arg)


@app("record")
def _record(chan: Channel, arg: str) -> str:
    parts = arg.split(" ")
    path = parts[0]
    limit = float(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 3600.0
    info = [("Record-File-Path", path)]
    clock = chan.switch.clock
    start = clock.now()
    chan.emit("RECORD_START", after=info)
    try:
        clock.sleep(limit)
    finally:
        write_wav(path, clock.now() - start)
        chan.emit("RECORD_STOP", after=info)
    return "_none_"


@app("record_session")
def _record_session(chan: Channel, arg: str) -> None:
    path = arg.split(" ")[0]
    chan.recordings[path] = chan.switch.clock.now()
    chan.emit("RECORD_START", after=[("Record-File-Path", path)])


@app("stop_record_session")
def _stop_record_session(chan: Channel, arg: str) -> None:
    paths = list(chan.recordings) if arg in ("", "all") else [arg]
    for path in paths:
        chan.stop_recording(path)


@app("bridge")
def _bridge(chan: Channel, arg: str) -> None:
    chan.switch.bridge_app(chan, arg)


@app("conference", "mod_conference")
def _conference(chan: Channel, arg: str) -> None:
    chan.switch.conferences.join(chan, arg)


@app("eavesdrop")
def _eavesdrop(chan: Channel, arg: str) -> None:
    target = chan.switch.channels.get(arg)
    if target is None:
        chan.variables["eavesdrop_result"] = "failure"
        return
    chan.variables["eavesdrop_target_uuid"] = target.uuid
    chan.answer()
    serve_messages(chan, until=lambda: not target.alive)


@app("socket", "mod_event_socket", "Connect to a socket", "<ip>[:<port>]")
def _socket(chan: Channel, arg: str) -> None:
    chan.switch.outbound_socket(chan, arg)


@app("amd", "mod_amd", "Voice activity detection (blocking)", "[<key>=<value>]*")
def _amd(chan: Channel, arg: str) -> None:
    """mod_amd style: sets amd_result (MACHINE/HUMAN) and amd_cause."""
    machine = chan.variables.get("sim_is_machine") == "true"
    chan.switch.clock.sleep(2.5 if machine else 1.2)
    chan.variables["amd_result"] = "MACHINE" if machine else "HUMAN"
    chan.variables["amd_cause"] = "LONGGREETING" if machine else "HUMAN"


@app("avmd_start", "mod_avmd", "Start avmd detection")
def _avmd_start(chan: Channel, arg: str) -> None:
    """mod_avmd style: fires CUSTOM avmd::beep when a machine greeting ends."""
    if chan.variables.get("sim_is_machine") != "true":
        return
    greeting = float(chan.variables.get("sim_greeting_seconds", "5"))

    def beep() -> None:
        if chan.alive:
            chan.variables["avmd_detect"] = "TRUE"
            chan.emit_custom("avmd::beep", before=[("Beep-Status", "DETECTED"),
                                                   ("Frequency", "1000.0")])
    gevent.spawn_later(greeting / chan.switch.clock.speed, beep)


@app("avmd_stop", "mod_avmd", "Stop avmd detection")
def _avmd_stop(chan: Channel, arg: str) -> None:
    return None
