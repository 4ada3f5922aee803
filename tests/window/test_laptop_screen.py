"""The native window on a small laptop screen (1280x720): it opens inside the screen, with the
sign-in page whole, on a display of its own so the other window tests keep their 1920x1080."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.processes import SCREENSHOTS, start_team_app
from tests.window.cdp import PageSession, wait_for_page_target
from tests.window.conftest import LOGS, free_port
from tests.window.test_native_window import assert_sign_in_page_rendered

SCREEN = (1280, 720)


def free_display() -> str:
    for n in range(170, 230):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return f":{n}"
    pytest.fail("no free X display number for the 1280x720 screen")


@pytest.fixture
def laptop_display(x_display):
    display = free_display()
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {**os.environ, "DISPLAY": display}
    for _ in range(100):
        if subprocess.run(["xdpyinfo"], env=env, capture_output=True, check=False).returncode == 0:
            break
        time.sleep(0.1)
    wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield display
    wm.terminate()
    xvfb.terminate()
    wm.wait(10)
    xvfb.wait(10)


def window_geometry(display: str, pid: int, timeout: float = 60) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the app's window titled "Team", frame excluded."""
    env = {**os.environ, "DISPLAY": display}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", "^Team$"], env=env, capture_output=True, text=True)
        for wid in found.stdout.split():
            owner = subprocess.run(["xdotool", "getwindowpid", wid], env=env, capture_output=True, text=True)
            if owner.stdout.strip() == str(pid):
                info = subprocess.run(
                    ["xdotool", "getwindowgeometry", "--shell", wid], env=env, capture_output=True, text=True
                ).stdout
                values = dict(line.split("=", 1) for line in info.split() if "=" in line)
                return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])
        time.sleep(0.2)
    raise AssertionError(f"no window titled 'Team' of pid {pid} on {display} within {timeout:.0f} s")


def test_the_window_fits_a_1280x720_screen_and_shows_the_sign_in_page(laptop_display, tmp_path):
    debug_port = free_port()
    team = start_team_app(
        tmp_path / "data",
        LOGS / "window-laptop-screen.log",
        extra_args=["--window", "native"],
        env={"QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{debug_port}", "DISPLAY": laptop_display},
        label="Team app (native window, 1280x720 screen)",
    )
    try:
        x, y, width, height = window_geometry(laptop_display, team.server.proc.pid)
        assert x >= 0 and y >= 0 and x + width <= SCREEN[0] and y + height <= SCREEN[1], (x, y, width, height)
        assert height <= int(SCREEN[1] * 0.9) and width >= 420, (width, height)
        target = wait_for_page_target(debug_port, team.base_url, 60, alive=team.server.running)
        page = PageSession(target["webSocketDebuggerUrl"])
        assert_sign_in_page_rendered(page, team.prefix)
        button = page.evaluate(
            "(() => { const b = document.querySelector('#signin-form button[type=submit]').getBoundingClientRect();"
            " return b.bottom <= window.innerHeight; })()"
        )
        assert button, "the Sign in button is below the window's fold"
        shot = subprocess.run(
            ["import", "-window", "root", str(SCREENSHOTS / "native-window-1280x720.png")],
            env={**os.environ, "DISPLAY": laptop_display},
            capture_output=True,
            timeout=30,
        )
        assert shot.returncode == 0
    finally:
        code = team.server.stop(signal.SIGTERM, timeout=20) if team.server.running() else 0
        team.server.kill()
    assert code == 0, team.server.output()
