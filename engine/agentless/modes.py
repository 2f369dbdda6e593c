"""What each agentless dial mode does with an answered call, read from the campaign row.

| mode | answered call |
|---|---|
| ``broadcast`` | runs the campaign's flow (default ``broadcast``): a file or TTS with contact variables |
| ``notification`` | flow (default ``notification``): the message, "press 1 to repeat, 2 for more" |
| ``press1`` | flow (default ``press1``): pressing 1 hands the call to the campaign's queue; the queue's free agents bound the concurrency |
| ``survey`` | flow (default ``survey``): answers stored as SurveyAnswer rows per contact and attempt |
| ``validity`` | no flow: hung up right at answer; the outcome comes from the hangup cause and early media |
| ``broadcast_ivr`` | the campaign's ``ivr_flow`` (required): a message, then menus |

Any flow mode with ``settings["agent_after_seconds"]`` (and a queue) hands the call to the
queue after that many seconds of listening. AMD (``amd_enabled``) runs first; a machine is
hung up (``amd_action`` hangup) or gets the message after the beep (``message``:
``settings["machine_message"]`` if set, else the flow). Other actions treat it as a human.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from engine.store import Campaign

AGENTLESS_DIAL_MODES = ("broadcast", "notification", "press1", "survey", "validity", "broadcast_ivr")
DEFAULT_FLOWS = {"broadcast": "broadcast", "notification": "notification", "press1": "press1", "survey": "survey"}
MACHINE_ACTIONS = ("hangup", "message")


class AgentlessConfigError(ValueError):
    """The campaign row cannot run as an agentless campaign; ``field`` names the column."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def is_agentless(campaign: Campaign) -> bool:
    """True for the dial modes this package dials (press-1 included)."""
    return campaign.dial_mode in AGENTLESS_DIAL_MODES


@dataclass(frozen=True)
class ModePlan:
    """The answered-call behaviour of one agentless campaign."""

    mode: str
    flow: str = ""  # flow name in the FlowRegistry; "" for validity
    queue: str = ""  # press-1 / timeout-to-agent target queue
    agent_after_seconds: float = 0.0  # 0: no timeout-to-agent
    amd: bool = False
    machine_action: str = "hangup"  # hangup | message | human (run the flow as for a person)
    machine_message: str = ""  # sound file played to machines instead of the flow

    @property
    def hangup_on_answer(self) -> bool:
        """Validity checks: nobody is on our side of the line, so hang up at once."""
        return self.mode == "validity"

    @property
    def queue_bound(self) -> bool:
        """Press-1: launch no more calls than the queue has free agents."""
        return self.mode == "press1"


def plan_for(campaign: Campaign) -> ModePlan:
    """The campaign's :class:`ModePlan`; AgentlessConfigError names a bad field."""
    mode = campaign.dial_mode
    if mode not in AGENTLESS_DIAL_MODES:
        raise AgentlessConfigError("dial_mode", f"{mode!r} is not an agentless mode ({', '.join(AGENTLESS_DIAL_MODES)})")
    if mode == "validity":
        return ModePlan(mode)
    flow = str(campaign.ivr_flow or DEFAULT_FLOWS.get(mode, ""))
    if not flow:
        raise AgentlessConfigError("ivr_flow", f"a {mode} campaign needs an IVR flow")
    settings = campaign.settings or {}
    try:
        agent_after = float(settings.get("agent_after_seconds") or 0)
    except (TypeError, ValueError):
        raise AgentlessConfigError("settings.agent_after_seconds", "must be a number of seconds") from None
    if agent_after < 0:
        raise AgentlessConfigError("settings.agent_after_seconds", "must be >= 0")
    queue_row = campaign.queue if campaign.__data__.get("queue") else None
    queue = queue_row.name if queue_row is not None else ""
    if (mode == "press1" or agent_after) and not queue:
        raise AgentlessConfigError("queue", f"a {mode} campaign handing calls to agents needs a queue")
    action = campaign.amd_action if campaign.amd_action in MACHINE_ACTIONS else "human"
    machine_message = str(settings.get("machine_message") or "")
    if machine_message and (PurePosixPath(machine_message).is_absolute() or ".." in PurePosixPath(machine_message).parts
                            or "\\" in machine_message or any(ch.isspace() for ch in machine_message)):
        raise AgentlessConfigError("settings.machine_message",
                                   "must be a file name under the sounds directory (no '..', no spaces)")
    return ModePlan(mode, flow=flow, queue=queue, agent_after_seconds=agent_after, amd=bool(campaign.amd_enabled),
                    machine_action=action, machine_message=machine_message)

