"""How a campaign with ``amd_enabled`` detects answering machines on the switches it has.

* ``amd``: mod_amd's ``amd`` application gives a verdict (MACHINE / HUMAN / NOTSURE) a
  second or two after the answer; the campaign's ``amd_action`` applies to machines.
* ``avmd``: the fallback when mod_amd is missing and the campaign's ``settings.amd_fallback``
  is ``avmd``. mod_avmd only hears the beep at the end of a voicemail greeting (CUSTOM
  ``avmd::beep`` with ``Beep-Status: DETECTED``), so the answered call goes on as a human at
  once (``amd_result`` stays ``notsure``: no silence while something decides) and
  ``avmd_start`` listens beside it. A beep heard before the call reaches a person (agent
  campaigns: before the agent is bridged; agentless: while the flow plays) makes it a machine
  and ``amd_action`` applies; the beep is the right moment to leave the machine message.
* neither: the campaign cannot start (:func:`amd_method` raises, naming the setting), rather
  than execute a missing ``amd`` that hangs up every answered call.
"""
from __future__ import annotations

from collections.abc import Collection

from engine.campaigns.errors import CampaignError
from engine.capabilities import SwitchCapabilities
from engine.store import Campaign

AMD_APPLICATION = "amd"
AVMD_APPLICATION = "avmd_start"
BEEP_SUBCLASS = "avmd::beep"
FALLBACK_SETTING = "amd_fallback"
AMD_FALLBACKS = ("none", "avmd")


def amd_fallback(campaign: Campaign) -> str:
    """The campaign's ``settings.amd_fallback`` (``none`` unless set to ``avmd``)."""
    return str((campaign.settings or {}).get(FALLBACK_SETTING) or "none")


def amd_method(campaign: Campaign, switches: Collection[SwitchCapabilities] | None) -> str:
    """``""`` (no AMD), ``"amd"`` or ``"avmd"`` for ``campaign`` on these switch nodes.

    ``switches`` None means no switch is known (a fake in unit tests, or a control plane with
    no engine): mod_amd is taken as there and the engine checks again when it dials. Raises
    :class:`CampaignError` on ``amd_enabled`` when the nodes cannot do what the campaign asks.
    """
    if not campaign.amd_enabled:
        return ""
    if switches is None:
        return "amd"
    if not switches:
        raise CampaignError("amd_enabled", "no FreeSWITCH node has answered the capability check yet")
    without_amd = sorted(s.node for s in switches if not s.has_application(AMD_APPLICATION))
    if not without_amd:
        return "amd"
    nodes = ", ".join(without_amd)
    if amd_fallback(campaign) == "avmd":
        without_avmd = sorted(s.node for s in switches if not s.has_application(AVMD_APPLICATION))
        if not without_avmd:
            return "avmd"
        raise CampaignError("amd_enabled", f"mod_amd is not loaded on switch node {nodes} and the "
                                           f"settings.amd_fallback avmd needs mod_avmd, missing on "
                                           f"{', '.join(without_avmd)}: load one of them or turn amd_enabled off")
    raise CampaignError("amd_enabled", f"mod_amd is not loaded on switch node {nodes} (no amd application): "
                                       f"load mod_amd, set settings.amd_fallback to avmd (beep detection "
                                       f"with mod_avmd), or turn amd_enabled off")
