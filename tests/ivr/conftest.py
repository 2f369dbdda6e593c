"""Fixtures for IVR tests: a sounds directory with prompt files and a flow writer."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

PROMPTS = ("welcome.wav", "menu.wav", "invalid.wav", "fallback.wav", "bye.wav", "beep.wav")


@pytest.fixture
def sounds_dir(tmp_path: Path) -> Path:
    """A sounds directory holding the prompt files the test flows name."""
    directory = tmp_path / "sounds"
    directory.mkdir()
    for name in PROMPTS:
        (directory / name).write_bytes(b"RIFF-test")
    return directory


@pytest.fixture
def write_flow(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML text (dedented) to tmp_path/<name> and return its path."""

    def write(text: str, name: str = "menu.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
