"""Day two: the app quit in the evening and started again in the morning, a crash, a second copy.

One data dir, the shipped default preferences, the embedded diary (SQLite). Each launch is the
real ``python app.py`` with the real capture sources on the virtual display.
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.logging_helpers import DEMO_CONTRACT, EMBEDDED_RE, advance, open_main_screen
from tests.life.conftest import Life, wait_for

DAY_ONE = datetime(2026, 11, 24, 9, 0, 1, tzinfo=UTC)  # a Tuesday
NEXT_MORNING = datetime(2026, 11, 25, 8, 30, 1, tzinfo=UTC)


def switch(page: Page, on: bool) -> None:
    toggle = page.locator("#logging-switch")
    if (toggle.get_attribute("aria-checked") == "true") != on:
        toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "true" if on else "false")


def expect_online(page: Page) -> None:
    """The status line says the diary is reached (the sync worker's first round at start)."""
    expect(page.locator("#status-line")).to_contain_text("Online", timeout=30_000)
    expect(page.locator("#status-line")).not_to_contain_text("Offline")


def embedded_port(life: Life) -> int:
    return int(EMBEDDED_RE.search(life.output()).group(1).rsplit(":", 1)[1])


def test_next_morning_after_the_diary_port_was_taken(life: Life, page: Page):
    # Day one: sign in, choose the contract, log a segment, quit.
    life.start(DAY_ONE)
    open_main_screen(page, life.app)
    expect(page.locator("#current-contract")).to_have_text(DEMO_CONTRACT)
    switch(page, on=True)
    advance(life.app, 11 * 60)
    switch(page, on=False)
    advance(life.app, 31)  # the snapshot's review time passes: it uploads
    expect_online(page)
    first_port = embedded_port(life)
    life.quit()
    assert life.diary_rows("SELECT COUNT(*) FROM diary_segments")[0][0] >= 1  # uploaded before the quit

    # Overnight another program took the embedded diary's port.
    with socket.socket() as squatter:
        # As servers do (the app's own included): the port's closed connections may still be
        # in TIME_WAIT for a minute after the quit.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", first_port))
        squatter.listen()
        life.start(NEXT_MORNING)
        assert embedded_port(life) != first_port
        assert "your sign-in and uploads follow it" in life.output()
        page.goto(life.app.launch_url)
        # Still signed in, the contract remembered, logging off after a clean quit, and online.
        expect(page).to_have_url(life.app.url("/"))
        expect(page.locator("#current-contract")).to_have_text(DEMO_CONTRACT)
        expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "false")
        expect_online(page)
        # The morning's work reaches the diary at its new address.
        before = life.diary_rows("SELECT COUNT(*) FROM diary_segments")[0][0]
        switch(page, on=True)
        advance(life.app, 11 * 60)
        switch(page, on=False)
        advance(life.app, 31)
        expect_online(page)
        wait_for(lambda: life.diary_rows("SELECT COUNT(*) FROM diary_segments")[0][0] > before, "the upload")
        wait_for(lambda: not life.local_rows("SELECT 1 FROM sync_outbox WHERE kind = 'segment'"), "an empty outbox")

        # Signing out and in again keeps it online too.
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/signin"))
        demo = life.demo["freelancer"]
        page.get_by_label("E-mail").fill(demo.email)
        page.get_by_label("Password").fill(demo.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(life.app.url("/"))
        expect_online(page)
        life.quit()

    # The port is free again: the diary gets it back... or keeps its new one; either way the
    # account follows and nothing waits.
    life.start(NEXT_MORNING + timedelta(hours=1))
    page.goto(life.app.launch_url)
    expect_online(page)


def test_a_crash_while_logging_resumes_logging(life: Life, page: Page, screenshot):
    life.start(NEXT_MORNING)
    open_main_screen(page, life.app)
    switch(page, on=True)
    advance(life.app, 5 * 60)
    life.crash()
    logged_before = life.local_rows("SELECT COALESCE(SUM(logged_seconds), 0) FROM capture_segment")[0][0]
    assert logged_before >= 4 * 60  # the minutes up to the crash were stored as they passed

    life.start(NEXT_MORNING + timedelta(minutes=8))
    message = "Logging resumed after the app stopped unexpectedly at 08:35 (3 min not logged)."
    assert message in life.output()
    page.goto(life.app.launch_url)
    expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "true")
    expect(page.locator("#resume-message")).to_have_text(message)
    screenshot(page, "life-logging-resumed-after-a-crash")
    advance(life.app, 3 * 60)
    logged_after = life.local_rows("SELECT COALESCE(SUM(logged_seconds), 0) FROM capture_segment")[0][0]
    assert logged_after >= logged_before + 2 * 60

    # Switched off on purpose, then quit: the next start begins off, with nothing to say.
    switch(page, on=False)
    life.quit()
    life.start(NEXT_MORNING + timedelta(minutes=30))
    assert "Logging resumed" not in life.output()
    page.goto(life.app.launch_url)
    expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "false")
    expect(page.locator("#resume-message")).to_have_count(0)


