"""Issue 15: "with 4 gunicorn workers on PostgreSQL" each week is issued once. A diary whose
weeks of logged time are due (its server was down at the Monday noons) is started as the README
says, gunicorn with 4 workers: every worker catches up at start, at the same moment, on the
wall clock, and the database lets one issuer win each (contract, week)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from core.rules import WEEK, week_start
from tests.conftest import FakeClock
from tests.integration.invoice_kit import make_diary
from tests.integration.test_gunicorn_postgres import GUNICORN, ROOT, _wait_for_start

WORKERS = 4


@pytest.mark.postgres
def test_four_gunicorn_workers_starting_together_issue_each_week_once(postgres, tmp_path):
    from diary_server import create_app
    from diary_server.accounts import create_user

    database = postgres.create_database()
    url = postgres.url(database)
    first = week_start(datetime.now(UTC)) - 3 * WEEK  # weeks -3 and -2 have time; -1 has none
    clock = FakeClock(first + timedelta(hours=9))
    app = create_app({"DATA_DIR": tmp_path / "seed", "DATABASE_URL": url, "CLOCK": clock, "TESTING": True})

    def make_user(email, name, role):
        with app.extensions["diary_db"].connection_context():
            return create_user(email, name, role, "correct horse 1", clock())

    d = make_diary(app, make_user, clock)
    for week in (0, 1):
        for contract in (d.contract, d.limited):
            d.log_day(contract, first + week * WEEK + timedelta(days=week), 3)
    app.extensions["diary_db"].close()

    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "TEAMAPP_DIARY_DATABASE": url,
        "TEAMAPP_DIARY_DATA_DIR": str(tmp_path / "diary"),
        "TEAMAPP_DIARY_SECRET_KEY": "gunicorn-test-secret-key-0123456789abcdef",
    }
    command = [str(GUNICORN), "-k", "gthread", "-w", str(WORKERS), "--threads", "2", "-b", "127.0.0.1:0"]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [*command, "--no-control-socket", "diary_server.wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_start(proc, log_path)
        log = log_path.read_text()
        assert log.count("Booting worker with pid") >= WORKERS and "Traceback" not in log, log
        conn = psycopg2.connect(url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT contract_id, week_start, number FROM invoices ORDER BY number")
                rows = cur.fetchall()
                cur.execute("SELECT COUNT(*) FROM invoice_weeks")
                (settled,) = cur.fetchone()
        finally:
            conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        postgres.drop_database(database)
    assert len(rows) == len({(c, w) for c, w, _ in rows}) == 4, rows  # two contracts, two weeks
    assert settled == 6  # and the empty week -1 of each contract, settled without an invoice
    per_year = defaultdict(list)
    for _, _, number in rows:
        per_year[number.split("-")[1]].append(int(number.split("-")[2]))
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in per_year.values()), rows
