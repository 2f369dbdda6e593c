"""The loader: YAML marks, schema errors and semantic checks, all with file:line:col."""

from __future__ import annotations

import pytest

from engine.ivr.errors import FlowError, InvalidFlow
from engine.ivr.loader import load_flow, validate_files

GOOD = """
name: menu
start: main
nodes:
  main:
    type: menu
    prompt: menu.wav
    choices:
      "1": sales
    no_input: bye
  sales:
    type: queue
    queue: sales
  bye:
    type: hangup
"""


def messages(path, sounds_dir) -> list[str]:
    return [str(error) for error in validate_files([path], sounds_dir=sounds_dir)]


def test_good_flow_loads_with_defaults(write_flow, sounds_dir):
    flow = load_flow(write_flow(GOOD), sounds_dir=sounds_dir)
    assert flow.name == "menu" and flow.start == "main"
    assert set(flow.nodes) == {"main", "sales", "bye"}
    menu = flow.nodes["main"]
    assert (menu.get("timeout"), menu.get("retries")) == (5, 3)  # schema defaults
    assert flow.nodes["bye"].get("cause") == "NORMAL_CLEARING"
    assert (menu.line, menu.column) == (4, 3)
    assert flow.max_steps == 500 and flow.fallback == "fallback.wav"
    assert flow.warnings == []


def test_unknown_target_is_reported_exactly_as_documented(write_flow, sounds_dir):
    path = write_flow("""
        name: menu
        start: main
        nodes:
          main:
            type: menu
            prompt: menu.wav
            choices:
              "1": sales
            no_input: bye
          bye:
            type: hangup
          sales:
            next:
              salse
            type: goto
    """)
    errors = validate_files([path], sounds_dir=sounds_dir)
    assert [str(e) for e in errors] == [f"{path}:14:7: node 'sales': unknown target 'salse'"]
    error = errors[0]
    assert (error.file, error.line, error.column, error.field) == (str(path), 14, 7, "nodes.sales.next")
    with pytest.raises(InvalidFlow) as raised:
        load_flow(path, sounds_dir=sounds_dir)
    assert isinstance(raised.value, FlowError)
    assert raised.value.errors == [error]
    assert str(raised.value) == f"{path}:14:7: node 'sales': unknown target 'salse'"


def test_relative_path_shows_as_given(write_flow, sounds_dir, monkeypatch):
    path = write_flow(GOOD.replace('"1": sales', '"1": salse'))
    monkeypatch.chdir(path.parent)
    assert messages("menu.yaml", sounds_dir) == [
        "menu.yaml:8:12: node 'main': unknown target 'salse'",
        "menu.yaml:10:3: warning: node 'sales': unreachable from start 'main'",
    ]


def test_yaml_syntax_error_has_position(write_flow, sounds_dir):
    path = write_flow("name: x\nstart: a\nnodes:\n  a: [unclosed\n")
    (line,) = messages(path, sounds_dir)
    assert line.startswith(f"{path}:5:1: invalid YAML")


def test_duplicate_keys_are_errors(write_flow, sounds_dir):
    path = write_flow(GOOD + "  bye:\n    type: hangup\n    cause: USER_BUSY\n    cause: NO_ANSWER\n")
    assert messages(path, sounds_dir) == [
        f"{path}:15:3: duplicate node id 'bye'",
        f"{path}:18:5: node 'bye': duplicate key 'cause'",
    ]


def test_schema_errors_name_node_field_and_line(write_flow, sounds_dir):
    path = write_flow("""
        name: menu
        start: main
        nodes:
          main:
            type: menu
            prompt: menu.wav
            choices: {"1": bye}
            timeout: -3
            colour: red
            no_input: bye
          bye:
            type: hangdown
    """)
    assert messages(path, sounds_dir) == [
        f"{path}:8:14: node 'main': field 'timeout': -3 is less than or equal to the minimum of 0",
        f"{path}:9:5: node 'main': unknown field 'colour'",
        f"{path}:12:11: node 'bye': field 'type': 'hangdown' is not one of: play, say, menu, collect, "
        "survey, record, transfer, queue, voicemail, webhook, set, branch, time, goto, hangup",
    ]


def test_missing_required_fields(write_flow, sounds_dir):
    path = write_flow("name: x\nnodes:\n  a:\n    type: transfer\n    to: queue\n")
    assert messages(path, sounds_dir) == [
        f"{path}:1:1: missing required field 'start'",
        f"{path}:4:5: node 'a': missing required field 'target'",
    ]