def test_a_crash_in_last_weeks_session_is_not_resumed_into_a_new_week(life: Life, page: Page):
    sunday_night = datetime(2026, 11, 29, 23, 50, 1, tzinfo=UTC)
    life.start(sunday_night)
    open_main_screen(page, life.app)
    switch(page, on=True)
    advance(life.app, 3 * 60)
    life.crash()
    life.start(sunday_night + timedelta(hours=9))
    assert "It was not switched on again because a new work week has started." in life.output()
    page.goto(life.app.launch_url)
    expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "false")


def test_a_second_copy_on_the_same_data_dir_does_not_start(life: Life, page: Page):
    first = life.start(NEXT_MORNING)
    open_main_screen(page, first)
    second = life.second_copy()
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"The Team app is already running on this data dir at {first.base_url}" in second.stdout
    assert "Team app running at" not in second.stdout  # no second server, loop or worker
    # The first copy goes on as before.
    assert first.server.running()
    page.reload()
    expect(page.locator("#current-contract")).to_have_text(DEMO_CONTRACT)
    # After it quits, the next start works (the lock went with it; also after a crash).
    life.crash()
    life.start(NEXT_MORNING + timedelta(minutes=1))
    page.goto(life.app.launch_url)
    expect(page.locator("#current-contract")).to_have_text(DEMO_CONTRACT)


def test_a_lost_database_keeps_every_snapshot_file(life: Life, page: Page):
    life.start(DAY_ONE)
    open_main_screen(page, life.app)
    switch(page, on=True)
    advance(life.app, 21 * 60)
    switch(page, on=False)
    life.quit()
    snapshots = sorted(p.relative_to(life.data_dir / "snapshots") for p in (life.data_dir / "snapshots").rglob("*.*"))
    assert len(snapshots) >= 4  # two segments: a snapshot and a thumbnail each

    # The database file is truncated to 0 bytes (a bad disk, a sync tool, a mistake).
    (life.data_dir / "teamapp.sqlite3").write_bytes(b"")
    for extra in ("teamapp.sqlite3-wal", "teamapp.sqlite3-shm"):
        (life.data_dir / extra).unlink(missing_ok=True)
    life.start(NEXT_MORNING)
    assert "Nothing was deleted: the files were moved to" in life.output()
    (moved_to,) = (life.data_dir / "snapshots-orphaned").iterdir()
    assert sorted(p.relative_to(moved_to) for p in moved_to.rglob("*.*")) == snapshots
    page.goto(life.app.launch_url)
    health = page.request.get(life.app.url("/healthz")).json()
    assert health["status"] == "damaged" and "snapshot files" in health["damage"]


