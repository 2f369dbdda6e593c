"""mod_conference subset: members, `conference` API texts and conference::maintenance events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent

from simswitch.apps import serve_messages

if TYPE_CHECKING:
    from simswitch.channel import Channel
    from simswitch.switch import Switch

SUBCLASS = "conference::maintenance"
ENTER_SOUND = "tone_stream://%(200,0,500,600,700)"
EXIT_SOUND = "tone_stream://%(500,0,300,200,100,50,25)"
ALONE_SOUND = "conference/conf-alone.wav"
MOH_SOUND = "local_stream://moh"
_FLAGS = "running|answered|enforce_min|dynamic|exit_sound|enter_sound|json_status"


@dataclass
class Member:
    """One conference participant."""

    member_id: int
    channel: Channel
    joined: float
    hear: bool = True
    speak: bool = True
    left: bool = False
    hangup_after: bool = False


class Conference:
    """A running conference room."""

    def __init__(self, switch: Switch, name: str, profile: str) -> None:
        self.switch = switch
        self.name = name
        self.profile = profile
        self.uuid = switch.new_uuid()
        self.members: list[Member] = []
        self.floor: Member | None = None
        self.created = switch.clock.now()
        self.next_id = 1

    def headers(self) -> list[tuple[str, str]]:
        """Conference-* headers of every maintenance event."""
        return [("Conference-Name", self.name), ("Conference-Domain", self.switch.bus.ipv4),
                ("Conference-Size", str(len(self.members))), ("Conference-Ghosts", "0"),
                ("Conference-Profile-Name", self.profile),
                ("Conference-Unique-ID", self.uuid)]

    def member_headers(self, member: Member) -> list[tuple[str, str]]:
        """Floor + channel block + member flags."""
        return ([("Floor", "true" if self.floor is member else "false")]
                + member.channel.block("CUSTOM", variables=False)
                + [("Video", "false"), ("Hear", _b(member.hear)), ("See", "true"),
                   ("Speak", _b(member.speak)), ("Talking", "false"), ("Mute-Detect", "false"),
                   ("Hold", "false"), ("Member-ID", str(member.member_id)),
                   ("Member-Type", "member"), ("Member-Ghost", "false"),
                   ("Energy-Level", "100"), ("Current-Energy", "0")])

    def emit(self, action: str, member: Member | None = None,
             extra: list[tuple[str, str]] | None = None, func: str = "conference_api",
             before: list[tuple[str, str]] | None = None) -> None:
        """Fire CUSTOM conference::maintenance."""
        bus = self.switch.bus
        if not bus.wants("CUSTOM", SUBCLASS):
            bus.sequence += 1
            return
        headers = self.headers() + (before or [])
        if member is not None:
            headers += self.member_headers(member)
        headers.append(("Action", action))
        headers += extra or []
        bus.fire(bus.make("CUSTOM", headers, subclass=SUBCLASS,
                          site=("conference_api.c", func, 339)))

    def sound_failed(self, path: str) -> None:
        """play-file of a sound simswitch does not have (like FreeSWITCH without sounds)."""
        self.emit("play-file", extra=[("File", path), ("Async", "false"),
                                      ("Error", "File could not be played")])

    def sound_done(self, path: str, seconds: float) -> None:
        """A tone finished playing to the room."""
        def done() -> None:
            millis = int(seconds * 1000)
            self.emit("play-file-done", before=[("seconds", str(int(seconds))),
                                                ("milliseconds", str(millis)),
                                                ("samples", str(millis * 8))],
                      extra=[("File", path)])
        if seconds > 0:
            gevent.spawn_later(seconds / self.switch.clock.speed, done)
        else:
            done()

    def list_line(self, member: Member) -> str:
        """`conference <name> list` row."""
        flags = [f for f, on in (("hear", member.hear), ("speak", member.speak),
                                 ("floor", self.floor is member)) if on]
        chan = member.channel
        profile = chan.profile
        return (f"{member.member_id};{chan.name};{chan.uuid};{profile['Caller-ID-Name']};"
                f"{profile['Caller-ID-Number']};{'|'.join(flags)};0;0;100\n")

    def as_dict(self) -> dict[str, Any]:
        """json_list entry."""
        now = self.switch.clock.now()
        members = [{
            "type": "caller", "id": m.member_id,
            "flags": {"can_hear": m.hear, "can_see": True, "can_speak": m.speak, "hold": False,
                      "mute_detect": False, "talking": False, "has_video": False,
                      "video_bridge": False, "has_floor": self.floor is m,
                      "is_moderator": False, "end_conference": False,
                      "mandatory_member_end_conference": False, "pass_digits": False},
            "uuid": m.channel.uuid, "caller_id_name": m.channel.profile["Caller-ID-Name"],
            "caller_id_number": m.channel.profile["Caller-ID-Number"],
            "join_time": int(now - m.joined), "last_talking": 0, "energy": 100,
            "volume_in": 0, "volume_out": 0, "output-volume": 0, "input-volume": 0,
        } for m in reversed(self.members)]
        return {"conference_name": self.name, "member_count": len(self.members),
                "ghost_count": 0, "rate": 8000, "run_time": int(now - self.created),
                "conference_uuid": self.uuid, "canvas_count": 0, "max_bw_in": 0,
                "force_bw_in": 0, "video_floor_packets": 0, "locked": False,
                "destruct": False, "wait_mod": False, "audio_always": False, "running": True,
                "answered": True, "enforce_min": True, "bridge_to": False, "dynamic": True,
                "exit_sound": True, "enter_sound": True, "recording": False,
                "video_bridge": False, "video_floor_only": False, "video_rfc4579": False,
                "variables": {}, "members": members}


class Conferences:
    """All conferences of the switch plus the `conference` API."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self.rooms: dict[str, Conference] = {}

    def join(self, chan: Channel, arg: str) -> None:
        """The `conference name[@profile]` application: stay until kicked or hung up.

        Sounds as in capture f: alone → conf-alone (fails: no sound files) and MOH; the
        enter/exit tones report play-file-done.
        """
        name, _, profile = arg.split(" ")[0].partition("@")
        room = self.rooms.get(name)
        if room is None:
            room = self.rooms[name] = Conference(self.switch, name, profile or "default")
            room.emit("conference-create", func="conference_new")
        member = Member(room.next_id, chan, self.switch.clock.now())
        room.next_id += 1
        room.members.append(member)
        if len(room.members) == 1:
            room.sound_failed(ALONE_SOUND)
        room.emit("add-member", member, func="conference_member_add")
        for _ in range(5):  # the conference thread picks the member up a moment later
            gevent.sleep(0)
        if room.floor is None:
            room.floor = member
            room.emit("floor-change", extra=[("Old-ID", "none")] + room.headers()
                      + room.member_headers(member) + [("New-ID", str(member.member_id))])
        if len(room.members) == 1:
            room.sound_failed(MOH_SOUND)
        else:
            room.sound_done(ENTER_SOUND, 0.4)
        try:
            serve_messages(chan, until=lambda: member.left)
        finally:
            self._leave(room, member)
        if member.hangup_after and chan.alive:
            chan.hangup("NORMAL_CLEARING")

    def _leave(self, room: Conference, member: Member) -> None:
        if member in room.members:
            room.members.remove(member)
        member.left = True
        if len(room.members) == 1 and not member.hangup_after:
            room.sound_failed(ALONE_SOUND)
        if room.floor is member:
            room.floor = room.members[0] if room.members else None
            if room.floor is None:
                room.emit("floor-change", extra=[("Old-ID", str(member.member_id)),
                                                 ("New-ID", "none")])
        room.emit("del-member", member, func="conference_member_del")
        if room.members and not member.hangup_after:
            room.sound_done(EXIT_SOUND, 0.0)
            if len(room.members) == 1:
                room.sound_failed(MOH_SOUND)
        if not room.members:
            room.emit("conference-destroy", func="conference_thread_run")
            self.rooms.pop(room.name, None)

    def api(self, args: str) -> str:
        """`conference ...` API."""
        words = args.split()
        if not words:
            return "-USAGE: conference <conference_name> <command> [args]\n"
        if words[0] == "list":
            if not self.rooms:
                return "No active conferences.\n"
            return "".join(
                f"+OK Conference {room.name} ({len(room.members)} member"
                f"{'' if len(room.members) == 1 else 's'} rate: 8000 flags: {_FLAGS})\n"
                + "".join(room.list_line(m) for m in reversed(room.members))
                for room in self.rooms.values())
        if words[0] == "json_list":
            return cjson([room.as_dict() for room in self.rooms.values()])
        room = self.rooms.get(words[0])
        if room is None:
            return f"-ERR Conference {words[0]} not found\n"
        command = words[1] if len(words) > 1 else "list"
        if command == "list":
            return "".join(room.list_line(m) for m in reversed(room.members))
        if command == "json_list":
            return cjson([room.as_dict()])
        if command == "xml_list":
            return _xml_list(room)
        if command == "count":
            return str(len(room.members))
        if command in _MEMBER_ACTIONS:
            return self._member_action(room, command, words[2] if len(words) > 2 else "")
        return f"-ERR Unknown command {command}\n"

    def _member_action(self, room: Conference, command: str, target: str) -> str:
        if target == "all":
            chosen = list(room.members)
        elif target == "last":
            chosen = room.members[-1:]
        else:
            chosen = [m for m in room.members if str(m.member_id) == target]
            if not chosen:
                return f"-ERR Non-Existant ID {target}\n"
        text, func = _MEMBER_ACTIONS[command]
        out = []
        for member in chosen:
            if command in ("mute", "unmute"):
                member.speak = command == "unmute"
            elif command in ("deaf", "undeaf"):
                member.hear = command == "undeaf"
            room.emit(f"{command}-member", member, func=func)
            if command in ("kick", "hup"):
                member.hangup_after = command == "hup"
                member.left = True
                member.channel.wake()
            out.append(f"+OK {text} {member.member_id}\n")
        return "".join(out)