def test_play_needs_exactly_one_of_file_or_tone(write_flow, sounds_dir):
    path = write_flow(GOOD + "  extra:\n    type: play\n    file: bye.wav\n    tone: '%(100,0,440)'\n")
    (line,) = messages(path, sounds_dir)
    assert line == f"{path}:16:5: node 'extra': needs exactly one of 'file' or 'tone'"


def test_dead_end_and_stuck_loop_are_errors(write_flow, sounds_dir):
    path = write_flow("""
        name: loops
        start: intro
        nodes:
          intro:
            type: play
            file: welcome.wav
            next: ask
          ask:
            type: menu
            prompt: menu.wav
            choices: {"1": spin, "2": silent}
            no_input: ask
          spin:
            type: goto
            next: spin2
          spin2:
            type: set
            vars: {x: "1"}
            next: spin
          silent:
            type: play
            file: bye.wav
    """)
    assert [m for m in messages(path, sounds_dir) if "warning" not in m] == [
        f"{path}:13:3: node 'spin': caller stuck: no path from here to hangup, transfer, queue or voicemail",
        f"{path}:16:3: node 'spin2': caller stuck: no path from here to hangup, transfer, queue or voicemail",
        f"{path}:20:3: node 'silent': dead end: a play node needs 'next' or the caller is left stuck",
    ]


def test_menu_without_no_input_is_a_dead_end(write_flow, sounds_dir):
    path = write_flow(GOOD.replace("    no_input: bye\n", ""))
    assert messages(path, sounds_dir) == [
        f"{path}:4:3: node 'main': dead end: a menu node needs 'no_input' or the caller is left stuck",
        f"{path}:12:3: warning: node 'bye': unreachable from start 'main'",
    ]


def test_unreachable_node_is_only_a_warning(write_flow, sounds_dir):
    path = write_flow(GOOD + "  orphan:\n    type: hangup\n")
    (warning,) = validate_files([path], sounds_dir=sounds_dir)
    assert warning.is_warning
    assert str(warning) == f"{path}:15:3: warning: node 'orphan': unreachable from start 'main'"
    flow = load_flow(path, sounds_dir=sounds_dir)
    assert flow.warnings == [warning]


def test_missing_prompt_files(write_flow, sounds_dir):
    path = write_flow(GOOD.replace("prompt: menu.wav", "prompt: {file: nope.wav}\n    invalid_prompt: gone.wav"))
    assert messages(path, sounds_dir) == [
        f"{path}:6:20: node 'main': prompt file 'nope.wav' not found in {sounds_dir}",
        f"{path}:7:21: node 'main': prompt file 'gone.wav' not found in {sounds_dir}",
    ]
    (sounds_dir / "fallback.wav").unlink()
    assert f"{path}:1:1: flow: prompt file 'fallback.wav' not found in {sounds_dir}" in messages(path, sounds_dir)


def test_prompt_paths_cannot_escape_sounds_dir(write_flow, sounds_dir):
    path = write_flow(GOOD.replace("prompt: menu.wav", "prompt: ../../etc/passwd"))
    (line,) = messages(path, sounds_dir)
    assert line.startswith(f"{path}:6:13: node 'main': field 'prompt': '../../etc/passwd' is not valid")


def test_say_text_limit_counts_without_variables(write_flow, sounds_dir):
    ok_text = "a" * 490 + "{first_name}{organisation}"
    flow = GOOD.replace("prompt: menu.wav", f'prompt: {{say: "{ok_text}"}}')
    assert messages(write_flow(flow), sounds_dir) == []
    long_text = "b" * 501 + "{first_name}"
    path = write_flow(GOOD + f'  speech:\n    type: say\n    text: "{long_text}"\n    next: bye\n')
    assert f"{path}:17:11: node 'speech': say text is 501 characters without variables (at most 500)" in messages(path, sounds_dir)


def test_survey_answer_limit_and_duplicate_keys(write_flow, sounds_dir):
    answers = ", ".join(f"A{i}" for i in range(11))
    path = write_flow(GOOD + f"""  q:
    type: survey
    question: q
    prompt: menu.wav
    answers: [{answers}]
    next: bye
  q2:
    type: survey
    question: q2
    prompt: menu.wav
    answers: [{{key: "2", label: Two}}, {{key: "2", label: Again}}]
    next: bye
""")
    errors = [e for e in messages(path, sounds_dir) if "warning" not in e]
    assert errors == [
        f"{path}:19:14: node 'q': 11 survey answers (at most 10)",
        f"{path}:25:39: node 'q2': survey key '2' is used twice",
    ]


