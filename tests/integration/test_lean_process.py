"""What the Team app's process keeps out of its memory (issue 14: memory that stays low all day).

The embedded diary hashes passwords and checks them against the common-password list in
short-lived worker processes, so neither argon2 (19 MiB a hash) nor zxcvbn's ranked lists
(~14 MiB) ever load in the process that runs all day. Checked in a fresh interpreter: the
test session itself imports both.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from diary_server.passwords import COMMON_PASSWORD_MESSAGE, PasswordHashing, hash_parameters

ROOT = Path(__file__).resolve().parents[2]

EMBEDDED_RUN = r"""
import io, json, sys
from pathlib import Path
from desktop import memory
memory.keep_postgres_driver_out()
memory.keep_httpx_cli_out()
from embedded_diary import start_embedded_diary
from sync.diary_client import DiaryClient, DiaryError

data_dir = Path(sys.argv[1])
server, diary_app, demo_file, _ = start_embedded_diary(data_dir, io.StringIO())
line = next(l for l in demo_file.read_text().splitlines() if "freelancer" in l and "password:" in l)
email, password = line.split("e-mail:")[1].split()[0], line.split("password:")[1].strip()
client = DiaryClient(server.base_url)
token, user = client.sign_in(email, password)
try:
    client.sign_in(email, "not the password at all")
    wrong = "accepted"
except DiaryError as exc:
    wrong = "refused"
server.stop()
kept_out = ("argon2", "_argon2_cffi_bindings", "zxcvbn", "rich", "pygments")
loaded = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in kept_out})
print(json.dumps({"signed_in": bool(token) and user.email == email, "wrong": wrong, "loaded": loaded}))
"""


def _run_script(code: str, tmp_path) -> dict:
    """Run ``code`` in a fresh interpreter (what it imports is then its own) and return the
    JSON object it printed last."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_embedded_diary_never_loads_argon2_or_the_common_password_list(tmp_path):
    # Demo accounts created (two hashes, two list checks), one sign-in, one wrong password.
    found = _run_script(EMBEDDED_RUN, tmp_path)
    assert found == {"signed_in": True, "wrong": "refused", "loaded": []}


CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def worker_hashing():
    return PasswordHashing(CHEAP, slots=1, out_of_process=True)


def test_out_of_process_hashes_verify_in_either_place(worker_hashing):
    made = worker_hashing.hash("quiet harbour 7")
    assert made.startswith("$argon2id$") and "quiet harbour" not in made
    assert worker_hashing.verify(made, "quiet harbour 7")
    assert not worker_hashing.verify(made, "quiet harbour 8")
    assert not worker_hashing.verify(None, "quiet harbour 7")  # unknown account: a dummy hash
    assert CHEAP.verify(made, "quiet harbour 7")  # the same hash as in-process
    in_process = PasswordHashing(CHEAP, slots=1)
    assert worker_hashing.verify(in_process.hash("quiet harbour 7"), "quiet harbour 7")


def test_out_of_process_rules_match_in_process(worker_hashing):
    in_process = PasswordHashing(CHEAP, slots=1)
    for password in ("password123", "  Password123 ", "aaaaaaaaaaaa", "quiet harbour 7"):
        assert worker_hashing.problem(password) == in_process.problem(password)
    assert worker_hashing.problem("password123") == COMMON_PASSWORD_MESSAGE


def test_rehash_is_decided_from_the_hash_alone(worker_hashing):
    made = CHEAP.hash("quiet harbour 7")
    assert hash_parameters(made) == {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    assert not worker_hashing.needs_rehash(made)
    assert worker_hashing.needs_rehash(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1).hash("x"))
    assert not worker_hashing.needs_rehash("not a hash")
    assert PasswordHashing(None, slots=1, out_of_process=True).parameters == {
        "time_cost": 2,
        "memory_cost": 19 * 1024,
        "parallelism": 1,
    }


# ---- writes only what changed ------------------------------------------------------------------


