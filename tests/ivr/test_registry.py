"""FlowRegistry: flows by name from a directory; a broken edit never replaces a good flow."""

from __future__ import annotations

import os
import textwrap

from click.testing import CliRunner

from engine.ivr.cli import ivr
from engine.ivr.registry import FlowRegistry, flow_files

FLOW = """
name: {name}
start: bye
nodes:
  bye: {{type: hangup, prompt: {prompt}}}
"""


def write(path, name, prompt="bye.wav"):
    path.write_text(textwrap.dedent(FLOW.format(name=name, prompt=prompt)).lstrip())


def bump_mtime(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_only_flow_files_are_picked(tmp_path):
    write(tmp_path / "a.yaml", "a")
    write(tmp_path / "b.yml", "b")
    (tmp_path / "routes.yaml").write_text("routes: []\nschedules: {}\n")
    (tmp_path / "broken.yaml").write_text("nodes: [unclosed\n")
    (tmp_path / "notes.txt").write_text("nodes:")
    assert [p.name for p in flow_files(tmp_path)] == ["a.yaml", "b.yml", "broken.yaml"]


def test_reload_keeps_the_previous_good_flow(tmp_path, sounds_dir):
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    write(first, "first")
    write(second, "second")
    registry = FlowRegistry(tmp_path, sounds_dir=sounds_dir)
    assert registry.reload() == [] and registry.names() == ["first", "second"]
    good = registry.get("first")

    write(first, "first", prompt="missing.wav")  # an edit with an error
    bump_mtime(first)
    errors = registry.reload(only_changed=True)
    assert [str(e) for e in errors] == [
        f"{first}:4:31: node 'bye': prompt file 'missing.wav' not found in {sounds_dir}"]
    assert registry.get("first") is good  # still the old one

    write(first, "first")
    bump_mtime(first)
    assert registry.reload(only_changed=True) == []
    assert registry.get("first") is not good

    unchanged = registry.get("second")
    registry.reload(only_changed=True)
    assert registry.get("second") is unchanged  # not re-read

    second.unlink()
    registry.reload()
    assert registry.names() == ["first"] and registry.get("second") is None


def test_duplicate_flow_names(tmp_path, sounds_dir):
    write(tmp_path / "a.yaml", "same")
    write(tmp_path / "b.yaml", "same")
    registry = FlowRegistry(tmp_path, sounds_dir=sounds_dir)
    errors = registry.reload()
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'b.yaml'}:1:1: flow name 'same' is already used by {tmp_path / 'a.yaml'}"]
    assert registry.get("same").path == tmp_path / "a.yaml"


def test_validate_accepts_a_directory(tmp_path, sounds_dir):
    write(tmp_path / "a.yaml", "a")
    (tmp_path / "routes.yaml").write_text("routes: []\n")
    result = CliRunner().invoke(ivr, ["validate", str(tmp_path), "--sounds-dir", str(sounds_dir)])
    assert result.exit_code == 0 and "1 flow(s) OK" in result.stderr
