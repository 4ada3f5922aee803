"""End-to-end fixtures: Debian's Chromium through Playwright, and the servers as real subprocesses.

Each server starts once per session (the Team app with its embedded diary, and a standalone
diary server), writes its output to ``test-artifacts/logs/``, and must stop cleanly at the end.
A failing test gets the servers' output appended to its report.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.processes import (
    DIARY_URL_RE,
    REPO_ROOT,
    SCREENSHOTS,
    ServerProcess,
    TeamApp,
    free_port,
    server_output_sections,
    start_team_app,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 768}
NARROW = {"width": 400, "height": 800}
LOGS = REPO_ROOT / "test-artifacts" / "logs"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = {"headless": True, **browser_type_launch_args}
    if os.path.exists(CHROMIUM):  # elsewhere: the browser of `playwright install chromium`
        args["executable_path"] = CHROMIUM
    args["args"] = [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS]
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": LAPTOP}


# --- servers -------------------------------------------------------------------------------


def _servers_of(item) -> list[ServerProcess]:
    found = []
    for value in getattr(item, "funcargs", {}).values():
        server = getattr(value, "server", value)
        if isinstance(server, ServerProcess) and server not in found:
            found.append(server)
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, show what each server this test used printed (like Datasette's tests do)."""
    report = yield
    if report.failed:
        report.sections.extend(server_output_sections(_servers_of(item)))
    return report


@pytest.fixture(scope="session")
def team_app(tmp_path_factory) -> TeamApp:
    """``python app.py --no-window`` with its embedded diary, started once for the session."""
    app = start_team_app(
        tmp_path_factory.mktemp("team-app-data"), LOGS / "e2e-team-app.log", extra_args=["--no-window"]
    )
    assert {"client", "freelancer"} <= set(app.demo), (
        "the app did not print both demo accounts:\n" + app.server.output()
    )
    yield app
    code = app.server.stop(signal.SIGTERM)
    app.server.assert_clean_stop(code, "Team app stopped.")


@dataclass
class DiaryServer:
    server: ServerProcess
    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def diary_server(tmp_path_factory) -> DiaryServer:
    """``python app.py diary-server`` alone, started once for the session.

    It is stopped with Ctrl-C (SIGINT), which is what it documents ("Ctrl-C to stop"); see the
    report on SIGTERM.
    """
    port = free_port()
    data_dir = tmp_path_factory.mktemp("diary-data")
    server = ServerProcess(
        "Diary server",
        ["diary-server", "--port", str(port), "--data-dir", str(data_dir)],
        LOGS / "e2e-diary-server.log",
    ).start(DIARY_URL_RE)
    base_url, printed_port = server.match.groups()
    assert int(printed_port) == port, server.output()
    yield DiaryServer(server, base_url)
    code = server.stop(signal.SIGINT)
    server.assert_clean_stop(code, "Diary server stopped.")


# --- screenshots ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def screenshot():
    """``screenshot(page, "name")``: full-page PNGs at laptop and narrow widths.

    Files: ``test-artifacts/screenshots/<name>-1366x768.png`` and ``<name>-400x800.png``.
    The page is left at the laptop size.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> list[Path]:
        paths = []
        for size in (LAPTOP, NARROW):
            page.set_viewport_size(size)
            path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
            page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
            paths.append(path)
        page.set_viewport_size(LAPTOP)
        return paths

    return shoot


# --- browser console -----------------------------------------------------------------------


def watch_console(page, expected: tuple[str, ...] = ()):
    """Collect the page's console errors; returns a check that fails on any not ``expected``.

    HTTP error statuses that a test asks for (the locked page's 403, a form's 422) are logged by
    Chromium as "Failed to load resource"; those are the tests' business, not script errors.
    """
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"{page.url}: {msg.text}"))
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: uncaught {exc}"))

    def check() -> None:
        real = [e for e in errors if not any(x in e for x in ("Failed to load resource", *expected))]
        assert not real, "console errors in the browser:\n" + "\n".join(real)

    return check


@pytest.fixture(autouse=True)
def no_console_errors(page):
    """Every page a test opens must run without console errors (CSP violations, script errors)."""
    check = watch_console(page)
    yield
    check()


# --- a Team app on the test clock and the real X display (test_logging_flow.py, test_preferences_flow.py) ---


@pytest.fixture(scope="session")
def capture_display() -> str:
    """The X display whose screen, input and windows the real capture sources read."""
    import subprocess

    display = os.environ.get("DISPLAY", "")
    if not display:
        pytest.fail(
            "DISPLAY is not set: the logging-flow tests capture a real X display. Run them with `make test` "
            "(scripts/test.sh starts Xvfb and openbox), or start `Xvfb :95 -screen 0 1920x1080x24 & "
            "DISPLAY=:95 openbox &` and export DISPLAY=:95."
        )
    probe = subprocess.run(["xdpyinfo"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        pytest.fail(f"DISPLAY={display} is set but no X server answers there: {probe.stderr.strip()}")
    return display


@pytest.fixture(scope="session")
def clock_app(tmp_path_factory, capture_display) -> TeamApp:
    """``python app.py --no-window --test-clock`` with the real capture sources on DISPLAY.

    Its clock stands still; tests move it with POST /test/clock (see logging_helpers.advance).
    """
    app = start_team_app(
        tmp_path_factory.mktemp("team-app-clock-data"),
        LOGS / "e2e-team-app-test-clock.log",
        extra_args=["--no-window", "--test-clock"],
        env={"DISPLAY": capture_display},
        label="Team app (test clock)",
    )
    assert {"client", "freelancer"} <= set(app.demo), (
        "the app did not print both demo accounts:\n" + app.server.output()
    )
    yield app
    code = app.server.stop(signal.SIGTERM)
    app.server.assert_clean_stop(code, "Team app stopped.")
