"""Start the Team app when the user logs in: off by default, switched in Preferences.

One small interface over three mechanisms, each the platform's own per-user one:

- Linux and other XDG desktops: a desktop entry in ``$XDG_CONFIG_HOME/autostart/teamapp.desktop``
  (default ``~/.config/autostart``), per the XDG Autostart and Desktop Entry specifications.
- Windows: a value named ``TeamApp`` under ``HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run`` holding the command line.
- macOS: a LaunchAgent, ``~/Library/LaunchAgents/com.teamapp.TeamApp.plist``, with
  ``RunAtLoad`` (launchd reads the folder at the next login; nothing is loaded now).

Whether it is on is read from the platform itself (the file or the registry value exists), so
the switch never disagrees with what will happen at the next login. The text of each entry is
made by pure functions (tested on every OS); only the Linux one is written in the tests here.
"""

from __future__ import annotations

import importlib
import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

APP_NAME = "Team"
ENTRY_NAME = "teamapp"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "TeamApp"
AGENT_LABEL = "com.teamapp.TeamApp"
REPO = Path(__file__).resolve().parents[1]


class Autostart(Protocol):
    def enabled(self) -> bool: ...
    def enable(self, command: Sequence[str]) -> None: ...
    def disable(self) -> None: ...
    def where(self) -> str: ...


def launch_command(data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """How to start this Team app: the bundle's executable, or this Python running app.py;
    with ``--data-dir`` when the app runs on a data dir other than the default one."""
    frozen = getattr(sys, "frozen", False)
    command = [sys.executable] if frozen else [sys.executable, str(REPO / "app.py")]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    return command


# --- Linux: XDG autostart --------------------------------------------------------------------

_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _exec_quote(arg: str) -> str:
    """One argument of a desktop entry's Exec key (Desktop Entry spec, "The Exec key")."""
    arg = arg.replace("%", "%%")  # field codes start with %
    if arg and not (set(arg) & _RESERVED):
        return arg
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
    return f'"{escaped}"'


def desktop_entry(command: Sequence[str], icon: str | None = None, autostart: bool = True) -> str:
    """The text of the desktop entry that runs ``command`` (a desktop file's values are
    escaped once more for backslashes, per the spec's string rules)."""
    exec_line = " ".join(_exec_quote(a) for a in command).replace("\\", "\\\\")
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        f"Name={APP_NAME}",
        "GenericName=Time tracker",
        "Comment=Log time on hourly contracts and keep a shared Work Diary",
        f"Exec={exec_line}",
        f"Icon={icon or ENTRY_NAME}",
        "Terminal=false",
        "Categories=Office;ProjectManagement;",
        "StartupNotify=false",
    ]
    if autostart:
        lines.append("X-GNOME-Autostart-enabled=true")
    return "\n".join(lines) + "\n"


def xdg_autostart_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME", "")
    # The spec: a relative or empty value is ignored.
    root = Path(base) if base and os.path.isabs(base) else Path(environ.get("HOME", str(Path.home()))) / ".config"
    return root / "autostart"


def install_menu_entry(environ: Mapping[str, str] | None = None) -> Path:
    """``make desktop-entry``: put Team in the desktop's application menu for this checkout
    (``$XDG_DATA_HOME/applications/teamapp.desktop``, running this Python on app.py, with the
    icon from ui/). Packagers ship ``packaging/linux/`` instead."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path(environ.get("HOME", str(Path.home()))) / ".local/share"
    path = root / "applications" / f"{ENTRY_NAME}.desktop"
    path.parent.mkdir(parents=True, exist_ok=True)
    icon = REPO / "ui" / "static" / "icon-256.png"
    path.write_text(desktop_entry(launch_command(), icon=str(icon), autostart=False), encoding="utf-8")
    return path


class XdgAutostart:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.path = xdg_autostart_dir(environ) / f"{ENTRY_NAME}.desktop"

    def enabled(self) -> bool:
        return self.path.is_file()

    def enable(self, command: Sequence[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(desktop_entry(command), encoding="utf-8")
        os.replace(tmp, self.path)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def where(self) -> str:
        return str(self.path)


# --- macOS: a LaunchAgent --------------------------------------------------------------------


def launch_agent(command: Sequence[str]) -> bytes:
    """The LaunchAgent property list (launchd.plist(5)): run ``command`` once at login, in the
    user's graphical session, never restarted by launchd when it quits."""
    return plistlib.dumps(
        {
            "Label": AGENT_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "KeepAlive": False,
            "LimitLoadToSessionType": "Aqua",
            "ProcessType": "Interactive",
        }
    )


class LaunchAgentAutostart:
    def __init__(self, home: Path | None = None) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"

    def enabled(self) -> bool:
        return self.path.is_file()

    def enable(self, command: Sequence[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(launch_agent(command))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def where(self) -> str:
        return str(self.path)


# --- Windows: the per-user Run key -----------------------------------------------------------


def run_key_command(command: Sequence[str]) -> str:
    """The Run value's data: one command line, quoted as CreateProcess parses it."""
    return subprocess.list2cmdline(list(command))


def _winreg() -> Any:
    """The registry module (Windows only; typed loosely so the checks run on every OS)."""
    return importlib.import_module("winreg")


class RunKeyAutostart:  # pragma: no cover - only on Windows
    def enabled(self) -> bool:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, RUN_VALUE)
            return True
        except FileNotFoundError:
            return False

    def enable(self, command: Sequence[str]) -> None:
        winreg = _winreg()

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, run_key_command(command))

    def disable(self) -> None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, RUN_VALUE)
        except FileNotFoundError:
            pass

    def where(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}"


def for_platform(platform: str | None = None, environ: Mapping[str, str] | None = None) -> Autostart:
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return RunKeyAutostart()
    if platform == "darwin":
        return LaunchAgentAutostart()
    return XdgAutostart(environ)


if __name__ == "__main__":  # make desktop-entry
    print(f"Team is in the application menu: {install_menu_entry()}")
