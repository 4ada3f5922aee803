import re
from pathlib import Path

import pytest

import settings
import settings_load
from settings import SETTINGS
from settings_load import SettingsError, load

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_file_env_cli_precedence(tmp_path):
    (tmp_path / "settings.toml").write_text('port = 7000\nwindow = "browser"\nlog_level = "debug"\n')
    env = {"TEAMAPP_DATA_DIR": str(tmp_path), "TEAMAPP_WINDOW": "none", "TEAMAPP_LOG_LEVEL": "warning"}
    s = load("app", cli={"log_level": "error"}, environ=env)
    assert s.port == 7000 and s.sources["port"] == "file"
    assert s.window == "none" and s.sources["window"] == "environment"
    assert s.log_level == "error" and s.sources["log_level"] == "command line"
    assert s.token_store == "auto" and s.sources["token_store"] == "default"
    assert s.data_dir == tmp_path


def test_diary_scope_reads_its_own_data_dir(tmp_path):
    (tmp_path / "settings.toml").write_text("diary_port = 9100\n")
    s = load("diary", cli={"diary_data_dir": str(tmp_path)}, environ={})
    assert s.diary_port == 9100
    assert "port" not in s.values  # the Team app's settings are not the diary server's


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("port", "eighty", "whole number"),
        ("window", "fullscreen", "one of auto, native, browser, none"),
        ("diary_demo", "maybe", "true or false"),
    ],
)
def test_bad_values_get_a_clear_message(name, raw, message, tmp_path):
    with pytest.raises(SettingsError, match=message):
        load("app" if name != "diary_demo" else "diary", cli={name: raw, "data_dir": str(tmp_path)}, environ={})


def test_bad_settings_file_is_refused(tmp_path):
    (tmp_path / "settings.toml").write_text("nonsense = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'nonsense'"):
        load("app", environ={"TEAMAPP_DATA_DIR": str(tmp_path)})
    (tmp_path / "settings.toml").write_text("data_dir = '/elsewhere'\n")
    with pytest.raises(SettingsError, match="cannot be set in the settings file"):
        load("app", environ={"TEAMAPP_DATA_DIR": str(tmp_path)})
    (tmp_path / "settings.toml").write_text("port = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load("app", environ={"TEAMAPP_DATA_DIR": str(tmp_path)})


def test_default_data_dir_comes_from_platformdirs(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    s = load("app", environ={})
    assert s.data_dir == tmp_path / "TeamApp"


def test_private_dir_is_0700(tmp_path):
    d = settings_load.ensure_private_dir(tmp_path / "a" / "b")
    assert d.stat().st_mode & 0o777 == 0o700
    d.chmod(0o755)
    settings_load.ensure_private_dir(d)
    assert d.stat().st_mode & 0o777 == 0o700


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for s in SETTINGS:
        row = re.search(rf"^\|\s*`{re.escape(s.cli_flag)}`\s*\|\s*`{s.env_var}`\s*\|.*$", readme, re.M)
        assert row, f"README.md has no settings-table row for {s.name} ({s.cli_flag}, {s.env_var})"


def test_every_setting_has_help_and_a_valid_default():
    for s in SETTINGS:
        assert len(s.help) > 20, s.name
        if s.default is not None:
            settings_load.convert(s, s.default)


def test_readme_table_is_the_generated_one():
    assert settings.markdown_table() in (ROOT / "README.md").read_text()
