"""A Team app with a worked week in its diary, for the browser tests that look at the Work
Diary (in the Team app, on the diary server, and at narrow widths): signed in as the demo
freelancer, the demo contract chosen, the test clock on Friday 18:00 UTC of the week."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

from core import rules
from tests.e2e.logging_helpers import advance, http
from tests.e2e.processes import TeamApp, start_team_app


@contextlib.contextmanager
def clock_app(data_dir: Path, log: Path, label: str) -> Iterator[TeamApp]:
    """``python app.py --no-window --test-clock`` for a module's tests; it must stop cleanly."""
    app = start_team_app(data_dir, log, extra_args=["--no-window", "--test-clock"], label=label)
    try:
        yield app
    finally:
        code = app.server.stop(signal.SIGTERM)
        app.server.assert_clean_stop(code, "Team app stopped.")


def on_demo_contract_friday_evening(app: TeamApp) -> tuple[int, datetime]:
    """Sign in as the demo freelancer, choose the demo contract, and move the clock to Friday
    18:00 UTC of the coming work week (within 7 days: what /test/clock allows). Returns the
    contract id and that Friday."""
    demo = app.demo["freelancer"]
    with http(app) as client:
        assert client.post("/signin", data={"email": demo.email, "password": demo.password}).status_code == 303
        client.post("/contracts/refresh")
    with closing(sqlite3.connect(app.data_dir / "teamapp.sqlite3")) as db:
        (cid,) = db.execute("SELECT id FROM contract WHERE title = 'Website redesign'").fetchone()
    with http(app) as client:
        assert client.post("/contracts/select", data={"contract_id": cid}).status_code == 200
    now = advance(app, 0.001)
    friday = rules.week_start(now) + timedelta(days=4, hours=18)
    if friday <= now:
        friday += rules.WEEK
    advance(app, (friday - now).total_seconds())
    return cid, friday


def server_week(app: TeamApp, cid: int, friday: datetime, **options):
    """The week up to ``friday`` written straight into the embedded diary's database (as the
    freelancer's pushes would have); returns what ``server_work_week`` made."""
    from dbkit.database import open_database
    from diary_server.models import User, diary_db
    from tests.support.diary_data import server_work_week

    db = open_database(f"sqlite:///{app.data_dir / 'diary' / 'diary.sqlite3'}")
    diary_db.initialize(db)
    try:
        with db.connection_context():
            freelancer = User.get(User.email == app.demo["freelancer"].email)
            return server_work_week(freelancer, cid, rules.week_start(friday), friday, until=friday, **options)
    finally:
        db.close()
        diary_db.initialize(None)
