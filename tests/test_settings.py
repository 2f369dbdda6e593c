"""Settings: defaults, YAML file, FSCC_* environment, and errors naming the key."""
import pytest

from engine.settings import ConfigError, EslNode, load_settings


def test_defaults_run_the_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={})
    assert s.database_url.startswith("sqlite:///")
    assert (s.web_host, s.web_port) == ("127.0.0.1", 8080)
    assert s.esl_nodes == (EslNode("fs1", "127.0.0.1", 8021, "ClueCon"),)


def test_yaml_then_environment_override(tmp_path):
    cfg = tmp_path / "fscc.yaml"
    cfg.write_text(
        "web_port: 9090\nlog_format: json\nesl_nodes:\n  - {name: a, host: 10.1.1.1, port: 8021, password: pw}\n"
        "  - {name: b, host: 10.1.1.2}\n"
    )
    s = load_settings(cfg, environ={"FSCC_WEB_PORT": "9191", "FSCC_DEMO_USERS": "yes"})
    assert s.web_port == 9191
    assert s.log_format == "json"
    assert s.demo_users is True
    assert [n.name for n in s.esl_nodes] == ["a", "b"]
    assert s.esl_nodes[1].port == 8021


def test_fscc_esl_shorthand():
    s = load_settings(environ={"FSCC_ESL": "fs.example:8022:secret"}, path=None)
    assert s.esl_nodes == (EslNode("fs1", "fs.example", 8022, "secret"),)


@pytest.mark.parametrize(
    ("yaml_text", "env", "key"),
    [
        ("web_port: 70000\n", {}, "web_port"),
        ("", {"FSCC_WEB_PORT": "eighty"}, "web_port"),
        ("log_format: xml\n", {}, "log_format"),
        ("no_such_setting: 1\n", {}, "no_such_setting"),
        ("timezone: Mars/Olympus\n", {}, "timezone"),
        ("default_region: USA\n", {}, "default_region"),
        ("esl_nodes:\n  - {port: 8021}\n", {}, "esl_nodes[0].host"),
        ("web_port: [1\n", {}, "--config"),
        ("", {"FSCC_ESL": "nohost"}, "esl_nodes"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, yaml_text, env, key):
    cfg = tmp_path / "fscc.yaml"
    cfg.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ=env)
    assert err.value.key == key
    assert key in str(err.value)


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_external_dial_needs_the_number_placeholder():
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"FSCC_EXTERNAL_DIAL": "sofia/gateway/carrier/"})
    assert err.value.key == "external_dial"
    s = load_settings(environ={"FSCC_EXTERNAL_DIAL": "sofia/gateway/carrier/{number}", "FSCC_DIALER_ENABLED": "no"})
    assert s.external_dial.format(number="123") == "sofia/gateway/carrier/123"
    assert s.dialer_enabled is False
