"""Real server processes for the e2e and window tests: start, wait for the ready line, stop.

Each process writes stdout and stderr to one log file, so a failing test can show what the
server said (see ``server_output_sections`` and the ``pytest_runtest_makereport`` hooks).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

#: origin, port, the per-launch path prefix, the launch key
TEAM_URL_RE = re.compile(r"Team app running at (http://127\.0\.0\.1:(\d+))(/t-[\w-]{22})/\?key=(\S+)")
DIARY_URL_RE = re.compile(r"Diary server running at (http://127\.0\.0\.1:(\d+))/")
DEMO_RE = re.compile(r"^\s+(client|freelancer)\s+e-mail:\s+(\S+)\s+password:\s+(\S+)\s*$", re.MULTILINE)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DemoAccount:
    role: str
    email: str
    password: str


@dataclass
class ServerProcess:
    """One subprocess of ``app.py`` whose output goes to ``log_path``."""

    label: str
    args: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    match: re.Match | None = None
    _log_file: object = field(default=None, repr=False)

    def start(self, ready: re.Pattern, timeout: float = START_TIMEOUT) -> ServerProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_AT_BRIDGE": "1", **(self.env or {})}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "app.py", *self.args],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.match = ready.search(self.output())
            if self.match:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        state = f"exited with code {self.proc.poll()}" if self.proc.poll() is not None else "is still starting"
        self.kill()
        raise AssertionError(
            f"{self.label} did not print {ready.pattern!r} within {timeout:.0f} s ({state}).\n"
            f"Command: app.py {' '.join(self.args)}\nOutput:\n{self.output()}"
        )

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_for_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait for the process to end by itself; kill it (and fail) if it does not."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"{self.label} did not exit within {timeout:.0f} s.\nOutput:\n{self.output()}"
            ) from None
        finally:
            self._close_log()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``signum`` and wait for the exit; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        return self.wait_for_exit(timeout)

    def assert_clean_stop(self, code: int, farewell: str) -> None:
        out = self.output()
        assert code == 0 and farewell in out, (
            f"{self.label} did not stop cleanly: exit code {code}, "
            f"{'with' if farewell in out else 'without'} {farewell!r}.\nOutput:\n{out}"
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@dataclass
class TeamApp:
    """A running Team app: its base URL (origin and per-launch path prefix), the launch key and
    the printed demo accounts."""

    server: ServerProcess
    origin: str  # http://127.0.0.1:PORT: outside the prefix only /healthz answers
    prefix: str  # /t-…: where this launch serves, the Path of its cookie
    key: str
    data_dir: Path
    demo: dict[str, DemoAccount]

    @property
    def base_url(self) -> str:
        return self.origin + self.prefix

    @property
    def launch_url(self) -> str:
        return f"{self.base_url}/?key={self.key}"

    def url(self, path: str) -> str:
        return self.base_url + path


def start_team_app(data_dir: Path, log_path: Path, extra_args=(), env=None, label="Team app") -> TeamApp:
    port = free_port()
    server = ServerProcess(
        label, [*extra_args, "--data-dir", str(data_dir), "--port", str(port)], log_path, env=env
    ).start(TEAM_URL_RE)
    origin, printed_port, prefix, key = server.match.groups()
    assert int(printed_port) == port, f"asked for port {port}, the app printed {server.match.group(0)}"
    demo = {m.group(1): DemoAccount(*m.groups()) for m in DEMO_RE.finditer(server.output())}
    return TeamApp(server, origin, prefix, key, data_dir, demo)


def server_output_sections(servers) -> list[tuple[str, str]]:
    """Report sections with each server's output so far, for a failed test."""
    return [(f"{s.label} output ({s.log_path})", s.output() or "(nothing printed)") for s in servers]
