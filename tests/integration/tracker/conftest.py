"""Fixtures for the capture engine's integration tests on the virtual display.

``make test`` runs Xvfb + openbox and exports DISPLAY for the whole run. Tests that need
X request :func:`x_display`, which fails loudly (never skips) when DISPLAY is missing, so
CI cannot silently stop testing the real sources.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def x_display() -> str:
    display = os.environ.get("DISPLAY")
    if not display:
        pytest.fail(
            "DISPLAY is not set: the tracker integration tests need an X server. Run them with "
            "`make test` (which starts Xvfb + openbox), or start one yourself: "
            "`Xvfb :91 -screen 0 1920x1080x24 -nolisten tcp & DISPLAY=:91 openbox &` and export DISPLAY=:91."
        )
    for tool in ("xdotool", "xterm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: apt-get install xdotool xterm")
    probe = subprocess.run(["xdotool", "getmouselocation"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        pytest.fail(f"cannot talk to the X server on DISPLAY={display}: {probe.stderr.strip()}")
    return display


def xdotool(*args: str) -> str:
    result = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=20, check=True)
    return result.stdout.strip()


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    """Wait for something another process does asynchronously (an X event delivered)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class XTerm:
    def __init__(self, proc: subprocess.Popen, window_id: str, title: str) -> None:
        self.proc = proc
        self.window_id = window_id
        self.title = title

    def activate(self, timeout: float = 20.0) -> None:
        """Raise and focus the window. The window manager may not have mapped it yet (xdotool
        then fails with BadMatch), so retry until X reports it as the focused window."""

        def focused() -> bool:
            subprocess.run(["xdotool", "windowactivate", "--sync", self.window_id], capture_output=True, timeout=20)
            subprocess.run(["xdotool", "windowfocus", "--sync", self.window_id], capture_output=True, timeout=20)
            active = subprocess.run(["xdotool", "getwindowfocus"], capture_output=True, text=True, timeout=20)
            return active.stdout.strip() == self.window_id

        wait_for(focused, timeout, f"the xterm {self.title!r} to take the focus")


@pytest.fixture
def xterm(x_display) -> Iterator[XTerm]:
    """An xterm with a unique title and a bright green background, active and focused."""
    title = f"teamapp-test {uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        ["xterm", "-T", title, "-bg", "#00c800", "-fg", "black", "-geometry", "100x30+200+150", "-e", "cat"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        window_id = xdotool("search", "--sync", "--onlyvisible", "--name", title).splitlines()[0]
        term = XTerm(proc, window_id, title)
        term.activate()
        yield term
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def runner_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracker.demo_run", *args]


def runner_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env
