"""One answered agentless call on its outbound socket: AMD, then the campaign's flow.

:class:`AgentlessCall` is the handler :class:`engine.esl.outbound.OutboundServer` runs for a
socket connection. It finds the live call of the campaign that placed it (by channel
uuid), applies AMD when the campaign asks for it, then runs the IVR interpreter over an
:class:`engine.ivr.esl_channel.EslCallChannel` with the contact's fields as variables.
Survey answers become SurveyAnswer rows (campaign, contact, attempt, call uuid, flow).
A queue transfer (press 1, or ``agent_after_seconds`` of listening) goes to the engine's
ACD through a :class:`QueueHandoff`; the socket is then held until the call ends.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gevent
import gevent.event

from engine.agentless.dialer import AgentlessDialer
from engine.agentless.modes import ModePlan
from engine.campaigns.amd import BEEP_SUBCLASS
from engine.campaigns.dialer import LiveCall
from engine.campaigns.dnc import add_dnc
from engine.esl import commands
from engine.esl.errors import ESLError
from engine.esl.outbound import OutboundCall
from engine.ivr.esl_channel import EslCallChannel
from engine.ivr.flow import Flow, default_sounds_dir
from engine.ivr.interpreter import Interpreter, RunResult
from engine.ivr.tts import TtsCache
from engine.logs import log_context
from engine.store import Campaign, Contact, SurveyAnswer

log = logging.getLogger(__name__)

AMD_TIMEOUT_SECONDS = 30.0
BEEP_TIMEOUT_SECONDS = 30.0
OPT_OUT_VAR = "dnc_request"  # set by a flow's opt-out node (see dialplans/press1.yaml)


class QueueHandoff(Protocol):
    """Puts an answered socket call into one of the engine's ACD queues."""

    def enqueue(self, socket: OutboundCall, queue: str) -> bool:
        """Queue the call (False when refused); the socket stays open until ``done``."""

    def done(self, socket: OutboundCall) -> None:
        """The call ended: forget the socket."""

    def agent_for(self, call_uuid: str) -> tuple[int, dt.datetime] | None:
        """The agent a queued call was bridged to and when (naive UTC), if it was."""


def record_opt_out(campaign: Campaign, contact: Contact) -> None:
    """The callee asked not to be called again (a flow set ``dnc_request``): every number of
    the contact goes on the DNC list at the level the campaign names."""
    for phone in contact.phones:
        add_dnc(phone, scope=campaign.dnc_level, team=campaign.__data__.get("team"), campaign=campaign.id,
                list_color="black", category="opt_out", reason=f"pressed opt-out in campaign {campaign.id}")
    log.info("opt-out recorded contact_id=%s campaign_id=%s", contact.id, campaign.id)


def contact_variables(contact: Contact, phone: str) -> dict[str, str]:
    """The flow variables of a contact: names, organisation, position, extra info, the
    number dialed, and its custom fields (which never override the standard ones)."""
    first, last = contact.first_name or "", contact.last_name or ""
    variables = {"first_name": first, "last_name": last, "full_name": f"{first} {last}".strip(),
                 "organisation": contact.organisation or "", "position": contact.position or "",
                 "extra_info": contact.extra or "", "phone": phone}
    for name, value in (contact.custom or {}).items():
        variables.setdefault(str(name), "" if value is None else str(value))
    return variables


@dataclass
class CallServices:
    """What every AgentlessCall needs, shared by the service."""

    find: Callable[[str], tuple[AgentlessDialer, LiveCall] | None]
    flow: Callable[[str], Flow | None]
    tts: TtsCache | None = None
    handoff: QueueHandoff | None = None
    recordings_dir: str | Path = "recordings"
    time_scale: float = 1.0  # simulated seconds per real second (tests against a sped-up simswitch)
    on_result: Callable[[str, RunResult], None] | None = None


