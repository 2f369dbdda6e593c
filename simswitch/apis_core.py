"""Switch-level APIs: status, version, show, sofia, variables, log, simswitch_* helpers."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING

from simswitch.apis import API_TABLE, Apis, api
from simswitch.apps import APP_INFO
from simswitch.showtables import _render, show_api, show_table, sofia_status

if TYPE_CHECKING:
    from simswitch.switch import Switch


def uptime_text(seconds: float) -> str:
    """`0 years, 0 days, 1 hour, ...` as status and HEARTBEAT print it."""
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    years, rest = divmod(whole, 365 * 86400)
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)

    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"
    return ", ".join([unit(years, "year"), unit(days, "day"), unit(hours, "hour"),
                      unit(minutes, "minute"), unit(secs, "second"),
                      unit(micros // 1000, "millisecond"), unit(micros % 1000, "microsecond")])


@api("status", "", "Show current status")
def _status(self: Apis, args: str) -> str:
    sw = self.switch
    count = len(sw.channels)
    return (f"UP {uptime_text(sw.clock.uptime())}\n"
            "FreeSWITCH (Version 1.11.3-dev  64bit) is ready\n"
            f"{sw.sessions_since_start} session(s) since startup\n"
            f"{count} session(s) - peak {sw.peak_sessions}, last 5min {sw.peak_sessions} \n"
            "0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n"
            "1000 session(s) max\nmin idle cpu 0.00/98.10\n"
            "Current Stack Size/Max 240K/8192K\n")


@api("version", "[short]", "Version")
def _version(self: Apis, args: str) -> str:
    return "1.11.3\n" if args.strip() == "short" else \
        "FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n"


@api("show", "codec|api|channels|calls [count|as json]", "Show various reports")
def _show(self: Apis, args: str) -> str:
    words = args.split()
    if not words:
        return "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|" \
               "channels [count|like <match string>]|calls|detailed_calls|bridged_calls|" \
               "detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|" \
               "say|interfaces|interface_types|tasks|limits|status\n"
    as_json = words[-2:] == ["as", "json"]
    if words[0] == "api":
        return show_api(API_TABLE, as_json)
    if words[0] in ("application", "modules"):
        return show_modules(self.switch, words[0], as_json, "count" in words[1:])
    return show_table(self.switch, words[0], as_json, "count" in words[1:])


MOD_DIR = "/usr/local/freeswitch/lib/freeswitch/mod"


def show_modules(switch: Switch, table: str, as_json: bool, count_only: bool) -> str:
    """`show application` (name,description,syntax,ikey) or `show modules`
    (type,name,ikey,filename) for the scenario's loaded modules: an application of a module
    that is not loaded is not listed, as on the real switch."""
    loaded = set(switch.scenario.modules)
    apps = sorted((name, info) for name, info in APP_INFO.items() if info.module in loaded)
    if table == "application":
        rows = [{"name": name, "description": info.description, "syntax": info.syntax, "ikey": info.module}
                for name, info in apps]
        return _render(rows, ("name", "description", "syntax", "ikey"), as_json, count_only)
    interfaces = [("api", name, "mod_commands") for name in sorted(API_TABLE)]
    interfaces += [("application", name, info.module) for name, info in apps]
    rows = [{"type": kind, "name": name, "ikey": module, "filename": f"{MOD_DIR}/{module}.so"}
            for kind, name, module in sorted(interfaces, key=lambda i: (i[0], i[1]))]
    return _render(rows, ("type", "name", "ikey", "filename"), as_json, count_only)


@api("module_exists", "<module>", "Check if module exists")
def _module_exists(self: Apis, args: str) -> str:
    """mod_commands.c module_exists_function: `true`/`false` with no newline; nothing (so
    ESL answers `-ERR no reply`) without an argument."""
    name = args.strip()
    if not name:
        return ""
    return "true" if name in self.switch.scenario.modules else "false"


@api("global_getvar", "<var>", "Get global var")
def _global_getvar(self: Apis, args: str) -> str:
    return self.switch.global_vars.get(args.strip(), "")


@api("global_setvar", "<var>=<value>", "Set global var")
def _global_setvar(self: Apis, args: str) -> str:
    name, _, value = args.partition("=")
    self.switch.global_vars[name.strip()] = value
    return "+OK\n"


def expand(switch: Switch, text: str) -> str:
    """${var} expansion against the global variables."""
    return re.sub(r"\$\{([^}]+)\}", lambda m: switch.global_vars.get(m.group(1), ""), text)


@api("eval", "[uuid:<uuid> ]<expression>", "eval (noop)")
def _eval(self: Apis, args: str) -> str:
    if args.startswith("uuid:"):
        uuid, _, text = args[5:].partition(" ")
        chan = self.channel(uuid)
        return chan.expand(text) if chan is not None else expand(self.switch, text)
    return expand(self.switch, args)


@api("echo", "<data>", "Echo")
def _echo(self: Apis, args: str) -> str:
    return args


@api("strftime", "<format_string>", "strftime")
def _strftime(self: Apis, args: str) -> str:
    return time.strftime(args or "%Y-%m-%d %H:%M:%S", time.localtime(self.switch.clock.now()))


@api("log", "<level> <message>", "Log")
def _log(self: Apis, args: str) -> str:
    level_name, _, text = args.partition(" ")
    levels = {"CONSOLE": 0, "ALERT": 1, "CRIT": 2, "ERR": 3, "WARNING": 4, "NOTICE": 5,
              "INFO": 6, "DEBUG": 7}
    level = levels.get(level_name.upper(), 7)
    now = self.switch.clock.now()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1e6):06d}"
    line = f"{stamp} 0.13% [{level_name.upper()}] mod_commands.c:7247 {text}\n"
    self.switch.log_line(level, line)
    return "+OK\n"


@api("reloadxml", "", "Reload XML")
def _reloadxml(self: Apis, args: str) -> str:
    return "+OK [Success]\n"


@api("sofia", "status|help", "Sofia Controls")
def _sofia(self: Apis, args: str) -> str:
    return sofia_status(self.switch, args.split())


@api("simswitch_inbound", "<did> <caller_number> [<hangup_after_seconds>|- [<uuid>]]",
     "simswitch: deliver one inbound call now (the caller hangs up after the given time)")
def _simswitch_inbound(self: Apis, args: str) -> str:
    words = args.split()
    usage = "-USAGE: <did> <caller_number> [<hangup_after_seconds>|- [<uuid>]]\n"
    if len(words) < 2:
        return usage
    hangup_after = None
    if len(words) > 2 and words[2] != "-":
        try:
            hangup_after = float(words[2])
        except ValueError:
            return usage
    chan = self.switch.inbound.inject(words[0], words[1], words[3] if len(words) > 3 else None,
                                      hangup_after)
    return f"+OK {chan.uuid}\n"


@api("simswitch_dump", "", "simswitch: channel count and UUIDs as JSON")
def _simswitch_dump(self: Apis, args: str) -> str:
    return json.dumps({"channels": sorted(self.switch.channels)})
