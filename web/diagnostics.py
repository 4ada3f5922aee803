"""The diagnostics report a freelancer can paste into a support request.

One implementation for the Help page's button and for ``python app.py --diagnostics`` (which
runs without starting the app: it opens the local database read-only and prints the same
report). It says what the app sees (versions, backends, display server, permissions, data-dir
usage, the outbox, the last sync, a database integrity check, capture health, recent log lines)
and never anything private: no token, no memo, no window title, no snapshot.
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import sys
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

APP_VERSION = "0.1.0"
LOG_LINES = 40
#: The file the Team app keeps its cache in (web.factory.LOCAL_DB_NAME; repeated here so the
#: command-line report imports nothing that builds the app).
LOCAL_DB_NAME = "teamapp.sqlite3"
#: The libraries whose versions matter in a support request (what each backend runs on).
VERSIONED = (
    "Flask",
    "peewee",
    "httpx",
    "pywebview",
    "PyQt6",
    "PyQt6-WebEngine",
    "mss",
    "pillow",
    "python-xlib",
    "pynput",
    "opencv-python-headless",
    "pystray",
    "desktop-notifier",
    "keyring",
)
NOT_RUNNING = "not running (the app is not started: this report was made by app.py --diagnostics)"


def display_server(environ: Mapping[str, str] = os.environ) -> str:
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


def versions(names: Iterable[str] = VERSIONED) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def backends(settings, platform_name: str | None = None) -> list[str]:
    """Which library does each job here (from the platform and the settings, nothing started)."""
    from tracker.sources.status import session_problem

    platform_name = sys.platform if platform_name is None else platform_name
    if platform_name == "win32":
        capture = "screen mss (BitBlt), input pynput (Win32 hooks), window Win32 API"
        gui = "WebView2" if find_spec("webview") else "none (pywebview is not installed)"
    elif platform_name == "darwin":
        capture = "screen mss (CoreGraphics), input pynput (Quartz event taps), window Quartz"
        gui = "WKWebView" if find_spec("webview") else "none (pywebview is not installed)"
    else:
        capture = "screen mss (XShmGetImage), input X11 RECORD, window python-xlib (EWMH)"
        if find_spec("PyQt6") and find_spec("webview"):
            gui = "Qt WebEngine (pywebview[qt])"
        elif find_spec("webview"):
            gui = "pywebview without Qt (GTK if python3-gi is present)"
        else:
            gui = "none (pywebview is not installed)"
    problem = session_problem(platform=platform_name)
    if problem is not None and platform_name not in ("win32", "darwin"):
        capture = f"none: {problem}"
    return [
        f"  capture: {capture}",
        f"  window: {settings.window} setting; native window via {gui}",
        f"  sign-in token: {settings.token_store} setting (the token itself is never in this report)",
        f"  tray: {'on' if settings.tray else 'off'}; diary: {'remote' if settings.diary_url else 'embedded'}",
    ]


def _mode(path: Path) -> str:
    try:
        return oct(stat.S_IMODE(path.stat().st_mode))
    except OSError:
        return "missing"


def permissions(data_dir: Path) -> list[str]:
    from desktop import autostart

    loose = 0
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            try:
                if stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) & 0o077:
                    loose += 1
            except OSError:
                continue
    entry = autostart.for_platform()
    return [
        f"  data dir {_mode(data_dir)} (should be 0o700); database {_mode(data_dir / LOCAL_DB_NAME)} (0o600)",
        f"  files others could read: {loose}",
        f"  start at login: {'on' if entry.enabled() else 'off'} ({entry.where()})",
        "  screen, input and window access: see Capture health (macOS asks in System Settings > "
        "Privacy & Security; Wayland gives none)",
    ]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def usage(data_dir: Path) -> list[str]:
    """Bytes per top-level part of the data dir, and the free space on its disk."""
    parts: dict[str, list[int]] = {}
    for root, _dirs, files in os.walk(data_dir):
        rel = Path(root).relative_to(data_dir)
        for name in files:
            top = rel.parts[0] + "/" if rel.parts else ("database" if name.startswith(LOCAL_DB_NAME) else name)
            try:
                size = os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
            count_size = parts.setdefault(top, [0, 0])
            count_size[0] += 1
            count_size[1] += size
    rows = [
        f"  {name}: {_size(size)} in {count} file{'s' if count != 1 else ''}"
        for name, (count, size) in sorted(parts.items(), key=lambda item: -item[1][1])
    ]
    try:
        free = _size(shutil.disk_usage(data_dir).free)
    except OSError:
        free = "unknown"
    total = sum(size for _count, size in parts.values())
    return [f"  total {_size(total)}; free on its disk: {free}", *rows]


def _public_url(url: str) -> str:
    """A diary URL without any user name or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def database_rows(db, now: datetime) -> list[str]:
    """Schema, integrity, counts, the outbox and the last sync, from the bound local cache."""
    from dbkit.migrate import current_version
    from models.capture_store import CaptureImage, CaptureSegment
    from models.local import Contract, get_state
    from sync.contracts import REFRESHED_KEY
    from sync.sync_state import OFFLINE_KEY, PROBLEM_KEY, SERVER_ERROR_KEY

    check = [row[0] for row in db.execute_sql("PRAGMA quick_check").fetchall()]
    outbox = dict(db.execute_sql("SELECT state, COUNT(*) FROM sync_outbox GROUP BY state").fetchall())
    # No "last round" time is written (it cost writes every logged minute): the last sync is
    # told by what it left behind, the newest change of this computer the diary acknowledged
    # (its outbox row is gone) and when the contracts were last read from the diary.
    uploaded = db.execute_sql(
        "SELECT MAX(s.updated_at) FROM capture_segment s WHERE s.remote = 0 AND NOT EXISTS"
        " (SELECT 1 FROM sync_outbox o WHERE o.kind = 'segment' AND o.local_id = s.id)"
    ).fetchone()[0]
    refreshed = get_state(REFRESHED_KEY)
    offline = get_state(OFFLINE_KEY)
    server_error = get_state(SERVER_ERROR_KEY)
    return [
        f"Local database schema version: {current_version(db)}",
        f"Integrity check (PRAGMA quick_check): {'ok' if check == ['ok'] else '; '.join(check[:5])}",
        f"Segments: {CaptureSegment.select().count()} "
        f"(deleted {CaptureSegment.select().where(CaptureSegment.deleted_at.is_null(False)).count()}), "
        f"snapshots: {CaptureImage.select().where(CaptureImage.path.is_null(False)).count()}, "
        f"contracts: {Contract.select().count()}",
        "Outbox: " + (", ".join(f"{count} {state}" for state, count in sorted(outbox.items())) if outbox else "empty"),
        f"Last sync: contracts read from the diary {refreshed or 'never'}; "
        f"uploaded changes up to {uploaded or 'none yet'}"
        + (f"; offline since {offline}" if offline else "")
        + (f"; the diary answered HTTP {server_error}" if server_error else "")
        + ("; sign-in problem (see the app)" if get_state(PROBLEM_KEY) else ""),
    ]


