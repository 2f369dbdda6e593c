"""fs-config render: site values in, parseable FreeSWITCH XML out."""
from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from engine.fsconfig import RenderError, fs_config, render, site_values
from engine.settings import EslNode, Settings


def test_render_writes_every_file_with_site_values(tmp_path: pathlib.Path) -> None:
    settings = Settings(esl_nodes=(EslNode("fs1", "127.0.0.1", 8022, "x"),), outbound_port=9084, web_port=8090)
    written = render(tmp_path, site_values(settings))
    names = {str(p.relative_to(tmp_path)) for p in written}
    assert {"autoload_configs/event_socket.conf.xml", "autoload_configs/xml_curl.conf.xml",
            "dialplan/public/00_fscc.xml", "dialplan/default/00_fscc_features.xml", "vars_fscc.xml",
            "autoload_configs/acl.conf.xml"} <= names
    socket_conf = ET.parse(tmp_path / "autoload_configs/event_socket.conf.xml").getroot()
    params = {p.get("name"): p.get("value") for p in socket_conf.iter("param")}
    assert params["listen-ip"] == "127.0.0.1" and params["listen-port"] == "8022"
    assert params["password"] == "$${fscc_esl_password}" and params["apply-inbound-acl"] == "fscc_esl"
    dialplan = (tmp_path / "dialplan/public/00_fscc.xml").read_text()
    assert 'application="socket" data="127.0.0.1:9084 async full"' in dialplan
    assert "http://127.0.0.1:8090/freeswitch/directory" in (tmp_path / "autoload_configs/xml_curl.conf.xml").read_text()
    assert "printenv FSCC_ESL_PASSWORD" in (tmp_path / "vars_fscc.xml").read_text()


def test_bad_values_are_refused_with_the_field() -> None:
    with pytest.raises(RenderError, match="engine_cidr"):
        site_values(Settings(), engine_cidr="not-a-net")
    with pytest.raises(RenderError, match="did_pattern"):
        site_values(Settings(), did_pattern="(")


def test_cli_render(tmp_path: pathlib.Path) -> None:
    result = CliRunner().invoke(fs_config, ["render", "--out", str(tmp_path / "fs")], obj={"settings": Settings()})
    assert result.exit_code == 0, result.output
    assert "event_socket.conf.xml" in result.output
    bad = CliRunner().invoke(fs_config, ["render", "--out", str(tmp_path / "x"), "--engine-cidr", "0.0.0.0/0"],
                             obj={"settings": Settings()})
    assert bad.exit_code != 0 and "too wide" in bad.output


def test_render_fits_a_stock_tree(tmp_path: pathlib.Path) -> None:
    """Files land where a stock FreeSWITCH includes them and mean what they say there."""
    settings = Settings(sounds_dir=str(pathlib.Path(__file__).resolve().parents[2] / "sounds"))
    written = render(tmp_path, site_values(settings))
    # Stock sofia.conf.xml includes sip_profiles/*.xml directly under <profiles>: only whole
    # <profile> documents may go there (loose <param>s would be ignored by sofia).
    for path in written:
        relative = path.relative_to(tmp_path)
        if relative.parts[0] == "sip_profiles" and len(relative.parts) == 2:
            assert ET.parse(path).getroot().find("profile") is not None, relative
    # The directory replaces the stock users: no <user> is served from files.
    directory = ET.parse(tmp_path / "directory/default.xml").getroot()
    assert directory.find("domain") is not None and not list(directory.iter("user"))
    # Music on hold comes from fscc's own sounds, which hold a playable file.
    streams = ET.parse(tmp_path / "autoload_configs/local_stream.conf.xml").getroot()
    paths = {d.get("name"): pathlib.Path(d.get("path") or "") for d in streams.iter("directory")}
    assert {"moh", "moh/8000"} <= set(paths)
    assert list(paths["moh"].glob("*.wav"))
    # The socket app falls through only when it cannot connect: the fallback follows it.
    extension = ET.parse(tmp_path / "dialplan/public/00_fscc.xml").getroot().find("extension")
    assert extension is not None
    apps = [(a.get("application"), a.get("data") or "") for a in extension.iter("action")]
    names = [name for name, _ in apps]
    assert names.index("socket") < names.index("playback") < names.index("transfer")
    assert (dict(apps)["playback"]).endswith("/fallback.wav")
    assert dict(apps)["transfer"] == "engine_down XML fscc_fallback"
    fallback = ET.parse(tmp_path / "dialplan/fscc_fallback.xml").getroot()
    assert fallback.find("context").get("name") == "fscc_fallback"  # type: ignore[union-attr]


def test_engine_down_destination_is_checked() -> None:
    with pytest.raises(RenderError, match="fs_engine_down_destination"):
        site_values(Settings(extra={"fs_engine_down_destination": "a b"}))