_MEMBER_ACTIONS = {
    "mute": ("mute", "conference_api_sub_mute"), "unmute": ("unmute", "conference_api_sub_unmute"),
    "deaf": ("deaf", "conference_api_sub_deaf"), "undeaf": ("undeaf", "conference_api_sub_undeaf"),
    "kick": ("kicked", "conference_api_sub_kick"), "hup": ("hup", "conference_api_sub_hup"),
}


_XML_FLAGS = ("can_hear", "can_see", "can_speak", "mute_detect", "talking", "hold",
              "has_video", "video_bridge", "has_floor", "is_moderator", "end_conference",
              "mandatory_member_end_conference", "is_ghost")


def _b(value: bool) -> str:
    return "true" if value else "false"


def cjson(value: Any, depth: int = 0) -> str:
    """cJSON_Print layout: tabs, `"key":\\tvalue`, arrays inline `[a, b]`."""
    if isinstance(value, dict):
        if not value:
            return "{\n" + "\t" * depth + "}"
        inner = ",\n".join("\t" * (depth + 1) + json.dumps(k) + ":\t" + cjson(v, depth + 1)
                           for k, v in value.items())
        return "{\n" + inner + "\n" + "\t" * depth + "}"
    if isinstance(value, list):
        return "[" + ", ".join(cjson(v, depth + 1) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _xml_list(room: Conference) -> str:
    data = room.as_dict()
    lines = ['<?xml version="1.0"?>', "<conferences>",
             f'  <conference name="{room.name}" member-count="{data["member_count"]}" '
             f'ghost-count="0" rate="8000" uuid="{room.uuid}" running="true" answered="true" '
             f'enforce_min="true" dynamic="true" exit_sound="true" enter_sound="true" '
             f'run_time="{data["run_time"]}">', "    <variables></variables>", "    <members>"]
    for member in data["members"]:
        lines.append('      <member type="caller">')
        lines.append(f"        <id>{member['id']}</id>")
        lines.append("        <flags>")
        flags = member["flags"]
        for key in _XML_FLAGS:
            lines.append(f"          <{key}>{_b(flags.get(key, False))}</{key}>")
        lines.append("        </flags>")
        for key in ("uuid", "caller_id_name", "caller_id_number", "join_time", "last_talking",
                    "energy", "volume_in", "volume_out", "output-volume"):
            value = "N/A" if key == "last_talking" else member[key]
            lines.append(f"        <{key}>{value}</{key}>")
        lines.append("      </member>")
    lines += ["    </members>", "  </conference>", "</conferences>", ""]
    return "\n".join(lines)
