"""``python app.py --diagnostics`` on a data dir the Team app used: it prints the Help page's
report (one implementation) without memos, titles, tokens or snapshots, and starts nothing."""

import os
import subprocess
import sys
from pathlib import Path

from models.capture_store import CaptureSegment
from web.services import services

REPO = Path(__file__).resolve().parents[2]
MEMO = "secret client project"
TITLE = "Quarterly numbers.xlsx - LibreOffice Calc"


def _run(data_dir: Path, env_extra=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TEAMAPP_DATA_DIR": str(data_dir), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, str(REPO / "app.py"), "--diagnostics"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
    )


def test_the_report_has_the_facts_and_no_private_data(team, team_app, hire):
    make, _http, _headers = hire
    cid = make("Website redesign")
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303
    team.post("/contracts/select", data={"contract_id": cid})
    team.post("/logging/memo", data={"memo": MEMO})
    data_dir = Path(services(team_app).settings.data_dir)
    with team_app.app_context():
        from datetime import UTC, datetime

        CaptureSegment.create(
            uuid="d1",
            contract_id=cid,
            start=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
            logged_until=datetime(2026, 11, 23, 9, 5, tzinfo=UTC),
            logged_seconds=300,
            app_name="soffice",
            window_title=TITLE,
            memo=MEMO,
            updated_at=datetime(2026, 11, 23, 9, 5, tzinfo=UTC),
        )
    token_file = data_dir / "diary-token.json"
    token = token_file.read_text() if token_file.exists() else ""
    before = sorted(p.relative_to(data_dir) for p in data_dir.rglob("*"))

    run = _run(data_dir)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for expected in (
        "Team app 0.1.0 diagnostics",
        "Versions: Flask ",
        "Display: ",
        "Backends:",
        "Permissions:",
        "start at login: off",
        f"Data dir: {data_dir}",
        "free on its disk",
        "Integrity check (PRAGMA quick_check): ok",
        "Outbox: ",
        "Last sync: contracts read from the diary ",
        "uploaded changes up to ",
        "Segments: 1 ",
        "Capture health:",
        "not running (the app is not started",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert "http://diary.test" in out  # which diary, but never the token
    assert MEMO not in out and TITLE not in out and "Quarterly" not in out
    assert "correct horse" not in out and "felix@example.com" not in out
    if token:
        assert token not in out
        for value in token.replace('"', " ").replace(",", " ").split():
            if len(value) >= 20:
                assert value not in out
    assert ".png" not in out and ".jpg" not in out
    # Nothing started, nothing changed: no server line, no lock, no log file, same files.
    assert "Team app running" not in out and "Stopping" not in out
    assert sorted(p.relative_to(data_dir) for p in data_dir.rglob("*")) == before


def test_a_data_dir_the_app_never_used_is_said_and_left_alone(tmp_path):
    data_dir = tmp_path / "never-used"
    run = _run(data_dir, {"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert run.returncode == 0, run.stderr
    assert "the app has not run on this data dir yet" in run.stdout
    assert not data_dir.exists()


def test_a_data_dir_of_a_stopped_app_is_read_without_leaving_a_file_behind(tmp_path):
    from models.local import open_local_database

    data_dir = tmp_path / "stopped"
    data_dir.mkdir(mode=0o700)
    db = open_local_database(data_dir / "teamapp.sqlite3")
    db.close()  # the last connection folds the write-ahead log in and removes it
    before = sorted(p.name for p in data_dir.iterdir())
    assert before == ["teamapp.sqlite3"]
    run = _run(data_dir)
    assert run.returncode == 0, run.stderr
    assert "Integrity check (PRAGMA quick_check): ok" in run.stdout and "Outbox: empty" in run.stdout
    assert sorted(p.name for p in data_dir.iterdir()) == before
