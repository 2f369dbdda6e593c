"""Originates the switch never confirmed, killed once their node is back: no ghost calls.

``bgapi originate`` is answered twice: the ``+OK Job-UUID`` reply, then the BACKGROUND_JOB
when the call is answered or fails. If the node drops in between (switch killed, hung,
network gone), or the job never comes, the engine cannot know whether the call exists: the
switch may have it ringing, and a hung switch that resumes may still run a buffered
originate later, ringing a customer whom no agent waits for.

So every such ``origination_uuid`` is remembered per node. Once the node answers again its
owners hear that the call is lost (``lost_listeners``, before anything else can report it),
then the uuid is killed with ``uuid_kill``; any later event of a uuid settled this way (the
buffered originate ran after the kill) kills it again.
"""
from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from typing import Any

import gevent

from engine.esl import commands
from engine.esl.errors import ESLError

log = logging.getLogger(__name__)

LOST_CAUSE = "LOSE_RACE"  # the kill's hangup cause: the engine gave the call up
ENDED_EVENTS = frozenset({"CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"})
SETTLED_KEPT = 10_000  # settled uuids watched for late events (oldest forgotten first)


class UnconfirmedOriginates:
    """See the module docstring. ``api(node, command)`` sends an API command to a node;
    ``is_up(node)`` says whether the node can take it now."""

    def __init__(self, api: Callable[[str, str], str], is_up: Callable[[str], bool]) -> None:
        self._api = api
        self._is_up = is_up
        self._pending: dict[str, set[str]] = {}
        self._settled: collections.OrderedDict[str, str] = collections.OrderedDict()  # uuid -> node
        self.lost_listeners: list[Callable[[str], None]] = []
        self.killed: list[str] = []  # uuids a kill was sent for, in order (for logs and tests)

    def watch(self, node: str, uuid: str, job: Any) -> None:
        """Follow a sent originate's job: a job failed by a dropped connection is unconfirmed."""
        def done(result: Any) -> None:
            if not result.successful():
                self.add(node, uuid)
        job.rawlink(done)

    def add(self, node: str, uuid: str) -> None:
        """``uuid`` was (perhaps) originated on ``node`` and nobody knows its fate: settle it
        now when the node is up, else when it is back (:meth:`node_up`)."""
        pending = self._pending.setdefault(node, set())
        if uuid in pending or uuid in self._settled:
            return
        pending.add(uuid)
        log.warning("originate not confirmed node=%s call_uuid=%s: killed once the node answers", node, uuid)
        if self._is_up(node):
            gevent.spawn(self.node_up, node)

    def pending(self, node: str) -> set[str]:
        """Uuids waiting for ``node`` to come back."""
        return set(self._pending.get(node, ()))

    def node_up(self, node: str) -> None:
        """The node answers again: every unconfirmed originate of it is lost and killed."""
        pending = self._pending.pop(node, set())
        for uuid in sorted(pending):
            self._settled[uuid] = node
            while len(self._settled) > SETTLED_KEPT:
                self._settled.popitem(last=False)
            for listener in list(self.lost_listeners):
                try:
                    listener(uuid)
                except Exception:  # one owner's failure must not leave the call alive
                    log.exception("lost-call listener failed call_uuid=%s", uuid)
            self._kill(node, uuid)

    def on_call_event(self, call: Any, name: str) -> None:
        """Call listener: a settled uuid that shows up alive is killed again."""
        node = self._settled.get(call.uuid)
        if node is None:
            return
        if name in ENDED_EVENTS:
            if name == "CHANNEL_DESTROY":
                self._settled.pop(call.uuid, None)
            return
        log.warning("late channel of a lost originate call_uuid=%s event=%s: killing it", call.uuid, name)
        gevent.spawn(self._kill, node, call.uuid)

    def _kill(self, node: str, uuid: str) -> None:
        self.killed.append(uuid)
        try:
            reply = self._api(node, commands.uuid_kill(uuid, LOST_CAUSE))
        except (ESLError, TimeoutError) as exc:  # down again: try once more when it is back
            log.warning("uuid_kill of a lost originate failed node=%s call_uuid=%s: %s", node, uuid, exc)
            self._settled.pop(uuid, None)
            self.add(node, uuid)
            return
        log.info("lost originate killed node=%s call_uuid=%s reply=%s", node, uuid, reply.strip())