def test_a_held_connection_keeps_closes_from_checkpointing_and_deleting_the_wal(tmp_path):
    import threading

    from dbkit.database import close_cleanly, hold_open, open_sqlite

    path = tmp_path / "x.sqlite3"
    db = open_sqlite(path)
    with db.connection_context():
        db.execute_sql("CREATE TABLE t (a INTEGER)")
    hold_open(db)
    main_size = path.stat().st_size

    def request_thread() -> None:  # as a web server's thread-per-request does
        with db.connection_context():
            db.execute_sql("INSERT INTO t VALUES (1)")

    for _ in range(3):
        worker = threading.Thread(target=request_thread)
        worker.start()
        worker.join()
        # the close was not the last one: the commit stays in the WAL, the main file untouched
        assert (tmp_path / "x.sqlite3-wal").stat().st_size > 0
        assert path.stat().st_size == main_size
    close_cleanly(db)  # the quit folds it in and closes the held connection too
    assert not (tmp_path / "x.sqlite3-wal").exists()
    import sqlite3

    with sqlite3.connect(path) as check:
        assert check.execute("SELECT COUNT(*) FROM t").fetchone() == (3,)


def test_a_token_in_use_is_recorded_at_most_once_an_hour(diary_app, make_user, clock):
    from datetime import timedelta

    from diary_server.accounts import issue_token, user_for_token
    from diary_server.models import ApiToken

    user = make_user()
    with diary_app.extensions["diary_db"].connection_context():
        token = issue_token(user, "Team app", clock())
        first = clock()
        assert user_for_token(token, first).id == user.id
        for minutes in (1, 5, 30, 59):  # a held pull comes every minute: no write for it
            clock.now = first + timedelta(minutes=minutes)
            assert user_for_token(token, clock()).id == user.id
            assert ApiToken.get().last_used_at == first
        clock.advance(minutes=2)
        user_for_token(token, clock())
        assert ApiToken.get().last_used_at == clock()


def test_the_log_gets_no_line_per_http_request():
    import logging

    import app

    app.setup_logging("info", None)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_new_files_get_small_pages_and_old_ones_keep_theirs(tmp_path):
    import sqlite3

    from dbkit.database import SQLITE_PAGE_SIZE, close_cleanly, open_sqlite

    db = open_sqlite(tmp_path / "new.sqlite3")
    with db.connection_context():
        db.execute_sql("CREATE TABLE t (a TEXT)")
        assert db.execute_sql("PRAGMA page_size").fetchone() == (SQLITE_PAGE_SIZE,) == (1024,)
    close_cleanly(db)
    with sqlite3.connect(tmp_path / "old.sqlite3") as old:  # a file made before: 4 KiB pages
        old.execute("CREATE TABLE t (a TEXT)")
    db = open_sqlite(tmp_path / "old.sqlite3")
    with db.connection_context():
        db.execute_sql("INSERT INTO t VALUES ('x')")
        assert db.execute_sql("PRAGMA page_size").fetchone() == (4096,)
        assert db.execute_sql("PRAGMA journal_mode").fetchone() == ("wal",)
    close_cleanly(db)


IN_PROCESS_RUN = r"""
import io, json, sys
from pathlib import Path
from embedded_diary import in_process_client_factory, start_embedded_diary
from sync.diary_client import DiaryClient

data_dir = Path(sys.argv[1])
server, diary_app, demo_file, _ = start_embedded_diary(data_dir, io.StringIO())
accepted = []
get_request = server._server.get_request
server._server.get_request = lambda: accepted.append(1) or get_request()
line = next(l for l in demo_file.read_text().splitlines() if "freelancer" in l and "password:" in l)
email, password = line.split("e-mail:")[1].split()[0], line.split("password:")[1].strip()
factory = in_process_client_factory(diary_app, server.base_url)
with factory(server.base_url + "/") as client:
    token, user = client.sign_in(email, password)
with factory(server.base_url, token=token) as client:
    contracts = client.contracts()
    pulled = client.sync_changes(0, limit=5)
    pushed = client.sync_push([])
sync_connections = len(accepted)
with DiaryClient(server.base_url, token) as browser_like:  # the server still serves over TCP
    browser_like.me()
server.stop()
print(json.dumps({"user": user.email == email, "contracts": len(contracts), "cursor": "cursor" in pulled,
                  "pushed": pushed, "sync_connections": sync_connections, "tcp_after": len(accepted)}))
"""


def test_the_team_app_reaches_its_embedded_diary_without_a_tcp_connection(tmp_path):
    found = _run_script(IN_PROCESS_RUN, tmp_path)
    assert found["user"] and found["contracts"] >= 1 and found["cursor"]
    assert found["sync_connections"] == 0  # sign-in, contracts, pull and push: all in-process
    assert found["tcp_after"] >= 1  # (the count works: an HTTP client's request was accepted)
