"""Start at login: the entries each platform reads, made by pure functions (so the Windows and
macOS ones are checked here too, although only the Linux one is written in these tests)."""

import plistlib

import pytest

from desktop import autostart
from tests.support.desktop_entry import exec_argv


@pytest.mark.parametrize(
    "command",
    [
        ["/usr/bin/python3", "/opt/team/app.py"],
        ["/home/ann/My Apps/python", "/home/ann/team app/app.py", "--data-dir", "/home/ann/Team data"],
        ["/opt/py", "/x/app.py", "--data-dir", '/tmp/odd "dir" $HOME `x` back\\slash 100%'],
    ],
)
def test_the_desktop_entry_runs_exactly_the_command(command):
    entry = autostart.desktop_entry(command)
    assert entry.startswith("[Desktop Entry]\nType=Application\nName=Team\n")
    assert "Icon=teamapp" in entry and "Terminal=false" in entry
    assert exec_argv(entry) == command


def test_the_launch_command_runs_this_python_on_app_py_with_a_custom_data_dir(tmp_path):
    command = autostart.launch_command(tmp_path)
    assert command[1].endswith("app.py") and command[-2:] == ["--data-dir", str(tmp_path)]
    assert autostart.launch_command()[2:] == []


def test_the_autostart_folder_honours_xdg_config_home(tmp_path):
    assert autostart.xdg_autostart_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "autostart"
    home = {"HOME": "/home/ann"}
    assert str(autostart.xdg_autostart_dir(home)) == "/home/ann/.config/autostart"
    assert str(autostart.xdg_autostart_dir({**home, "XDG_CONFIG_HOME": "relative"})) == "/home/ann/.config/autostart"


def test_the_macos_launch_agent_runs_the_command_once_at_login():
    agent = plistlib.loads(autostart.launch_agent(["/Applications/Team.app/Contents/MacOS/Team"]))
    assert agent["Label"] == "com.teamapp.TeamApp"
    assert agent["ProgramArguments"] == ["/Applications/Team.app/Contents/MacOS/Team"]
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] is False
    assert agent["LimitLoadToSessionType"] == "Aqua"


def test_the_launch_agent_file_goes_to_the_users_launch_agents(tmp_path):
    entry = autostart.LaunchAgentAutostart(home=tmp_path)
    assert not entry.enabled()
    entry.enable(["/bin/team"])
    assert entry.enabled() and entry.where() == str(tmp_path / "Library/LaunchAgents/com.teamapp.TeamApp.plist")
    entry.disable()
    assert not entry.enabled()


def test_the_windows_run_value_is_one_quoted_command_line():
    line = autostart.run_key_command([r"C:\Program Files\Team\Team.exe", "--data-dir", r"D:\Team data"])
    assert line == r'"C:\Program Files\Team\Team.exe" --data-dir "D:\Team data"'
    assert autostart.RUN_KEY == r"Software\Microsoft\Windows\CurrentVersion\Run"


def test_each_platform_gets_its_own_mechanism(tmp_path):
    assert isinstance(autostart.for_platform("win32"), autostart.RunKeyAutostart)
    assert isinstance(autostart.for_platform("darwin"), autostart.LaunchAgentAutostart)
    linux = autostart.for_platform("linux", {"XDG_CONFIG_HOME": str(tmp_path)})
    assert isinstance(linux, autostart.XdgAutostart)
    assert linux.where() == str(tmp_path / "autostart" / "teamapp.desktop")


REPO = autostart.REPO


def test_the_shipped_desktop_file_and_icons_match_the_app():
    shipped = (REPO / "packaging/linux/teamapp.desktop").read_text(encoding="utf-8")
    assert shipped == autostart.desktop_entry(["teamapp"], autostart=False)
    assert exec_argv(shipped) == ["teamapp"]
    icons = REPO / "packaging/linux/icons/hicolor"
    assert (icons / "256x256/apps/teamapp.png").read_bytes() == (REPO / "ui/static/icon-256.png").read_bytes()
    assert (icons / "32x32/apps/teamapp.png").read_bytes() == (REPO / "ui/static/favicon-32.png").read_bytes()
    assert (icons / "scalable/apps/teamapp.svg").read_bytes() == (REPO / "ui/static/icon.svg").read_bytes()
    from PIL import Image

    with Image.open(icons / "256x256/apps/teamapp.png") as big, Image.open(icons / "32x32/apps/teamapp.png") as small:
        assert big.size == (256, 256) and small.size == (32, 32)


def test_make_desktop_entry_puts_team_in_the_menu_for_this_checkout(tmp_path):
    path = autostart.install_menu_entry({"XDG_DATA_HOME": str(tmp_path)})
    assert path == tmp_path / "applications" / "teamapp.desktop"
    text = path.read_text(encoding="utf-8")
    assert exec_argv(text) == autostart.launch_command() and "X-GNOME-Autostart" not in text
    assert f"Icon={REPO / 'ui/static/icon-256.png'}" in text