def test_a_damaged_database_is_recovered_and_the_user_is_told(life: Life, page: Page, screenshot):
    life.start(DAY_ONE)
    open_main_screen(page, life.app)
    switch(page, on=True)
    advance(life.app, 11 * 60)
    switch(page, on=False)
    life.quit()
    segments = life.local_rows("SELECT COUNT(*) FROM capture_segment")[0][0]
    path = life.data_dir / "teamapp.sqlite3"
    data = bytearray(path.read_bytes())
    data[0:100] = b"\xde\xad" * 50  # a garbage header: SQLite says "file is not a database"
    path.write_bytes(bytes(data))

    life.start(NEXT_MORNING)  # starts (it used to exit with a traceback)
    assert "The database was damaged" in life.output()
    assert list(life.data_dir.glob("teamapp.sqlite3.damaged-*"))
    page.goto(life.app.launch_url)
    expect(page).to_have_url(life.app.url("/"))  # the account was recovered: still signed in
    expect(page.locator("#start-notice")).to_contain_text(f"recovered {segments} segment")
    screenshot(page, "life-damaged-database-recovered")
    page.goto(life.app.url("/no/such/page"))
    screenshot(page, "team-app-not-found")
    health = page.request.get(life.app.url("/healthz")).json()
    assert health["status"] == "damaged"
    assert life.local_rows("SELECT COUNT(*) FROM capture_segment")[0][0] == segments


def test_the_shipped_preferences_save_and_bad_requests_get_the_apps_words(life: Life, page: Page):
    life.start(DAY_ONE)
    open_main_screen(page, life.app)
    # Only one preference changed, every other one as shipped (the hidden-title globs among them).
    page.get_by_role("link", name="Preferences").click()
    page.locator("#review_seconds").select_option("60")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#prefs-saved")).to_have_text("Preferences saved.")
    life.quit()
    life.start(NEXT_MORNING)
    page.goto(life.app.launch_url)
    page.goto(life.app.url("/preferences"))
    expect(page.locator("#review_seconds")).to_have_value("60")

    # Bad requests a person (or a stray script) can send: the app's own words, nothing changed.
    api = page.request
    assert api.get(life.app.url("/snapshots/99999999999999999999")).status == 404
    r = api.post(life.app.url("/contracts/select"), form={"contract_id": str(10**40)})
    assert r.status == 422 and "Choose a contract from the list." in r.text()
    r = api.post(life.app.url("/logging/memo"), form={"memo": "x" * 1_000_000, "label": ""})
    assert r.status == 413 and "too much text" in r.text()
    r = api.post(
        life.app.url("/logging/memo"), form={"memo": "bro\x00ken", "label": ""}, headers={"HX-Request": "true"}
    )
    assert "control character" in r.text()
    page.goto(life.app.url("/"))
    expect(page.locator("#current-contract")).to_be_visible()
    assert life.local_rows("SELECT value FROM app_state WHERE key = 'memo'") == []


def test_a_memo_being_typed_survives_every_refresh_and_push(life: Life, page: Page):
    life.start(DAY_ONE)
    open_main_screen(page, life.app)
    switch(page, on=True)
    memo = page.locator("#memo")
    memo.fill("Half-typed: checkout page, address fo")
    # The picker's 30-second poll, exactly as htmx sends it ...
    with page.expect_response(lambda r: "/contracts/picker" in r.url):
        page.evaluate(
            "const p = document.getElementById('picker');"
            "htmx.ajax('GET', p.getAttribute('hx-get'), {source: p, target: p, swap: 'outerHTML'})"
        )
    expect(memo).to_have_value("Half-typed: checkout page, address fo")
    # ... the Refresh button, and the minute ticks pushed over the WebSocket.
    with page.expect_response(lambda r: r.url.endswith("/contracts/refresh")):
        page.locator("#picker").get_by_role("button", name="Refresh").click()
    advance(life.app, 3 * 60)
    expect(memo).to_have_value("Half-typed: checkout page, address fo")
    switch(page, on=False)
    expect(memo).to_have_value("Half-typed: checkout page, address fo")
