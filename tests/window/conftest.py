"""The Team app in its native pywebview (Qt WebEngine) window, on the X display of the test run.

``make test`` (scripts/test.sh) provides Xvfb + openbox and exports DISPLAY. Without a display
these tests fail with a message saying so: CI must never skip them.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

import pytest

from tests.e2e.processes import REPO_ROOT, SCREENSHOTS, TeamApp, free_port, server_output_sections, start_team_app

LOGS = REPO_ROOT / "test-artifacts" / "logs"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, show what the app printed (Qt and QtWebEngine messages included)."""
    report = yield
    if report.failed:
        app = getattr(item, "funcargs", {}).get("native_app")
        if app is not None:
            report.sections.extend(server_output_sections([app.team.server]))
    return report


@pytest.fixture(scope="session")
def x_display() -> str:
    display = os.environ.get("DISPLAY", "")
    if not display:
        pytest.fail(
            "DISPLAY is not set: the native window tests need an X server. Run them with `make test` "
            "(scripts/test.sh starts Xvfb and openbox), or start `Xvfb :93 -screen 0 1920x1080x24 & "
            "DISPLAY=:93 openbox &` and export DISPLAY=:93."
        )
    probe = subprocess.run(["xdpyinfo"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        pytest.fail(f"DISPLAY={display} is set but no X server answers there: {probe.stderr.strip()}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return display


@dataclass
class NativeApp:
    team: TeamApp
    debug_port: int


@pytest.fixture
def native_app(x_display, tmp_path, request) -> NativeApp:
    """``python app.py --window native`` with QtWebEngine's remote debugging on a free port.

    The tests stop it themselves (closing the window, or a signal) and check the exit; this
    only cleans up after a test that failed before doing so.
    """
    debug_port = free_port()
    team = start_team_app(
        tmp_path / "data",
        LOGS / f"window-{request.node.name}.log",
        extra_args=["--window", "native"],
        env={
            "QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{debug_port}",
            "QT_ACCESSIBILITY": "0",
            "DISPLAY": x_display,
        },
        label="Team app (native window)",
    )
    yield NativeApp(team, debug_port)
    if team.server.running():
        team.server.stop(signal.SIGTERM, timeout=20)
    team.server.kill()
