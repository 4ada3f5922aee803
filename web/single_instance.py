"""One Team app per data dir.

Two copies on one data dir would run two capture loops and two sync workers on one database:
doubled counts, two snapshots a segment, two uploads racing. The first copy holds an OS file
lock (``filelock``: fcntl on POSIX, LockFileEx on Windows) for as long as it runs, so a crash
frees it with the process and no stale lock file can keep the app from starting. It also
writes where it serves and a key a second copy can use to ask it to come to the front; a
second copy does that and exits.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import filelock
from flask import Blueprint, Flask, abort, request

LOCK_NAME = "teamapp.lock"
INFO_NAME = "instance.json"
KEY_HEADER = "X-Teamapp-Instance-Key"
SHOW_PATH = "/instance/show"


@dataclass(frozen=True)
class RunningInstance:
    """What the copy that holds the lock wrote about itself (None fields: not written yet)."""

    pid: int | None
    url: str | None
    key: str | None


class AlreadyRunning(Exception):
    def __init__(self, running: RunningInstance):
        self.running = running
        where = f" at {running.url}" if running.url else ""
        pid = f" (process {running.pid})" if running.pid else ""
        super().__init__(f"The Team app is already running on this data dir{where}{pid}.")


class InstanceLock:
    """Held from start to exit; :meth:`acquire` raises :class:`AlreadyRunning` at once."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._lock = filelock.FileLock(str(self.data_dir / LOCK_NAME), timeout=0, mode=0o600)
        self.key = secrets.token_urlsafe(24)

    def acquire(self) -> InstanceLock:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise AlreadyRunning(read_info(self.data_dir)) from None
        return self

    def publish(self, url: str) -> None:
        """Say where this copy serves (after its server is up, origin and launch path prefix),
        for a second copy to find it."""
        path = self.data_dir / INFO_NAME
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"pid": os.getpid(), "url": url, "key": self.key}, f)
        os.replace(tmp, path)

    def release(self) -> None:
        (self.data_dir / INFO_NAME).unlink(missing_ok=True)
        self._lock.release()


def read_info(data_dir: Path) -> RunningInstance:
    try:
        data = json.loads((Path(data_dir) / INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RunningInstance(None, None, None)
    if not isinstance(data, dict):
        return RunningInstance(None, None, None)
    pid, url, key = data.get("pid"), data.get("url"), data.get("key")
    return RunningInstance(
        pid if isinstance(pid, int) else None,
        url if isinstance(url, str) else None,
        key if isinstance(key, str) else None,
    )


def ask_to_show(running: RunningInstance, timeout: float = 5.0) -> bool:
    """Ask the running copy to bring its window to the front; False if it could not be reached."""
    if not (running.url and running.key):
        return False
    import httpx

    try:
        response = httpx.post(running.url + SHOW_PATH, headers={KEY_HEADER: running.key}, timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 204


def install(app: Flask, key: str, show) -> None:
    """The endpoint a second copy calls; ``show()`` brings the window (or a browser tab) up and
    says whether there was one (a ``--no-window`` app has nothing to show).

    It sits under the launch path prefix (``instance.json`` holds the prefixed URL) but outside
    the launch-key gate (the second copy has no cookie) and checks its own key, which only
    processes that can read the 0700 data dir know."""
    bp = Blueprint("instance", __name__)

    @bp.post(SHOW_PATH)
    def show_window():
        offered = request.headers.get(KEY_HEADER, "")
        if not (offered and secrets.compare_digest(offered, key)):
            abort(403)
        return ("", 204) if show() else ("", 409)

    app.register_blueprint(bp)
