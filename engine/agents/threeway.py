"""Who is left in a desk 3-way conference, and when it ends.

A 3-way call (``DeskCommands.three_way``) puts the customer, the agent and a third party in
one mod_conference room. What a call center expects when people leave:

* the agent leaves and the customer and the third party remain: they stay together (the
  agent handed the customer over, e.g. to an interpreter or a specialist);
* only one party remains, whoever left last: the conference ends for it (the remaining leg
  is hung up), so nobody, customer, third party or agent, sits alone in a silent room.

:class:`ThreeWayRooms` follows the members' hangups (an ``Engine.call_listeners`` listener)
and hangs up the last one through the ``hangup`` callable it is given.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from engine.calls import Call

log = logging.getLogger(__name__)


class ThreeWayRooms:
    """Members of each 3-way room still on the line; see the module docstring."""

    def __init__(self, hangup: Callable[[str], None]) -> None:
        self.hangup = hangup
        self.rooms: dict[str, set[str]] = {}
        self._room_of: dict[str, str] = {}

    def add(self, room: str, members: Iterable[str]) -> None:
        """``members`` (channel uuids) are in ``room`` from now on."""
        self.rooms.setdefault(room, set()).update(members)
        for uuid in self.rooms[room]:
            self._room_of[uuid] = room

    def holds(self, uuid: str) -> bool:
        """True while ``uuid`` is in a 3-way room (its fate is decided here, not by the agent's hangup)."""
        return uuid in self._room_of

    def left(self, uuid: str) -> str | None:
        """A member hung up; returns the uuid hung up because it was left alone, if any."""
        room = self._room_of.pop(uuid, None)
        if room is None:
            return None
        members = self.rooms.get(room, set())
        members.discard(uuid)
        if len(members) != 1:
            if not members:
                self.rooms.pop(room, None)
            return None
        (last,) = members
        self.rooms.pop(room, None)
        self._room_of.pop(last, None)
        log.info("3-way room %s: %s left alone, ending the conference for it", room, last)
        self.hangup(last)
        return last

    def on_call_event(self, call: Call, name: str) -> None:
        """``Engine.call_listeners`` signature: a member's CHANNEL_HANGUP."""
        if name == "CHANNEL_HANGUP":
            self.left(call.uuid)
