"""Issuing is exactly once because of the database, not timing: issuers racing in threads and
in separate processes over one database (one SQLite file; one PostgreSQL database) issue each
(contract, week) once, and the client's invoice numbers run without a gap."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.invoice_kit import WEEK1, log_first_week, make_diary

ROOT = Path(__file__).resolve().parents[2]
#: Monday of week 4, after its noon: weeks 1-3 are due at once (a catch-up).
CATCH_UP = datetime(2026, 12, 14, 12, 30, tzinfo=UTC)


@pytest.fixture
def diary(diary_app, make_user, clock):
    d = make_diary(diary_app, make_user, clock)
    log_first_week(d)
    for week in (1, 2):
        for contract in (d.contract, d.limited):
            d.log_day(contract, WEEK1 + timedelta(days=7 * week + 2), 2)
    d.clock.now = CATCH_UP
    return d


def _check_once_and_gap_free(d) -> list:
    from diary_server.invoice_models import Invoice, InvoiceCounter

    with d.db().connection_context():
        rows = list(Invoice.select().order_by(Invoice.number))
        counter = InvoiceCounter.get(InvoiceCounter.client == d.client_id, InvoiceCounter.year == 2026)
    keys = [(i.contract_id, i.week_start) for i in rows]
    assert len(keys) == len(set(keys)) == 6  # two contracts, three weeks
    assert [i.number for i in rows] == [f"C{d.client_id}-2026-{n:04d}" for n in range(1, 7)]
    assert counter.last_number == 6
    # Each contract's numbers follow its weeks (oldest week first).
    for contract in (d.contract, d.limited):
        mine = [i for i in rows if i.contract_id == contract]
        assert [i.week_start for i in mine] == sorted(i.week_start for i in mine)
    return rows


def test_threads_racing_issue_each_week_once(diary):
    from diary_server.invoice_issue import issue_due_invoices

    db = diary.db()
    start = threading.Barrier(4)
    issued: list[list[int]] = []
    errors: list[BaseException] = []

    def issuer():
        try:
            start.wait()
            with db.connection_context():
                issued.append([i.id for i in issue_due_invoices(CATCH_UP)])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=issuer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    rows = _check_once_and_gap_free(diary)
    everything = [i for ids in issued for i in ids]
    assert sorted(everything) == sorted(i.id for i in rows)  # every invoice issued by exactly one thread


SCRIPT = """
import sys, time
from datetime import datetime
from diary_server import create_app
url, data_dir, now, go = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3]), float(sys.argv[4])
time.sleep(max(0.0, go - time.time()))
app = create_app({"DATA_DIR": data_dir, "DATABASE_URL": url, "CLOCK": lambda: now, "INVOICE_SCHEDULER": False})
print(app.extensions["invoice_scheduler"].run_once().issued)
"""


def test_processes_starting_at_once_issue_each_week_once(diary, diary_database_url, tmp_path):
    """Three diary processes start together on one database (each catches up at start, as after
    a downtime) while this process issues too."""
    go = time.time() + 4.0  # after every process has imported the diary server
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, diary_database_url, str(tmp_path / f"p{k}"), CATCH_UP.isoformat(), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    from diary_server.invoice_issue import issue_due_invoices

    time.sleep(max(0.0, go - time.time()))
    with diary.db().connection_context():
        issue_due_invoices(CATCH_UP)
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "[]", out  # the start's catch-up did it all; a second round finds nothing
    _check_once_and_gap_free(diary)
