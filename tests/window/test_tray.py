"""The tray icon docks in a real system tray (trayer on the virtual desktop) and follows logging."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time

import httpx
import pytest

from tests.e2e.processes import start_team_app

LOGS = __import__("pathlib").Path(__file__).resolve().parents[2] / "test-artifacts" / "logs"


def window_names(display: str) -> list[str]:
    r = subprocess.run(
        ["xdotool", "search", "--name", "^Team: "],
        capture_output=True,
        text=True,
        env={"DISPLAY": display},
        check=False,
    )
    names = []
    for wid in r.stdout.split():
        n = subprocess.run(
            ["xdotool", "getwindowname", wid], capture_output=True, text=True, env={"DISPLAY": display}, check=False
        )
        names.append(n.stdout.strip())
    return names


def wait_for_name(display: str, pattern: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    names: list[str] = []
    while time.monotonic() < deadline:
        names = window_names(display)
        if any(re.search(pattern, n) for n in names):
            return names
        time.sleep(0.2)
    raise AssertionError(f"no tray window named {pattern!r}; saw {names}")


@pytest.fixture
def tray_host(x_display):
    if shutil.which("trayer") is None:
        pytest.fail("trayer is missing: `make test` installs Debian's trayer package")
    proc = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200", "--height", "32"],
        env={"DISPLAY": x_display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # trayer claims the tray selection right after it starts
    yield
    proc.terminate()
    proc.wait(10)


def test_tray_icon_shows_logging_state_and_contract(tray_host, x_display, tmp_path):
    LOGS.mkdir(parents=True, exist_ok=True)
    app = start_team_app(tmp_path / "data", LOGS / "tray-team-app.log", extra_args=["--no-window"])
    try:
        wait_for_name(x_display, r"^Team: Not logging$")
        freelancer = app.demo["freelancer"]
        cookies = {"teamapp_key": app.key}
        with httpx.Client(base_url=app.base_url, cookies=cookies) as http:
            assert (
                http.post("/signin", data={"email": freelancer.email, "password": freelancer.password}).status_code
                == 303
            )
            http.post("/contracts/select", data={"contract_id": "1"})
            r = http.post("/logging/toggle", headers={"HX-Request": "true"})
            assert 'aria-checked="true"' in r.text
            wait_for_name(x_display, r"^Team: Logging on Website redesign$")
            http.post("/logging/toggle", headers={"HX-Request": "true"})
            wait_for_name(x_display, r"^Team: Not logging on Website redesign$")
    finally:
        code = app.server.stop(signal.SIGTERM)
        app.server.assert_clean_stop(code, "Team app stopped.")
