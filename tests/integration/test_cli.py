"""app.py as a person runs it: help, create-user, settings layering, clean stop, loopback only."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def run_app(*args, input=None, env=None):
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_help_documents_every_option():
    app_help = run_app("--help").stdout
    diary_help = run_app("diary-server", "--help").stdout
    create_help = run_app("diary-server", "create-user", "--help").stdout
    for s in SETTINGS:
        target = app_help if "app" in s.scope else diary_help
        assert s.cli_flag in target, s.name
        assert s.env_var in target, s.name
    assert "--no-window" in app_help and "diary-server" in app_help
    for flag in ("--role", "--email", "--name"):
        assert flag in create_help


def test_bad_option_value_is_a_clear_error():
    r = run_app("--port", "eighty", "--no-window")
    assert r.returncode == 2 and "port: expected a whole number" in r.stderr
    r = run_app("diary-server", "--database", "mysql://x/y", "--data-dir", "/tmp/nonexistent-teamapp-test")
    assert r.returncode == 2 and "unsupported database URL" in r.stderr


def test_create_user_reads_the_password_from_stdin_and_can_sign_in(tmp_path):
    d = tmp_path / "diary"
    r = run_app(
        "diary-server",
        "create-user",
        "--role",
        "client",
        "--email",
        "Boss@Example.com",
        "--name",
        "Big Boss",
        "--data-dir",
        str(d),
        input="a long password\n",
    )
    assert r.returncode == 0, r.stderr
    assert "Created client Big Boss <boss@example.com>" in r.stdout
    r = run_app(
        "diary-server",
        "create-user",
        "--role",
        "client",
        "--email",
        "boss@example.com",
        "--name",
        "Again",
        "--data-dir",
        str(d),
        input="a long password\n",
    )
    assert r.returncode == 2 and "already exists" in r.stdout and "Nothing was created" in r.stdout
    r = run_app(
        "diary-server",
        "create-user",
        "--role",
        "freelancer",
        "--email",
        "f@example.com",
        "--name",
        "F",
        "--data-dir",
        str(d),
        input="short\n",
    )
    assert r.returncode == 2 and "at least 10 characters" in r.stdout
    for weak, why in (("aaaaaaaaaa", "one character repeated"), ("password12", "most common passwords")):
        r = run_app(
            "diary-server",
            "create-user",
            *("--role", "freelancer", "--email", "f@example.com", "--name", "F", "--data-dir", str(d)),
            input=weak + "\n",
        )
        assert r.returncode == 2 and why in r.stdout and "Nothing was created" in r.stdout
    from diary_server import create_app

    app = create_app({"DATA_DIR": d})
    r = app.test_client().post("/api/v1/sessions", json={"email": "boss@example.com", "password": "a long password"})
    assert r.status_code == 201
    r = app.test_client().post("/api/v1/sessions", json={"email": "f@example.com", "password": "short"})
    assert r.status_code == 401


def _start(args, env=None):
    proc = subprocess.Popen(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "running at" in line and ("Team app" in line or "Diary server" in line):
            return proc, lines
    proc.kill()
    pytest.fail("server did not start:\n" + "".join(lines))


def _finish(proc) -> str:
    """Wait for the exit, then read what is left. (communicate() with a timeout reads the raw
    pipe and loses what readline() already buffered.)"""
    proc.wait(timeout=30)
    return proc.stdout.read()


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of LISTEN sockets on ``port`` from /proc/net/tcp{,6}."""
    found = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(name).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":
                found.add(addr)
    return found


def test_team_app_binds_loopback_and_stops_cleanly_on_ctrl_c(tmp_path):
    proc, lines = _start(["--no-window", "--data-dir", str(tmp_path)])
    out = "".join(lines)
    assert "freelancer@demo.teamapp.test" in out and "password:" in out
    team_port = int(re.search(r"Team app running at http://127\.0\.0\.1:(\d+)/t-[\w-]{22}/\?key=", out).group(1))
    diary_port = int(re.search(r"Embedded Work Diary running at http://127\.0\.0\.1:(\d+)/", out).group(1))
    for port in (team_port, diary_port):
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
    proc.send_signal(signal.SIGINT)
    rest = _finish(proc)
    assert proc.returncode == 0, out + rest
    assert "Team app stopped." in rest
    for db in (tmp_path / "teamapp.sqlite3", tmp_path / "diary" / "diary.sqlite3"):
        assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The second start finds the demo accounts already there and prints no passwords.
    proc, lines = _start(["--no-window", "--data-dir", str(tmp_path)])
    proc.send_signal(signal.SIGTERM)
    rest = _finish(proc)
    assert proc.returncode == 0 and "password:" not in "".join(lines)


def test_settings_file_and_environment_reach_the_running_app(tmp_path):
    (tmp_path / "settings.toml").write_text('window = "browser"\nlog_level = "warning"\n')
    proc, lines = _start(["--window", "none"], env={"TEAMAPP_DATA_DIR": str(tmp_path)})
    proc.send_signal(signal.SIGTERM)
    rest = _finish(proc)
    out = "".join(lines) + rest
    assert proc.returncode == 0, out
    assert (tmp_path / "teamapp.sqlite3").exists()  # the environment chose the data dir
    assert "Press Ctrl-C to stop." in out, out  # CLI 'none' beat the file's 'browser'


def test_standalone_diary_server_serves_and_stops(tmp_path):
    proc, lines = _start(["diary-server", "--port", "0", "--data-dir", str(tmp_path), "--demo"])
    out = "".join(lines)
    assert "client@demo.teamapp.test" in out
    port = int(re.search(r"Diary server running at http://127\.0\.0\.1:(\d+)/", out).group(1))
    import httpx

    assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok"
    assert _listening_addresses(port) == {"0100007F"}
    proc.send_signal(signal.SIGINT)
    rest = _finish(proc)
    assert proc.returncode == 0 and "Diary server stopped." in rest
