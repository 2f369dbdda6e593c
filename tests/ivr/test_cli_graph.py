"""`ivr validate` / `ivr graph` and the DOT/Mermaid renderings."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.ivr.cli import ivr
from engine.ivr.loader import load_flow, to_graph

FLOW = """
name: small
start: main
nodes:
  main:
    type: menu
    prompt: menu.wav
    choices: {"1": sales-team, "2": vip}
    no_input: bye
  sales-team: {type: queue, queue: sales}
  vip:
    type: branch
    conditions: [{var: tier, op: eq, value: "gold \\"plus\\"", next: sales-team}]
    default: bye
  bye: {type: hangup}
"""


def test_dot_graph(write_flow, sounds_dir):
    dot = to_graph(load_flow(write_flow(FLOW), sounds_dir=sounds_dir), "dot")
    assert dot.startswith('digraph "small" {')
    assert '"__start__" -> "main";' in dot
    assert '"main" -> "sales-team" [label="1"];' in dot
    assert '"main" -> "bye" [label="no_input"];' in dot
    assert '"vip" -> "sales-team" [label="tier eq gold \\"plus\\""];' in dot
    assert '"main" [label="main\\nmenu", shape=diamond];' in dot
    assert dot.rstrip().endswith("}")


def test_mermaid_graph(write_flow, sounds_dir):
    text = to_graph(load_flow(write_flow(FLOW), sounds_dir=sounds_dir), "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert "  start_(( )) --> n_main" in lines
    assert '  n_main -->|"1"| n_sales_team' in lines
    assert '  n_sales_team["sales-team<br/>queue: sales"]' in lines
    assert '  n_vip -->|"tier eq gold #quot;plus#quot;"| n_sales_team' in lines


def test_unknown_format(write_flow, sounds_dir):
    with pytest.raises(ValueError, match="unknown graph format"):
        to_graph(load_flow(write_flow(FLOW), sounds_dir=sounds_dir), "svg")


def test_validate_command_exit_codes(write_flow, sounds_dir):
    good = write_flow(FLOW, "good.yaml")
    bad = write_flow(FLOW.replace('"2": vip', '"2": vipp'), "bad.yaml")
    runner = CliRunner()
    ok = runner.invoke(ivr, ["validate", str(good), "--sounds-dir", str(sounds_dir)])
    assert ok.exit_code == 0 and ok.stdout == ""
    assert "1 flow(s) OK" in ok.stderr
    failed = runner.invoke(ivr, ["validate", str(good), str(bad), "--sounds-dir", str(sounds_dir)])
    assert failed.exit_code == 1
    assert failed.stdout.splitlines() == [
        f"{bad}:7:37: node 'main': unknown target 'vipp'",
        f"{bad}:10:3: warning: node 'vip': unreachable from start 'main'",
    ]
    assert "1 error(s) in 1 of 2 file(s)" in failed.stderr


def test_graph_command(write_flow, sounds_dir):
    path = write_flow(FLOW)
    runner = CliRunner()
    result = runner.invoke(ivr, ["graph", str(path), "--format", "mermaid", "--sounds-dir", str(sounds_dir)])
    assert result.exit_code == 0 and result.stdout.startswith("flowchart LR\n")
    default = runner.invoke(ivr, ["graph", str(path), "--sounds-dir", str(sounds_dir)])
    assert default.stdout.startswith('digraph "small"')
    broken = write_flow("name: x\n", "broken.yaml")
    failed = runner.invoke(ivr, ["graph", str(broken), "--sounds-dir", str(sounds_dir)])
    assert failed.exit_code == 1 and "missing required field 'start'" in failed.stderr