def test_bad_regex_timezone_dates_and_conditions(write_flow, sounds_dir):
    path = write_flow("""
        name: checks
        start: when
        nodes:
          when:
            type: time
            timezone: Mars/Olympus
            schedules:
              - {days: [mon], from: "18:00", to: "09:00", next: digits}
            holidays: ["02-30"]
            closed: digits
          digits:
            type: collect
            prompt: menu.wav
            into: account
            pattern: "([0-9"
            min_digits: 5
            max_digits: 3
            next: route
          route:
            type: branch
            conditions:
              - {var: account, op: gt, next: done}
              - {var: account, op: in, value: "x", next: done}
            default: done
          done:
            type: hangup
    """)
    assert messages(path, sounds_dir) == [
        f"{path}:6:15: node 'when': unknown timezone 'Mars/Olympus'",
        f"{path}:8:42: node 'when': schedule ends (09:00) before it starts (18:00)",
        f"{path}:9:16: node 'when': '02-30' is not a real date",
        f"{path}:15:14: node 'digits': bad regular expression '([0-9': unterminated character set at position 1",
        f"{path}:16:17: node 'digits': min_digits is above max_digits",
        f"{path}:22:9: node 'route': condition 'gt' needs a value",
        f"{path}:23:39: node 'route': condition 'in' needs a list value",
    ]


def test_unquoted_times_dates_and_numeric_keys_stay_text(write_flow, sounds_dir):
    path = write_flow("""
        name: yaml11
        start: when
        nodes:
          when:
            type: time
            timezone: UTC
            schedules:
              - days: [mon]
                from: 9:00
                to: 18:00
                next: m
            holidays: [2026-12-25]
            closed: m
          m:
            type: menu
            prompt: menu.wav
            choices:
              01: done
              1: done
            no_input: done
          done:
            type: hangup
    """)
    errors = messages(path, sounds_dir)
    # 9:00 is not HH:MM (needs a leading zero) and is reported as text, not as 540.
    assert errors == [f"{path}:9:15: node 'when': field 'schedules.0.from': '9:00' does not match "
                      "'^([01][0-9]|2[0-3]):[0-5][0-9]$'"]
    flow = load_flow(write_flow(path.read_text().replace("9:00\n", "09:00\n")), sounds_dir=sounds_dir)
    assert flow.nodes["when"].get("schedules")[0]["to"] == "18:00"
    assert flow.nodes["when"].get("holidays") == ["2026-12-25"]
    assert list(flow.nodes["m"].get("choices")) == ["01", "1"]


def test_validate_files_reports_unreadable_and_non_mapping(tmp_path, sounds_dir):
    missing = tmp_path / "nope.yaml"
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    found = [str(e) for e in validate_files([missing, listed], sounds_dir=sounds_dir)]
    assert found[0].startswith(f"{missing}:1:1: cannot read")
    assert found[1] == f"{listed}:1:1: a flow file must be a YAML mapping with name, start and nodes"


def test_unsafe_yaml_tags_are_refused(write_flow, sounds_dir):
    path = write_flow("name: !!python/object/apply:os.system ['true']\nstart: a\nnodes: {}\n")
    (line,) = messages(path, sounds_dir)
    assert line.startswith(f"{path}:1:7: invalid YAML")


def test_collect_pattern_cannot_contain_spaces(write_flow, sounds_dir):
    path = write_flow(GOOD + "  c:\n    type: collect\n    prompt: menu.wav\n    into: x\n"
                             "    pattern: '^1 2$'\n    next: bye\n")
    errors = [e for e in messages(path, sounds_dir) if "warning" not in e]
    assert len(errors) == 1 and errors[0].startswith(f"{path}:19:14: node 'c': field 'pattern': '^1 2$' is not valid: Regex")


def test_menu_no_input_to_itself_is_a_warning(write_flow, sounds_dir):
    path = write_flow(GOOD.replace("no_input: bye", "no_input: main"))
    found = validate_files([path], sounds_dir=sounds_dir)
    assert [str(e) for e in found if e.field == "nodes.main.no_input"] == [
        f"{path}:9:15: warning: node 'main': no_input repeats this node forever for a silent caller "
        "(retries already repeat the prompt); send them somewhere that ends"]
    assert load_flow(path, sounds_dir=sounds_dir).name == "menu"


def test_missing_field_names_the_field(write_flow, sounds_dir):
    path = write_flow("name: x\nnodes:\n  a:\n    type: transfer\n    to: queue\n")
    fields = [e.field for e in validate_files([path], sounds_dir=sounds_dir)]
    assert fields == ["start", "nodes.a.target"]
