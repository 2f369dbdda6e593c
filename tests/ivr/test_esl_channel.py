"""The ESL adapter: which applications it executes and how it reads their results."""

from __future__ import annotations

import pytest

from engine.esl.errors import ESLCallGone, ESLCommandError
from engine.ivr.channel import CallChannel, CallerHungUp, ChannelError
from engine.ivr.esl_channel import DIGITS_VAR, EslCallChannel


class ScriptedCall:
    """Stands in for OutboundCall: records executes, answers with scripted event headers."""

    def __init__(self, results: dict[str, dict[str, str]] | None = None) -> None:
        self.uuid = "a1b2"
        self.hungup = False
        self.executed: list[tuple[str, str | None]] = []
        self.results = results or {}
        self.hangups: list[str] = []
        self.raise_on: dict[str, Exception] = {}
        self.apis: list[str] = []
        self.getvar_reply = "_undef_"

    def execute(self, app, arg=None, *, event_lock=True, wait=True, timeout=None):
        if app in self.raise_on:
            raise self.raise_on[app]
        self.executed.append((app, arg))
        return dict(self.results.get(app, {}))

    def hangup(self, cause="NORMAL_CLEARING"):
        self.hangups.append(cause)
        return "+OK"

    def get_var(self, name, default=None):
        return {"first_name": "Ada"}.get(name, default)

    def api(self, command, timeout=30.0):
        self.apis.append(command)
        return self.getvar_reply


def test_adapter_satisfies_the_protocol():
    assert isinstance(EslCallChannel(ScriptedCall()), CallChannel)


def test_media_applications_and_digits():
    call = ScriptedCall({"play_and_get_digits": {f"variable_{DIGITS_VAR}": "42"}})
    channel = EslCallChannel(call)
    channel.answer()
    channel.playback("/sounds/welcome.wav")
    digits = channel.play_and_get_digits(1, 2, 3, 5000, "", "/s/menu.wav", "/s/bad.wav", "^(1|42)$")
    channel.record("/rec/x.wav", 30)
    assert digits == "42"
    assert call.executed == [
        ("answer", None),
        ("playback", "/sounds/welcome.wav"),
        ("play_and_get_digits", f"1 2 3 5000 none /s/menu.wav /s/bad.wav {DIGITS_VAR} ^(1|42)$"),
        ("record", "/rec/x.wav 30"),
    ]


def test_no_digits_is_empty_text():
    channel = EslCallChannel(ScriptedCall())
    assert channel.play_and_get_digits(1, 1, 1, 100, "#", "/a.wav", "/b.wav", "^1$") == ""
    with pytest.raises(ChannelError, match="spaces"):
        channel.play_and_get_digits(1, 1, 1, 100, "#", "/a b.wav", "/b.wav", "^1$")


def test_bridge_success_and_failure():
    call = ScriptedCall({"bridge": {"variable_originate_disposition": "SUCCESS"}})
    channel = EslCallChannel(call, dialstrings={"number": "sofia/gateway/trunk/{target}"})
    assert channel.transfer("agent", "1001") is True
    assert channel.transfer("number", "+3312345") is True
    assert call.executed == [("bridge", "user/1001"), ("bridge", "sofia/gateway/trunk/+3312345")]
    call.results["bridge"] = {"variable_originate_disposition": "USER_BUSY"}
    assert channel.transfer("agent", "1002") is False
    with pytest.raises(ChannelError, match="no dial string"):
        channel.transfer("fax", "1")


def test_queue_goes_to_the_engine():
    call = ScriptedCall()
    asked: list[str] = []
    assert EslCallChannel(call, on_queue=lambda q: asked.append(q) or False).transfer("queue", "sales") is False
    assert asked == ["sales"] and call.executed == []
    channel = EslCallChannel(call)
    assert channel.transfer("queue", "support") is True
    assert call.executed == [("set", "fscc_queue=support")]
    assert channel.get_var("fscc_queue") == "support"


def test_variables():
    call = ScriptedCall()
    channel = EslCallChannel(call)
    channel.set_var("note", "two\nlines")
    assert call.executed == [("set", "note=two lines")]
    assert channel.get_var("first_name") == "Ada"  # uuid_getvar says _undef_: connect-time value
    call.getvar_reply = "gold"
    assert channel.get_var("tier") == "gold"
    assert call.apis[-1] == "uuid_getvar a1b2 tier"


def test_errors_map_to_channel_exceptions():
    call = ScriptedCall()
    call.raise_on["playback"] = ESLCallGone("call a1b2: hung up")
    call.raise_on["record"] = ESLCommandError("sendmsg", "-ERR no such channel")
    call.raise_on["answer"] = TimeoutError("slow")
    channel = EslCallChannel(call)
    with pytest.raises(CallerHungUp):
        channel.playback("/x.wav")
    with pytest.raises(ChannelError, match="record"):
        channel.record("/r.wav", 5)
    with pytest.raises(ChannelError, match="slow"):
        channel.answer()
    call.hungup = True
    assert channel.hungup
    with pytest.raises(CallerHungUp):
        channel.playback("/x.wav")
    channel.hangup("NORMAL_CLEARING")
    assert call.hangups == []  # nothing to hang up any more
