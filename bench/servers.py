"""A gunicorn master started for a benchmark, and what the kernel says it costs.

Shared by the benchmarks that put the diary server under load (``diary_api.py``,
``team_load.py``): each starts gunicorn in its own process group with its output in a log
file, waits for every worker and a health answer, and stops the whole group at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
TICK = os.sysconf("SC_CLK_TCK")


class Server:
    """``gunicorn -k <worker_class> -w <workers> <worker_args> <app>`` on a free loopback port."""

    def __init__(
        self,
        name: str,
        app: str,
        workers: int,
        env: dict[str, str],
        log_dir: Path,
        health: str,
        worker_class: str = "gthread",
        worker_args: tuple[str, ...] = ("--threads", "8"),
    ):
        self.name = name
        self.log_path = log_dir / (re.sub(r"\W+", "-", name) + ".log")
        self.workers = workers
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    str(GUNICORN),
                    "-k",
                    worker_class,
                    "-w",
                    str(workers),
                    *worker_args,
                    "-b",
                    "127.0.0.1:0",
                    "--no-control-socket",
                    app,
                ],
                cwd=ROOT,
                env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.base_url = self._wait(health)

    def _wait(self, health: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        base_url = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited:\n{self.log_path.read_text()}")
            log = self.log_path.read_text(errors="replace")
            if base_url is None:
                match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log)
                base_url = match.group(1) if match else None
            if base_url and log.count("Booting worker with pid") >= self.workers:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base_url + health, timeout=5).status_code == 200:
                        return base_url
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: no answer on {health} in {timeout} s:\n{self.log_path.read_text()}")

    def pids(self) -> list[int]:
        """The master and its workers."""
        return [self.proc.pid, *children(self.proc.pid)]

    def cpu_seconds(self) -> float:
        """utime + stime of the master and its workers, from /proc."""
        return usage(self.pids()).cpu_seconds

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's list: a child's parent is a process)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += [int(p) for p in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


@dataclass
class Usage:
    """CPU seconds (user + system) and memory of a set of processes, read from /proc."""

    cpu_seconds: float
    rss_bytes: int
    hwm_bytes: int  # the largest VmHWM among them


def usage(pids: list[int]) -> Usage:
    cpu = 0.0
    rss = hwm = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICK
            status = Path(f"/proc/{pid}/status").read_text()
            rss += _kib(status, "VmRSS") * 1024
            hwm = max(hwm, _kib(status, "VmHWM") * 1024)
    return Usage(cpu, rss, hwm)


def _kib(status: str, key: str) -> int:
    match = re.search(rf"^{key}:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) if match else 0
