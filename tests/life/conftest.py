"""A user's life: the real Team app restarted on the same data dir, crashed, damaged, filled.

Every other layer starts each test from an empty data dir and tidy preferences; these tests
keep one data dir across several launches of the real process (``python app.py``, real capture
sources on the virtual display, the shipped default preferences) and check, after each step,
what the user sees and what the databases hold. The test clock starts each launch where the
story needs it (``--test-clock-start``), so "the next morning" takes no time.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import (  # noqa: F401  (fixtures shared with the browser layer)
    browser_context_args,
    browser_type_launch_args,
    capture_display,
    screenshot,
    watch_console,
)
from tests.e2e.processes import REPO_ROOT, DemoAccount, ServerProcess, TeamApp, server_output_sections, start_team_app

LOGS = REPO_ROOT / "test-artifacts" / "logs"


@dataclass
class Life:
    """One user's data dir and the launches of the Team app on it, in order."""

    data_dir: Path
    name: str
    display: str
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    launches: list[TeamApp] = field(default_factory=list)
    demo: dict[str, DemoAccount] = field(default_factory=dict)

    def start(self, at: datetime, *args: str) -> TeamApp:
        """Start the app with its test clock at ``at`` (aware UTC)."""
        n = len(self.launches) + 1
        app = start_team_app(
            self.data_dir,
            LOGS / f"life-{self.name}-{n}.log",
            extra_args=[
                "--no-window",
                "--test-clock",
                "--test-clock-start",
                at.isoformat(),
                *self.extra_args,
                *args,
            ],
            env={"DISPLAY": self.display, **self.env},
            label=f"Team app ({self.name}, launch {n})",
        )
        self.demo = self.demo or app.demo
        app.demo = self.demo  # printed on the first start only
        self.launches.append(app)
        return app

    @property
    def app(self) -> TeamApp:
        return self.launches[-1]

    def quit(self) -> None:
        """Quit as the user does (the window's close, Ctrl-C or SIGTERM): everything is stored."""
        code = self.app.server.stop(signal.SIGTERM)
        self.app.server.assert_clean_stop(code, "Team app stopped.")

    def crash(self) -> None:
        """kill -9: no chance to store anything more."""
        self.app.server.proc.send_signal(signal.SIGKILL)
        self.app.server.wait_for_exit()

    def output(self) -> str:
        return self.app.server.output()

    def second_copy(self, timeout: float = 60) -> subprocess.CompletedProcess:
        """``python app.py`` again on the same data dir while the first one runs."""
        return subprocess.run(
            [sys.executable, "app.py", "--no-window", "--data-dir", str(self.data_dir)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**__import__("os").environ, "DISPLAY": self.display, **self.env},
            check=False,
        )

    def local_rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the Team app's database from outside (read-only)."""
        path = self.data_dir / "teamapp.sqlite3"
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            return db.execute(sql, params).fetchall()

    def diary_rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the embedded diary's database from outside (read-only)."""
        path = self.data_dir / "diary" / "diary.sqlite3"
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture(autouse=True)
def no_console_errors(page):
    """As in the browser layer, except for the page's WebSocket failing to reconnect while the
    app is stopped or restarting (what a user's open window sees too)."""
    check = watch_console(page, expected=("ERR_CONNECTION_REFUSED", "[object Event]"))
    yield
    check()


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    """Wait (bounded) for something another process does, such as the sync worker's upload."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)


@pytest.fixture
def life(tmp_path, capture_display, request):  # noqa: F811
    """A user's data dir; every launch still running at the end is stopped (and must stop cleanly)."""
    story = Life(tmp_path / "data", request.node.name.replace("[", "-").replace("]", ""), capture_display)
    yield story
    for app in story.launches:
        if app.server.running():
            code = app.server.stop(signal.SIGTERM)
            app.server.assert_clean_stop(code, "Team app stopped.")


def _servers_of(item) -> list[ServerProcess]:
    found: list[ServerProcess] = []
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Life):
            found += [a.server for a in value.launches]
        elif isinstance(getattr(value, "server", None), ServerProcess):
            found.append(value.server)
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, show what every launch of the app (and any diary server) printed."""
    report = yield
    if report.failed:
        report.sections.extend(server_output_sections(_servers_of(item)))
    return report
