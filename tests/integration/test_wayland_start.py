"""On a Wayland session the Team app says at start that screen capture cannot work there and
what works instead (the main screen's status line says the same: test_team_app_capture_status)."""

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_app_says_so_at_start_on_wayland(tmp_path):
    env = {
        **os.environ,
        "TEAMAPP_DATA_DIR": str(tmp_path / "data"),
        "XDG_SESSION_TYPE": "wayland",
        "WAYLAND_DISPLAY": "wayland-0",
    }
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "--no-window", "--no-tray"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Team app running at" in line:
                break
    finally:
        proc.terminate()
        proc.wait(30)
    output = "".join(lines)
    assert "Team app running at" in output, output
    assert "Screen capture: This is a Wayland session" in output and "X11" in output
