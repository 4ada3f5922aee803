"""The diagnostics report a freelancer can paste into a support request.

It says what the app sees (platform, display server, capture health, database state, recent
log lines) and never anything private: no token, no memo, no window title, no snapshot.
"""

from __future__ import annotations

import os
import platform
import sys
from collections import deque
from pathlib import Path

from dbkit.migrate import current_version
from models.capture_store import CaptureImage, CaptureSegment
from models.local import Contract, local_db

APP_VERSION = "0.1.0"
LOG_LINES = 40


def display_server(environ=os.environ) -> str:
    if sys.platform == "win32":
        return "Windows"
    if sys.platform == "darwin":
        return "macOS (Quartz)"
    kind = environ.get("XDG_SESSION_TYPE", "")
    if environ.get("WAYLAND_DISPLAY") or kind == "wayland":
        return f"Wayland (WAYLAND_DISPLAY={environ.get('WAYLAND_DISPLAY', '')}, DISPLAY={environ.get('DISPLAY', '')})"
    if environ.get("DISPLAY"):
        return f"X11 (DISPLAY={environ['DISPLAY']})"
    return "no display (DISPLAY and WAYLAND_DISPLAY are unset)"


def tail(path: Path, lines: int = LOG_LINES) -> list[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for line in deque(fh, maxlen=lines)]
    except OSError:
        return []


def report(settings, status, account, now) -> str:
    rows = [
        f"Team app {APP_VERSION} diagnostics, {now.isoformat(timespec='seconds')}",
        f"Python {platform.python_version()} on {platform.platform()}",
        f"Display: {display_server()}",
        f"Data dir: {settings.data_dir}",
        f"Diary: {account.diary_url if account else 'not signed in'} ({account.role if account else '-'})",
        f"Local database schema version: {current_version(local_db)}",
        f"Segments: {CaptureSegment.select().count()} "
        f"(deleted {CaptureSegment.select().where(CaptureSegment.deleted_at.is_null(False)).count()}), "
        f"snapshots: {CaptureImage.select().where(CaptureImage.path.is_null(False)).count()}, "
        f"contracts: {Contract.select().count()}",
        f"Logging: {'on' if status.logging else 'off'}",
        "Capture health:",
        *[f"  {name}: {value}" for name, value in status.health().items()],
        "Settings (where each value came from):",
        *[
            f"  {name} = {value!r} [{settings.sources.get(name, 'default')}]"
            for name, value in sorted(settings.values.items())
        ],
        f"Last {LOG_LINES} log lines:",
        *["  " + line for line in tail(Path(settings.data_dir) / "logs" / "teamapp.log")],
    ]
    return "\n".join(rows) + "\n"
