"""The same days against a diary server of a team: ``app.py diary-server`` on PostgreSQL.

The diary server keeps the real clock, so the Team app's test clock starts half an hour before it.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.logging_helpers import advance, open_main_screen
from tests.e2e.processes import DEMO_RE, DIARY_URL_RE, DemoAccount, ServerProcess, free_port
from tests.life.conftest import LOGS, Life, wait_for
from tests.life.test_day_two import expect_online, switch


@pytest.fixture
def pg_diary(postgres, tmp_path):
    """A diary server process on a fresh PostgreSQL database, with the demo accounts."""
    name = postgres.create_database()
    url = postgres.url(name)
    args = ["--port", str(free_port()), "--data-dir", str(tmp_path / "diary"), "--database", url, "--demo"]
    server = ServerProcess(
        "Diary server (PostgreSQL)",
        ["diary-server", *args],
        LOGS / "life-diary-postgres.log",
    ).start(DIARY_URL_RE)
    server.database_url = url
    server.demo = {m.group(1): DemoAccount(*m.groups()) for m in DEMO_RE.finditer(server.output())}
    yield server
    code = server.stop(signal.SIGINT)
    server.assert_clean_stop(code, "Diary server stopped.")
    postgres.drop_database(name)


def pg_rows(url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_a_day_on_a_postgres_diary_with_a_restart_and_a_crash(life: Life, page: Page, pg_diary):
    life.extra_args = ["--diary-url", pg_diary.match.group(1)]
    # The story runs in the last half hour: the Team app's test clock must never run ahead of
    # the diary server's real one, which refuses segments from its future.
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    life.start(now)
    life.demo = life.app.demo = pg_diary.demo
    open_main_screen(page, life.app)
    switch(page, on=True)
    advance(life.app, 4 * 60)
    switch(page, on=False)
    advance(life.app, 31)
    expect_online(page)
    wait_for(lambda: pg_rows(pg_diary.database_url, "SELECT COUNT(*) FROM diary_segments")[0][0] >= 1, "the upload")
    life.quit()

    # Started again: still signed in to the same diary, online.
    life.start(now + timedelta(minutes=5))
    page.goto(life.app.launch_url)
    expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "false")
    expect_online(page)

    # A crash while logging: the next start logs again and the minutes reach PostgreSQL.
    switch(page, on=True)
    advance(life.app, 3 * 60)
    life.crash()
    life.start(now + timedelta(minutes=10))
    assert "Logging resumed after the app stopped unexpectedly" in life.output()
    page.goto(life.app.launch_url)
    expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "true")
    advance(life.app, 2 * 60)
    switch(page, on=False)
    advance(life.app, 31)

    def diary_has_it() -> bool:
        # Both read each time: the switch-off stores its last interval in the background.
        local = life.local_rows("SELECT ROUND(SUM(logged_seconds)) FROM capture_segment WHERE deleted_at IS NULL")
        remote = pg_rows(pg_diary.database_url, "SELECT ROUND(SUM(logged_seconds)) FROM diary_segments")
        return remote[0][0] is not None and float(remote[0][0]) == float(local[0][0])

    wait_for(diary_has_it, "every logged second on the PostgreSQL diary")
