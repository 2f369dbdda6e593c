"""Hostile or random input never crashes the loader: it becomes FlowErrors with positions."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.ivr import template
from engine.ivr.loader import validate_files
from engine.ivr.marks import YamlSyntaxError, load_marked

LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
    for prev, name in zip("abcde", "bcdef", strict=True)
)


@pytest.mark.parametrize(("text", "message"), [
    ("a: &x [1, *x]\n", "recursive alias"),
    (LAUGHS, "more than 100000 values"),
    ("[" * 200 + "]" * 200, "nested too deeply"),
    ("a: !!float abc\n", "bad float value 'abc'"),
    ("a: !!binary '@@@'\n", "unsupported tag"),
    ("<<: {a: 1}\n", "merge keys"),
    ("? [a, b]\n: c\n", "plain scalars"),
])
def test_hostile_yaml_is_refused_with_a_position(text, message):
    with pytest.raises(YamlSyntaxError, match=message) as raised:
        load_marked(text)
    assert raised.value.mark.line >= 1 and raised.value.mark.column >= 1


YAMLISH = st.text(alphabet=string.ascii_letters + string.digits + " :-[]{},'\"&*!#|>?\n\t%@`",
                  max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAMLISH)
def test_random_text_gives_errors_not_crashes(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "f.yaml"
    path.write_text(text, encoding="utf-8")
    for problem in validate_files([path], sounds_dir=path.parent):
        assert problem.file == str(path) and problem.line >= 1 and problem.column >= 1
        assert problem.message


@given(text=st.text(max_size=200), values=st.dictionaries(st.from_regex(r"[a-z_]{1,5}", fullmatch=True), st.text(max_size=10)))
def test_templates_never_raise(text, values):
    rendered = template.render(text, values.get)
    assert isinstance(rendered, str)
    assert template.static_length(text) <= len(text)


IDS = st.sampled_from(["a", "b", "c", "d", "e"])


def _node(kind: str, target: st.SearchStrategy) -> st.SearchStrategy:
    if kind == "menu":
        return st.fixed_dictionaries(
            {"type": st.just("menu"), "prompt": st.just("p.wav"),
             "choices": st.dictionaries(st.sampled_from(["1", "2", "*", "#", "12"]), target, min_size=1)},
            optional={"no_input": target})
    if kind == "hangup":
        return st.just({"type": "hangup"})
    if kind == "branch":
        return st.fixed_dictionaries({
            "type": st.just("branch"), "default": target,
            "conditions": st.lists(st.fixed_dictionaries(
                {"var": st.just("x"), "op": st.sampled_from(["eq", "in", "matches", "empty"]),
                 "next": target}, optional={"value": st.sampled_from(["1", "(", ["a"]])}),
                min_size=1, max_size=3)})
    if kind == "survey":
        return st.fixed_dictionaries(
            {"type": st.just("survey"), "question": st.just("q"), "prompt": st.just("p.wav"),
             "answers": st.lists(st.one_of(st.just("L"), st.fixed_dictionaries(
                 {"label": st.just("L")}, optional={"key": st.sampled_from(["1", "9", "*"]),
                                                    "next": target})), min_size=1, max_size=12)},
            optional={"next": target, "first_key": st.integers(0, 9)})
    return st.fixed_dictionaries({"type": st.just(kind)}, optional={"next": target})


NODES = st.dictionaries(IDS, st.sampled_from(["menu", "hangup", "branch", "survey", "goto", "set"]).flatmap(
    lambda kind: _node(kind, st.one_of(IDS, st.just("zz")))), min_size=1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=NODES, start=IDS)
def test_random_graphs_give_errors_not_crashes(tmp_path_factory, nodes, start):
    import yaml

    folder = tmp_path_factory.mktemp("graph")
    (folder / "p.wav").write_bytes(b"RIFF")
    (folder / "fallback.wav").write_bytes(b"RIFF")
    path = folder / "g.yaml"
    path.write_text(yaml.safe_dump({"name": "g", "start": start, "nodes": nodes}), encoding="utf-8")
    for problem in validate_files([path], sounds_dir=folder):
        assert problem.line >= 1 and problem.message