class AgentlessCall:
    """Handler for one answered agentless call; see the module docstring."""

    def __init__(self, services: CallServices, socket: OutboundCall) -> None:
        self.services = services
        self.socket = socket
        self.queued = False

    def run(self) -> None:
        uuid = self.socket.uuid or ""
        found = self.services.find(uuid)
        if found is None:
            log.warning("agentless socket for a call no campaign owns call_uuid=%s; hanging up", uuid)
            self._hangup()
            return
        dialer, live = found
        with log_context(call_uuid=uuid, campaign_id=dialer.campaign.id):
            try:
                self._drive(dialer, live)
            finally:
                if self.queued and self.services.handoff is not None:
                    self.socket.gone.wait()
                    self.services.handoff.done(self.socket)

    def _drive(self, dialer: AgentlessDialer, live: LiveCall) -> None:
        plan = dialer.plan
        flow = self.services.flow(plan.flow)
        if flow is None:
            log.error("agentless campaign names unknown flow %r; hanging up", plan.flow)
            self._hangup()
            return
        amd: dict[str, str] = {}
        beep: gevent.event.Event | None = None
        if plan.amd and dialer.amd_method == "avmd":
            # No mod_amd: the flow plays at once; a beep while it plays means a machine.
            live.amd_result = amd["amd_result"] = "notsure"
            beep = self._listen_for_beep() if plan.machine_action != "human" else None
        elif plan.amd:
            live.amd_result = amd["amd_result"] = self._amd()
            if live.amd_result == "machine" and plan.machine_action != "human":
                if plan.machine_action == "hangup":
                    self._hangup()
                    return
                heard = self._wait_for_beep()
                if heard is None:
                    return
                amd["amd_beep"] = "yes" if heard else "no"
                if self._machine_message(plan, flow):
                    return
        contact = Contact.get_or_none(Contact.id == live.contact_id)
        variables = contact_variables(contact, live.phone) if contact is not None else {"phone": live.phone}
        variables.update(amd)  # flows may branch on {amd_result} / {amd_beep}
        if plan.queue:
            # The campaign's queue is where its flow's queue step goes ({campaign_queue} in
            # dialplans/press1.yaml); the flow's own default only serves flows run alone.
            variables["campaign_queue"] = plan.queue

        def store_answer(question: str, key: str, label: str) -> None:
            SurveyAnswer.create(campaign=dialer.campaign.id, contact=live.contact_id, attempt=live.attempt.id,
                                call_uuid=live.uuid, flow=flow.name, question=question, key=key, label=label)

        def to_queue(queue: str) -> bool:
            return self._to_queue(dialer, live, queue)

        interpreter = Interpreter(flow, EslCallChannel(self.socket, on_queue=to_queue), variables=variables,
                                  tts=self.services.tts, recordings_dir=self.services.recordings_dir,
                                  on_survey_answer=store_answer)
        result = self._run(interpreter, dialer, live, beep)
        if beep is not None and beep.is_set() and result is None and not self.socket.hungup and not self.queued:
            # The beep cut the flow: a machine. Hang up, or leave the message now, after the beep.
            live.amd_result = "machine"
            log.info("beep heard during the flow: machine, %s", plan.machine_action)
            if plan.machine_action == "hangup" or self._machine_message(plan, flow):
                self._hangup()
                return
            interpreter = Interpreter(flow, EslCallChannel(self.socket, on_queue=to_queue),
                                      variables={**variables, "amd_result": "machine", "amd_beep": "yes"},
                                      tts=self.services.tts, recordings_dir=self.services.recordings_dir,
                                      on_survey_answer=store_answer)
            result = self._run(interpreter, dialer, live, None)
        if result is not None:
            log.info("agentless flow %s ended: %s", flow.name, result.end)
            if contact is not None and str(result.variables.get(OPT_OUT_VAR, "")).lower() in ("yes", "true", "1"):
                record_opt_out(dialer.campaign, contact)
            if self.services.on_result is not None:
                self.services.on_result(live.uuid, result)

    def _run(self, interpreter: Interpreter, dialer: AgentlessDialer, live: LiveCall,
             beep: gevent.event.Event | None) -> RunResult | None:
        """Run the flow; with ``agent_after_seconds`` stop it then and queue the call; a
        ``beep`` (mod_avmd) stops it too (None returned, the caller handles the machine)."""
        after = dialer.plan.agent_after_seconds
        if not after and beep is None:
            return interpreter.run()
        runner = gevent.spawn(interpreter.run)
        gevent.wait([runner, *([beep] if beep is not None else [])], count=1,
                    timeout=after / self.services.time_scale if after else None)
        if runner.ready():
            return runner.value if runner.successful() else None
        runner.kill(block=True, timeout=5)
        if self.socket.hungup or self.queued:
            return None
        if beep is not None and beep.is_set():
            self._stop_media()
            return None
        log.info("listened %.0f s: handing the call to queue %s", after, dialer.plan.queue)
        self._stop_media()
        if not self._to_queue(dialer, live, dialer.plan.queue):
            self._hangup()
        return None

    def _to_queue(self, dialer: AgentlessDialer, live: LiveCall, queue: str) -> bool:
        handoff = self.services.handoff
        if handoff is None:
            log.error("no queue handoff configured; cannot queue the call for %s", queue)
            return False
        if not handoff.enqueue(self.socket, queue):
            return False
        self.queued = True
        dialer.handed_to_queue(live.uuid)
        return True

    # ----- switch helpers ---------------------------------------------------------------
    def _execute(self, app: str, arg: str | None = None, timeout: float = 3600.0) -> Any:
        return self.socket.execute(app, arg, timeout=timeout)

    def _amd(self) -> str:
        """mod_amd's verdict for this call: machine, human or notsure."""
        try:
            event = self._execute("amd", timeout=AMD_TIMEOUT_SECONDS)
            verdict = (event.get("variable_amd_result") if event is not None else "") or ""
            if not verdict:
                verdict = self.socket.api(f"uuid_getvar {self.socket.uuid} amd_result", timeout=10).strip()
        except (ESLError, TimeoutError) as exc:
            log.warning("amd failed: %s", exc)
            return "notsure"
        verdict = verdict.lower()
        return verdict if verdict in ("machine", "human") else "notsure"

    def _machine_message(self, plan: ModePlan, flow: Flow) -> bool:
        """Play the campaign's machine message and hang up; False when it has none (the flow
        is then the message)."""
        if not plan.machine_message:
            return False
        sounds = flow.sounds_dir or default_sounds_dir()
        self._execute("playback", str((sounds / plan.machine_message).resolve()))
        self._hangup()
        return True

    def _listen_for_beep(self) -> gevent.event.Event:
        """Start mod_avmd on the call; the returned event is set when it reports a beep."""
        heard = gevent.event.Event()

        def on_beep(event: Any) -> None:
            if (event.get("Event-Subclass") or "") == BEEP_SUBCLASS:
                heard.set()
        try:
            # myevents does not carry CUSTOM events (mod_event_socket), so ask for the beep.
            self.socket.on(f"CUSTOM {BEEP_SUBCLASS}", on_beep)
            self.socket.checked(commands.event([f"CUSTOM {BEEP_SUBCLASS}"]))
            self._execute("avmd_start", timeout=10)
        except (ESLError, TimeoutError) as exc:
            log.warning("avmd_start failed: %s", exc)
        return heard

    def _wait_for_beep(self) -> bool | None:
        """Wait for the machine's beep (mod_avmd) to leave the message after it: True when
        heard, False when not within BEEP_TIMEOUT_SECONDS, None when the call ended."""
        deadline = time.monotonic() + BEEP_TIMEOUT_SECONDS / self.services.time_scale
        heard = False
        try:
            # myevents does not carry CUSTOM events (mod_event_socket), so ask for the beep.
            self.socket.checked(commands.event(["CUSTOM avmd::beep"]))
            self._execute("avmd_start", timeout=10)
            while not heard and not self.socket.hungup:
                event = self.socket.wait_for("CUSTOM", timeout=max(0.0, deadline - time.monotonic()))
                heard = (event.get("Event-Subclass") or "") == "avmd::beep"
        except TimeoutError:
            log.info("no beep heard; leaving the message anyway")
        except ESLError as exc:
            log.info("waiting for the beep failed: %s", exc)
        return None if self.socket.hungup else heard

    def _stop_media(self) -> None:
        try:
            self.socket.api(f"uuid_break {self.socket.uuid} all", timeout=10)
        except (ESLError, TimeoutError) as exc:
            log.debug("uuid_break failed: %s", exc)

    def _hangup(self) -> None:
        if self.socket.hungup:
            return
        try:
            self.socket.hangup("NORMAL_CLEARING")
        except ESLError as exc:
            log.debug("hangup failed: %s", exc)
