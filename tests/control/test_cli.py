"""The fscc CLI: help, version, db upgrade, and one clear line for bad settings."""
import pytest
from click.testing import CliRunner

from control.cli import cli
from engine import __version__


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("FSCC_") and not key.startswith("FSCC_TEST"):
            monkeypatch.delenv(key)
    return CliRunner()


@pytest.mark.parametrize("command", [[], ["run"], ["engine"], ["web"], ["demo"], ["db", "upgrade"], ["version"]])
def test_every_command_has_help(runner, command):
    result = runner.invoke(cli, [*command, "--help"], obj={})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_version(runner):
    result = runner.invoke(cli, ["version"], obj={})
    assert result.output.strip() == f"fscc {__version__}"


def test_db_upgrade_is_idempotent(runner, tmp_path):
    env = {"FSCC_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    first = runner.invoke(cli, ["db", "upgrade"], env=env, obj={})
    assert first.exit_code == 0, first.output
    assert "applied 1" in first.output
    second = runner.invoke(cli, ["db", "upgrade"], env=env, obj={})
    assert "nothing to do" in second.output


def test_bad_setting_is_one_line_exit_2(runner):
    result = runner.invoke(cli, ["web"], env={"FSCC_WEB_PORT": "http"}, obj={})
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["fscc: config error: setting 'web_port' (FSCC_WEB_PORT): must be an integer port, got 'http'"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://x", "unsupported scheme"),
        ("postgresql://postgres@127.0.0.1:1/nope", "cannot connect"),
        ("postgresql://127.0.0.1:5432", "needs a database name"),
    ],
)
def test_bad_database_url_is_one_line_exit_2(runner, url, fragment):
    result = runner.invoke(cli, ["web"], env={"FSCC_DATABASE_URL": url}, obj={})
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], result.output


def test_old_schema_stops_the_engine(runner, tmp_path):
    env = {"FSCC_DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"}
    result = runner.invoke(cli, ["engine"], env=env, obj={})
    assert result.exit_code == 2
    assert "run `fscc db upgrade`" in result.output
