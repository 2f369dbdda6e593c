"""`show ...` and `sofia status` reports, formatted like mod_commands / mod_sofia print them."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simswitch.channel import Channel
    from simswitch.switch import Switch

CHANNEL_COLUMNS = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
    "ip_addr", "dest", "application", "application_data", "dialplan", "context",
    "read_codec", "read_rate", "read_bit_rate", "write_codec", "write_rate",
    "write_bit_rate", "secure", "hostname", "presence_id", "presence_data", "accountcode",
    "callstate", "callee_name", "callee_num", "callee_direction", "call_uuid",
    "sent_callee_name", "sent_callee_num", "initial_cid_name", "initial_cid_num",
    "initial_ip_addr", "initial_dest", "initial_dialplan", "initial_context",
)
CALL_COLUMNS = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
    "ip_addr", "dest", "presence_id", "presence_data", "accountcode", "callstate",
    "callee_name", "callee_num", "callee_direction", "call_uuid", "hostname",
    "sent_callee_name", "sent_callee_num", "b_uuid", "b_direction", "b_created",
    "b_created_epoch", "b_name", "b_state", "b_cid_name", "b_cid_num", "b_ip_addr", "b_dest",
    "b_presence_id", "b_presence_data", "b_accountcode", "b_callstate", "b_callee_name",
    "b_callee_num", "b_callee_direction", "b_sent_callee_name", "b_sent_callee_num",
    "call_created_epoch",
)
CODECS = (
    ("ADPCM (IMA)", "mod_spandsp"), ("G.711 alaw", "CORE_PCM_MODULE"),
    ("G.711 ulaw", "CORE_PCM_MODULE"), ("G.722", "mod_spandsp"), ("G.726 16k", "mod_spandsp"),
    ("G.726 16k (AAL2)", "mod_spandsp"), ("G.726 24k", "mod_spandsp"),
    ("G.726 24k (AAL2)", "mod_spandsp"), ("G.726 32k", "mod_spandsp"),
    ("G.726 32k (AAL2)", "mod_spandsp"), ("G.726 40k", "mod_spandsp"),
    ("G.726 40k (AAL2)", "mod_spandsp"), ("GSM", "mod_spandsp"), ("LPC-10", "mod_spandsp"),
    ("PROXY PASS-THROUGH", "CORE_PCM_MODULE"), ("PROXY VIDEO PASS-THROUGH", "CORE_PCM_MODULE"),
    ("RAW Signed Linear (16 bit)", "CORE_PCM_MODULE"), ("Speex", "CORE_SPEEX_MODULE"),
)


def _channel_row(chan: Channel, hostname: str) -> dict[str, str]:
    created = chan.created_us // 1_000_000
    codec = chan.codec or ("", "", "")
    profile = chan.profile
    return {
        "uuid": chan.uuid, "direction": chan.direction,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
        "created_epoch": str(created), "name": chan.name, "state": chan.state,
        "cid_name": profile["Caller-ID-Name"], "cid_num": profile["Caller-ID-Number"],
        "ip_addr": profile["Network-Addr"], "dest": profile["Destination-Number"],
        "application": chan.variables.get("current_application", ""),
        "application_data": chan.variables.get("current_application_data", ""),
        "dialplan": "XML", "context": "default", "read_codec": codec[0], "read_rate": codec[1],
        "read_bit_rate": codec[2], "write_codec": codec[0], "write_rate": codec[1],
        "write_bit_rate": codec[2], "secure": "", "hostname": hostname, "presence_id": "",
        "presence_data": "", "accountcode": "", "callstate": chan.call_state,
        "callee_name": profile["Callee-ID-Name"], "callee_num": profile["Callee-ID-Number"],
        "callee_direction": "", "call_uuid": chan.uuid, "sent_callee_name": "",
        "sent_callee_num": "", "initial_cid_name": profile["Orig-Caller-ID-Name"],
        "initial_cid_num": profile["Orig-Caller-ID-Number"], "initial_ip_addr": "",
        "initial_dest": profile["Destination-Number"], "initial_dialplan": "XML",
        "initial_context": "default",
    }


def _call_row(a_leg: Channel, b_leg: Channel | None, hostname: str) -> dict[str, str]:
    a = _channel_row(a_leg, hostname)
    row = {col: a.get(col, "") for col in CALL_COLUMNS if not col.startswith("b_")}
    b = _channel_row(b_leg, hostname) if b_leg else {}
    for col in CALL_COLUMNS:
        if col.startswith("b_"):
            row[col] = b.get(col[2:], "")
    row["call_created_epoch"] = a["created_epoch"]
    return {col: row.get(col, "") for col in CALL_COLUMNS}


def _render(rows: list[dict[str, str]], columns: tuple[str, ...], as_json: bool,
            count_only: bool) -> str:
    if count_only:
        return f"\n{len(rows)} total.\n"
    if as_json:
        if not rows:
            return '{"row_count": 0}\n'
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"),
                          ensure_ascii=False)
    if not rows:
        return "\n0 total.\n"
    lines = [",".join(columns)]
    lines += [",".join(row.get(col, "") for col in columns) for row in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def show_table(switch: Switch, table: str, as_json: bool, count_only: bool) -> str:
    """`show channels|calls|codec ...`."""
    hostname = switch.bus.hostname
    chans = sorted(switch.channels.values(), key=lambda c: c.created_us)
    if table == "channels":
        rows = [_channel_row(c, hostname) for c in chans]
        return _render(rows, CHANNEL_COLUMNS, as_json, count_only)
    if table == "calls":
        seen: set[str] = set()
        call_rows = []
        for chan in chans:
            if chan.uuid in seen:
                continue
            other = chan.bridged_to
            seen.add(chan.uuid)
            if other is not None:
                seen.add(other.uuid)
            call_rows.append(_call_row(chan, other, hostname))
        return _render(call_rows, CALL_COLUMNS, as_json, count_only)
    if table == "codec":
        rows = [{"type": "codec", "name": name, "ikey": key} for name, key in CODECS]
        return _render(rows, ("type", "name", "ikey"), as_json, count_only)
    return "-ERR Cannot find table\n"


def show_api(table: dict[str, tuple[Any, str, str]], as_json: bool) -> str:
    """`show api [as json]` from the registered API commands."""
    rows = [{"name": name, "description": desc, "syntax": syntax, "ikey": "mod_commands"}
            for name, (_, syntax, desc) in sorted(table.items())]
    return _render(rows, ("name", "description", "syntax", "ikey"), as_json, False)


def sofia_status(switch: Switch, words: list[str]) -> str:
    """`sofia status` and `sofia status profile <name> reg`."""
    ip = switch.bus.ipv4
    rule = "=" * 97
    if words[:1] != ["status"]:
        return "-ERR Unknown command!\n" if words else "-USAGE: sofia status|help\n"
    if len(words) >= 3 and words[1] == "profile":
        if words[2] not in ("internal", "external"):
            return f"Invalid Profile [{words[2]}]\n"
        if len(words) >= 4 and words[3] == "reg":
            return f"\nRegistrations:\n{rule}\nTotal items returned: 0\n{rule}\n"
    rows = [("external", "profile", f"sip:mod_sofia@{ip}:5080", "RUNNING (0)")]
    for gateway in switch.scenario.gateways:
        rows.append((f"external::{gateway}", "gateway", f"sip:{gateway}@{ip}", "REGED"))
    rows.append((ip, "alias", "internal", "ALIASED"))
    rows.append(("internal", "profile", f"sip:mod_sofia@{ip}:5060", "RUNNING (0)"))
    lines = [f"{'Name':>25}\t{'Type':>7}\t{'Data':>42}\tState", rule]
    lines += [f"{n:>25}\t{t:>7}\t{d:>42}\t{s}" for n, t, d, s in rows]
    lines += [rule, "2 profiles 1 alias", ""]
    return "\n".join(lines)
