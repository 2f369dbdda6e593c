"""Digit collection (`play_and_get_digits`, switch_play_and_get_digits in switch_ivr.c)
and the simulated person pressing keys."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import gevent
from gevent.queue import Empty

from simswitch.apps import app, play

if TYPE_CHECKING:
    from simswitch.channel import Channel


@app("play_and_get_digits")
def _pagd(chan: Channel, arg: str) -> None:
    args = arg.split(" ")
    if len(args) < 8:
        return None
    low, high, tries, timeout_ms = (int(a) if a.isdigit() else 1 for a in args[:4])
    terminators, prompt, invalid, var = args[4], args[5], args[6], args[7]
    regex = args[8] if len(args) > 8 else None
    chan.variables.pop(var, None)
    for attempt in range(max(1, tries)):
        # The simulated person answers while the prompt plays; the first digit ends the
        # prompt (switch_ivr_read plays it with a digit buffer: switch_ivr_play_file
        # returns SWITCH_STATUS_BREAK on DTMF).
        press_scripted_digits(chan)
        chan.barge_in = True
        try:
            play(chan, prompt)
        finally:
            chan.barge_in = False
        digits, terminator = collect_digits(chan, high, terminators, timeout_ms / 1000.0)
        if terminator:
            chan.variables["read_terminator_used"] = terminator
        if low <= len(digits) <= high and (not regex or re.fullmatch(regex, digits)):
            chan.variables["read_result"] = "success"
            chan.variables[var] = digits
            return None
        chan.variables["read_result"] = "timeout" if not digits else "failure"
        if digits:
            chan.variables[f"{var}_invalid"] = digits
        if attempt + 1 < tries and invalid and invalid != "silence_stream://0":
            play(chan, invalid)
    return None


def collect_digits(chan: Channel, high: int, terminators: str,
                   timeout: float) -> tuple[str, str]:
    """Read DTMF from the channel's queue until `high` digits, a terminator or timeout."""
    digits = ""
    speed = chan.switch.clock.speed
    while len(digits) < high:
        try:
            digit = chan.dtmf.get(timeout=max(timeout, 0.001) / speed)
        except Empty:
            break
        if digit in terminators:
            return digits, digit
        digits += digit
    return digits, ""


def press_scripted_digits(chan: Channel) -> None:
    """The simulated person answers a prompt with the next scripted digits."""
    if not chan.dtmf_script:
        return
    digits = chan.dtmf_script.pop(0)
    step = 0.4 / chan.switch.clock.speed
    for index, digit in enumerate(digits):
        gevent.spawn_later(step * (index + 1), _press, chan, digit)


def _press(chan: Channel, digit: str) -> None:
    if chan.alive:
        chan.receive_dtmf(digit)
