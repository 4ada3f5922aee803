"""A damaged SQLite file at start: moved aside untouched, what can be read recovered, said so."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dbkit.db_recovery import describe, diagnose, recover_if_damaged

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ROWS = 3000


def make_db(path: Path, page_size: int = 4096) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA page_size = {page_size}")
    conn.execute("CREATE TABLE capture_segment (id INTEGER PRIMARY KEY, memo TEXT)")
    conn.executemany("INSERT INTO capture_segment (memo) VALUES (?)", [(f"memo {i} " + "x" * 80,) for i in range(ROWS)])
    conn.commit()
    conn.close()


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "zero bytes":
        data = bytearray()
    elif how == "garbage header":
        data[0:100] = b"\xde\xad" * 50
    elif how == "garbage in the middle":
        middle = len(data) // 2 // 4096 * 4096
        data[middle : middle + 8192] = b"\x55" * 8192
    path.write_bytes(bytes(data))


def recovered(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM capture_segment").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


@pytest.mark.parametrize("shell", [None, ""], ids=["sqlite3-shell", "table-by-table"])
@pytest.mark.parametrize("how", ["zero bytes", "garbage header", "garbage in the middle"])
def test_each_kind_of_damage_is_moved_aside_and_recovered(tmp_path, how, shell):
    path = tmp_path / "teamapp.sqlite3"
    make_db(path)
    assert diagnose(path) is None and recover_if_damaged(path, NOW, shell) is None  # sound: untouched
    damage(path, how)
    damaged_bytes = path.read_bytes()
    found = recover_if_damaged(path, NOW, shell)
    assert found is not None and found.moved_to.read_bytes() == damaged_bytes  # kept exactly as found
    assert diagnose(path) is None  # what is in its place opens and checks clean
    kept = recovered(path)
    if how == "zero bytes":
        assert kept == 0
    elif how == "garbage header":
        assert kept == ROWS
    else:
        assert 0 < kept < ROWS
    words = describe(found, {"capture_segment": "segments"})
    assert str(found.moved_to) in words and (f"recovered {kept} segments" in words or kept == 0)


def test_the_diary_server_starts_on_a_recovered_file_and_says_so(tmp_path):
    from diary_server import create_app

    app = create_app({"DATA_DIR": tmp_path, "TESTING": True})
    from diary_server.accounts import create_user

    with app.extensions["diary_db"].connection_context():
        create_user("ana@example.com", "Ana Lopez", "freelancer", "correct horse 1", NOW)
    from dbkit.database import close_cleanly

    close_cleanly(app.extensions["diary_db"])
    damage(tmp_path / "diary.sqlite3", "garbage header")
    app = create_app({"DATA_DIR": tmp_path, "TESTING": True})
    health = app.test_client().get("/healthz").json
    assert health["status"] == "damaged" and "recovered 1 account," in health["damage"]
    assert list(tmp_path.glob("diary.sqlite3.damaged-*"))
    r = app.test_client().post("/api/v1/sessions", json={"email": "ana@example.com", "password": "correct horse 1"})
    assert r.status_code == 201


@pytest.mark.parametrize("page_size", [1024, 4096])  # files made now, and before
def test_a_garbage_header_is_rebuilt_with_the_files_own_page_size(tmp_path, page_size):
    path = tmp_path / "teamapp.sqlite3"
    make_db(path, page_size)
    damage(path, "garbage header")
    found = recover_if_damaged(path, NOW, "")  # table by table: it reads the header
    assert found is not None and recovered(path) == ROWS