def report(settings, status, account, now, db=None) -> str:
    """The whole report: ``status`` is the capture loop's (or one that says it is not running),
    ``db`` the local cache the models are bound to (default: the bound one)."""
    from models.local import local_db

    data_dir = Path(settings.data_dir)
    diary = f"{_public_url(account.diary_url)} ({account.role})" if account else "not signed in"
    rows = [
        f"Team app {APP_VERSION} diagnostics, {now.isoformat(timespec='seconds')}",
        f"Python {platform.python_version()} on {platform.platform()}",
        f"Versions: {versions()}",
        f"Display: {display_server()}",
        "Backends:",
        *backends(settings),
        f"Data dir: {data_dir}",
        *usage(data_dir),
        "Permissions:",
        *permissions(data_dir),
        f"Diary: {diary}",
        *database_rows(db if db is not None else local_db, now),
        f"Logging: {'on' if status.logging else 'off'}",
        "Capture health:",
        *[f"  {name}: {value}" for name, value in status.health().items()],
        "Settings (where each value came from):",
        *[
            f"  {name} = {_setting_value(name, value)!r} [{settings.sources.get(name, 'default')}]"
            for name, value in sorted(settings.values.items())
        ],
        f"Last {LOG_LINES} log lines:",
        *["  " + line for line in tail(data_dir / "logs" / "teamapp.log")],
    ]
    return "\n".join(rows) + "\n"


def _setting_value(name: str, value):
    return _public_url(value) if name == "diary_url" and value else value


def command_line_report(settings, now: datetime) -> str:
    """``python app.py --diagnostics``: the same report from the data dir alone, without
    starting anything (no server, window, capture or sync) and without changing the data dir."""
    import peewee

    from models.local import local_db
    from sync.account import current_account
    from tracker.loop import CaptureStatus
    from tracker.sources.status import session_problem

    data_dir = Path(settings.data_dir)
    problem = session_problem()
    health = problem or NOT_RUNNING
    status = CaptureStatus(False, None, None, 0.0, 0, health, health, health, NOT_RUNNING, NOT_RUNNING)
    path = data_dir / LOCAL_DB_NAME
    if not path.is_file():
        return (
            f"Team app {APP_VERSION} diagnostics, {now.isoformat(timespec='seconds')}\n"
            f"Display: {display_server()}\nData dir: {data_dir}\n"
            f"No Team app database at {path}: the app has not run on this data dir yet.\n"
        )
    # Read-only. With no write-ahead log beside it the file holds everything and nobody is
    # writing (the app is not running): read it as immutable, so SQLite does not leave an
    # empty -wal and -shm behind. With a log (the app runs, or stopped uncleanly) SQLite must
    # read the log too, which needs its shared-memory file.
    live = path.with_name(path.name + "-wal").exists()
    db = peewee.SqliteDatabase(f"file:{path}?mode=ro{'' if live else '&immutable=1'}", uri=True)
    local_db.initialize(db)
    try:
        with db.connection_context():
            return report(settings, status, current_account(), now, db)
    finally:
        db.close()
