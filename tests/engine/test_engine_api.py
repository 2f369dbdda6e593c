"""The Engine implements the control plane's EngineAPI, and its commands validate input."""
from __future__ import annotations

import inspect

import pytest

from engine.api import EngineAPI, EngineError
from engine.core import Engine
from engine.settings import Settings


def test_engine_has_every_engine_api_method_with_the_same_parameters() -> None:
    engine: EngineAPI = Engine(Settings(), store=False)  # mypy checks the structure too
    for name, member in inspect.getmembers(EngineAPI, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = getattr(engine, name)
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(member).parameters)[1:], name


def test_commands_name_the_field_at_fault() -> None:
    engine = Engine(Settings(), store=False)
    with pytest.raises(EngineError) as info:
        engine.agent_login(42)
    assert (info.value.field, info.value.status) == ("agent_id", 404)
    with pytest.raises(EngineError) as info:
        engine.transfer(1, "fax", "x")
    assert info.value.field == "kind"
    with pytest.raises(EngineError) as info:
        engine.dial(1, "not a number")
    assert info.value.field == "number"
