"""Channel states and `${variable}` expansion (switch_channel_expand_variables)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simswitch.channel import Channel

STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
    "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12, "CS_NONE": 13,
}
CALLSTATE_NUMBERS = {"DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4,
                     "HELD": 5, "RING_WAIT": 6, "HANGUP": 7, "UNHELD": 8}
_VARIABLE = re.compile(r"(\$)?\$\{([^{}]+(?:\([^)]*\))?)\}")
_PROFILE_VARIABLES = {
    "caller_id_number": "Caller-ID-Number", "caller_id_name": "Caller-ID-Name",
    "destination_number": "Destination-Number", "ani": "ANI", "context": "Context",
    "network_addr": "Network-Addr", "callee_id_number": "Callee-ID-Number",
}


def expand(chan: Channel, text: str) -> str:
    """`${var}` from channel variables (then caller fields, then globals), `$${global}`,
    and `${api(args)}` by running the API, as switch_channel_expand_variables does."""
    return _VARIABLE.sub(lambda match: _expand_one(chan, match), text)


def _expand_one(chan: Channel, match: re.Match[str]) -> str:
    switch = chan.switch
    if match.group(1):
        return switch.global_vars.get(match.group(2), "")
    name = match.group(2)
    if "(" in name and name.endswith(")"):
        api_name, _, args = name[:-1].partition("(")
        return switch.apis.run(api_name, expand(chan, args)).rstrip("\n")
    if name in chan.variables:
        return chan.variables[name]
    field = _PROFILE_VARIABLES.get(name)
    if field is not None:
        return chan.profile.get(field, "")
    return switch.global_vars.get(name, "")
