"""Dial strings and the `originate` API argument (ESL_PROTOCOL.md §14), with FreeSWITCH's
escaping rules.

`originate` values pass three of FreeSWITCH's string splits (switch_utils.c
`switch_separate_string` + `cleanup_separated_string`): the API argument split on spaces
(mod_commands), the `{}`/`[]` block split on `,` and the `name=value` split on `=`
(switch_event.c `switch_event_create_brackets`). Each pass strips quotes and unescapes
`\\`, quotes, its delimiter and `\\n \\r \\t \\s`; `escape_var_value` applies the inverse
of each pass in reverse order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = [
    "dial_string", "escape_var_value", "originate", "quote_arg", "single_line", "single_word"
]

_VAR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def single_line(value: str, field: str) -> str:
    """`value` if it holds no line break (which would end the command), else ValueError."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"{field} must not contain a line break: {value!r}")
    return value


def single_word(value: str, field: str) -> str:
    """`value` if it is one non-empty word, else ValueError naming `field`."""
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"{field} must be one non-empty word without spaces: {value!r}")
    return value


def _escape_stage(value: str, delim: str) -> str:
    """Inverse of FreeSWITCH's cleanup_separated_string for one split pass (switch_utils.c)."""
    out = []
    for ch in value:
        if ch == " " and delim == " ":
            out.append("\\s")
        elif ch in "\\'\"" or ch == delim:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return "".join(out)


def escape_var_value(value: str) -> str:
    """Escape a `{}`/`[]` variable value for the `originate` API.

    The value passes three FreeSWITCH splits, each of which unescapes `\\`, quotes and its
    delimiter: the API argument split on spaces, the block split on `,`
    (switch_event_create_brackets) and the `name=value` split on `=`. Escaping for each pass
    in reverse order lets commas, quotes, spaces and backslashes through intact.
    Brackets and `|` are refused: the dial-string scanner does not honour escapes for them.
    """
    bad = set(value) & set("{}[]|<>")
    if bad:
        raise ValueError(f"dial-string variable value {value!r} contains {sorted(bad)}")
    if not any(ch in value for ch in "\\'\", =\n\r\t"):
        return value
    return _escape_stage(_escape_stage(_escape_stage(value, "="), ","), " ")


def _var_block(variables: Mapping[str, object], opening: str, closing: str) -> str:
    if not variables:
        return ""
    items = []
    for name, value in variables.items():
        if not _VAR_NAME.match(name):
            raise ValueError(f"dial-string variable name {name!r} is not a plain identifier")
        text = "true" if value is True else "false" if value is False else str(value)
        items.append(f"{name}={escape_var_value(text)}")
    return opening + ",".join(items) + closing


def dial_string(
    endpoints: Sequence[str] | str,
    *,
    global_vars: Mapping[str, object] | None = None,
    leg_vars: Sequence[Mapping[str, object] | None] = (),
) -> str:
    """`{global}[leg1]ep1,[leg2]ep2`: legs ring simultaneously (§14.2).

    Pass one endpoint string containing `|` yourself for sequential failover.
    """
    if isinstance(endpoints, str):
        endpoints = [endpoints]
    if not endpoints:
        raise ValueError("originate needs at least one endpoint")
    if len(leg_vars) > len(endpoints):
        raise ValueError(f"{len(leg_vars)} leg_vars for {len(endpoints)} endpoints")
    legs = []
    for index, endpoint in enumerate(endpoints):
        single_word(endpoint, f"endpoint {index}")
        variables = leg_vars[index] if index < len(leg_vars) else None
        legs.append(_var_block(variables or {}, "[", "]") + endpoint)
    return _var_block(global_vars or {}, "{", "}") + ",".join(legs)


def originate(
    endpoints: Sequence[str] | str,
    app_or_ext: str,
    *,
    global_vars: Mapping[str, object] | None = None,
    leg_vars: Sequence[Mapping[str, object] | None] = (),
    origination_uuid: str | None = None,
    dialplan: str | None = None,
    context: str | None = None,
    cid_name: str | None = None,
    cid_num: str | None = None,
    timeout: int | None = None,
) -> str:
    """The `originate` API argument: `originate <dial string> <&app(arg)|exten> [...]`.

    `app_or_ext` is an extension (`5000`) or an application (`&park()`); it must not
    contain spaces. `origination_uuid` joins the global variables (write the attempt row
    with it before sending, see DESIGN.md).
    """
    variables = dict(global_vars or {})
    if origination_uuid:
        variables["origination_uuid"] = single_word(origination_uuid, "origination_uuid")
    words = ["originate", dial_string(endpoints, global_vars=variables, leg_vars=leg_vars)]
    words.append(single_word(app_or_ext, "app_or_ext"))
    tail = [dialplan, context, cid_name, cid_num, None if timeout is None else str(timeout)]
    while tail and tail[-1] is None:
        tail.pop()
    words.extend(quote_arg(item) if item is not None else "undef" for item in tail)
    return " ".join(words)


def quote_arg(value: str) -> str:
    """One space-split API argument: single-quoted when it holds spaces (quotes stripped by FS)."""
    single_line(value, "argument")
    if not value:
        raise ValueError("an API argument must not be empty")
    if " " not in value and "'" not in value:
        return value
    if "'" in value:
        raise ValueError(f"API argument {value!r} cannot contain both spaces and single quotes")
    return f"'{value}'"
