"""The example flows in dialplans/ and the prompts in sounds/ that ship with fscc."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from engine.ivr.loader import load_flow, validate_files
from engine.ivr.registry import FlowRegistry, flow_files
from engine.ivr.steps import HANDLERS

ROOT = Path(__file__).resolve().parents[2]
# dialplans/ also holds other YAML (inbound routes); flows are the files with `nodes`.
FLOWS = flow_files(ROOT / "dialplans")
SOUNDS = ROOT / "sounds"


def test_examples_are_shipped():
    names = {path.name for path in FLOWS}
    assert {"auto_attendant.yaml", "survey.yaml", "press1.yaml", "satisfaction.yaml"} <= names


def test_every_shipped_flow_validates_cleanly():
    assert [str(problem) for problem in validate_files(FLOWS, sounds_dir=SOUNDS)] == []


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.name)
def test_shipped_flow_loads(path):
    flow = load_flow(path, sounds_dir=SOUNDS)
    assert flow.name == path.stem
    assert set(node.type for node in flow.nodes.values()) <= set(HANDLERS)


def test_examples_cover_the_inbound_and_campaign_node_types():
    used = {node.type for path in FLOWS for node in load_flow(path, sounds_dir=SOUNDS).nodes.values()}
    assert used >= {"play", "say", "menu", "collect", "survey", "record", "transfer", "queue",
                    "voicemail", "webhook", "set", "branch", "time", "hangup"}


def test_prompts_are_small_telephone_wavs():
    wavs = sorted(SOUNDS.glob("*.wav"))
    assert wavs, "sounds/ has no prompts (run sounds/make_prompts.py)"
    assert sum(path.stat().st_size for path in wavs) < 1_000_000
    for path in wavs:
        with wave.open(str(path)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2), path.name
            assert wav.getnframes() > 0


def test_prompt_generator_lists_every_shipped_prompt():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_prompts", SOUNDS / "make_prompts.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.PROMPTS) == {path.name for path in SOUNDS.glob("*.wav")}
    assert module.main(["--check", "--out", str(SOUNDS)]) == 0


def test_registry_loads_the_shipped_flows_by_name():
    registry = FlowRegistry(ROOT / "dialplans", sounds_dir=SOUNDS)
    assert registry.reload() == []
    assert {"auto_attendant", "survey", "press1", "satisfaction"} <= set(registry.names())
