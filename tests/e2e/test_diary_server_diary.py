"""The diary server's Work Diary pages in a real browser (issue 7), against
``python app.py --no-window --test-clock`` and its embedded diary server (the same clock).

A realistic working week is written into the diary server's database through its sync
protocol (``tests/support/diary_data.server_work_week``, as a Team app's upload would); the
Team app pulls it. The freelancer edits memos on the server's week grid, the client changes a
label there and the freelancer's Team app shows it after a sync; then the clock passes the
week's end and its lock, and the controls go and forged requests are refused.
"""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from core import rules
from tests.e2e.conftest import LOGS
from tests.e2e.processes import TeamApp
from tests.e2e.worked_week import advance as _advance
from tests.e2e.worked_week import clock_app, on_demo_contract_friday_evening, server_week
from tests.e2e.worked_week import http as _http
from tests.support.diary_data import minutes_of
from ui import diary_view as dv

EMBEDDED_RE = re.compile(r"Embedded Work Diary running at (http://127\.0\.0\.1:\d+)/")


class World:
    def __init__(self, app: TeamApp, diary_url: str, cid: int, monday: datetime, uuids: list[str]):
        self.app, self.diary_url, self.cid, self.monday, self.uuids = app, diary_url, cid, monday, uuids

    def url(self, path: str) -> str:
        return self.diary_url + path

    def week_url(self) -> str:
        return self.url(f"/contracts/{self.cid}/diary/week?week={self.monday.date()}&tz=utc")

    def day_url(self, day: int) -> str:
        return self.url(f"/contracts/{self.cid}/diary?day={(self.monday + timedelta(days=day)).date()}&tz=utc")

    def server_rows(self, uuids) -> list[tuple]:
        path = self.app.data_dir / "diary" / "diary.sqlite3"
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            marks = ",".join("?" * len(uuids))
            return db.execute(
                f"SELECT uuid, memo, label, deleted_at FROM diary_segments WHERE uuid IN ({marks}) ORDER BY start",  # noqa: S608
                list(uuids),
            ).fetchall()

    def local_row(self, uuid: str) -> tuple | None:
        with closing(sqlite3.connect(f"file:{self.app.data_dir / 'teamapp.sqlite3'}?mode=ro", uri=True)) as db:
            return db.execute("SELECT id, memo, label FROM capture_segment WHERE uuid = ?", (uuid,)).fetchone()

    def sync(self) -> None:
        with _http(self.app) as client:
            client.post("/sync/retry")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with clock_app(
        tmp_path_factory.mktemp("diary-server-diary-data"),
        LOGS / "e2e-diary-server-diary.log",
        "Team app (diary server's Work Diary)",
    ) as app:
        diary_url = EMBEDDED_RE.search(app.server.output()).group(1)
        cid, friday = on_demo_contract_friday_evening(app)
        made = server_week(app, cid, friday, camera_every=7)
        yield World(app, diary_url, cid, rules.week_start(friday), made.segment_uuids)


def _sign_in(page: Page, world: World, role: str) -> None:
    account = world.app.demo[role]
    page.goto(world.url("/signin"))
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your contracts")).to_be_visible()


def _settle_for_screenshot(page: Page) -> None:
    """Scroll through the page so the lazy thumbnails load, then back to the top (the sticky
    totals and selection bars would otherwise sit mid-page in a full-page screenshot)."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    deadline = time.monotonic() + 15  # (wait_for_function evaluates a string: the CSP forbids it)
    while not page.evaluate("Array.from(document.images).every((img) => img.complete)"):
        assert time.monotonic() < deadline, "thumbnails did not load"
        page.wait_for_timeout(100)
    page.evaluate("window.scrollTo(0, 0)")


def _drag(page: Page, first: str, last: str) -> None:
    a = page.locator(f'#week-grid td[data-id="{first}"]').bounding_box()
    b = page.locator(f'#week-grid td[data-id="{last}"]').bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()


def test_freelancer_edits_memos_across_a_drag_selection_on_the_server(page: Page, world: World, screenshot):
    _sign_in(page, world, "freelancer")
    page.get_by_role("link", name="Work Diary of Website redesign").click()
    expect(page.locator("#week-grid")).to_be_visible()
    page.goto(world.week_url())
    expect(page.locator("#week-total")).to_have_text("35:00")
    page.evaluate("window.__notReloaded = true")
    first, last = world.uuids[0], world.uuids[11]  # Monday 09:00 .. 10:50
    _drag(page, first, last)
    expect(page.locator("#sel-count")).to_have_text("12 segments selected (2:00)")
    page.locator("#sel-memo").fill("Payment form: error states")
    page.locator("#sel-label").select_option("Development")
    page.locator("#sel-apply").click()
    expect(page.locator("#diary-notices")).to_contain_text("Saved the memo and label of 12 segments.")
    assert page.evaluate("window.__notReloaded") is True  # only the changed cells were swapped in
    expect(page.locator(f'#week-grid td[data-id="{first}"]')).to_have_attribute(
        "aria-label", re.compile("memo: Payment form: error states, label: Development")
    )
    expect(page.locator('#week-grid td[aria-selected="true"]')).to_have_count(12)  # selection kept
    rows = world.server_rows(world.uuids[:13])
    assert [r[1:3] for r in rows[:12]] == [("Payment form: error states", "Development")] * 12
    assert rows[12][1] != "Payment form: error states"
    page.locator(f'#week-grid td[data-id="{world.uuids[1]}"]').click()
    _settle_for_screenshot(page)
    screenshot(page, "diary-server-week-freelancer")
    page.goto(world.day_url(1))
    expect(page.locator(".day-row").first).to_be_visible()
    expect(page.locator(".dcell .thumb img").first).to_be_visible()
    _settle_for_screenshot(page)
    screenshot(page, "diary-server-day-freelancer")


def test_client_changes_a_label_and_the_team_app_shows_it(browser: Browser, page: Page, world: World, screenshot):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    client = context.new_page()
    errors: list[str] = []
    client.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        _sign_in(client, world, "client")
        client.goto(world.week_url())
        expect(client.locator("#week-grid")).to_be_visible()
        expect(client.locator("#sel-memo")).to_have_count(0)  # the client sets labels only
        expect(client.locator("#sel-delete")).to_have_count(0)
        target = world.uuids[30]
        label = "Research" if world.server_rows([target])[0][2] != "Research" else "Meetings"
        client.locator(f'#week-grid td[data-id="{target}"]').click()
        expect(client.locator("#sel-count")).to_have_text("1 segment selected (0:10)")
        client.locator("#sel-label").select_option(label)
        client.locator("#sel-apply").click()
        expect(client.locator("#diary-notices")).to_contain_text("Saved the label of 1 segment.")
        expect(client.locator(f'#week-grid td[data-id="{target}"]')).to_have_attribute(
            "aria-label", re.compile(f"label: {label}")
        )
        assert world.server_rows([target])[0][2] == label
        _settle_for_screenshot(client)
        screenshot(client, "diary-server-week-client")
        client.goto(world.day_url(0))
        expect(client.locator(".day-row").first).to_be_visible()
        _settle_for_screenshot(client)
        screenshot(client, "diary-server-day-client")
    finally:
        context.close()
    real = [e for e in errors if "Failed to load resource" not in e]
    assert not real, real
    # The freelancer's Team app pulls the change and shows it in its own Work Diary.
    deadline = time.monotonic() + 60
    while True:
        world.sync()
        row = world.local_row(target)
        if row is not None and row[2] == label:
            break
        assert time.monotonic() < deadline, f"the Team app did not pull the label: {row}"
        time.sleep(1)
    page.goto(world.app.launch_url)
    page.goto(world.app.url(f"/diary/week?week={world.monday.date()}&tz=utc&contract={world.cid}"))
    expect(page.locator(f'#week-grid td[data-id="{row[0]}"]')).to_have_attribute(
        "aria-label", re.compile(f"label: {label}")
    )


def test_freelancer_deletes_snapshots_from_the_week_grid_and_the_totals_drop(page: Page, world: World, screenshot):
    """Keyboard selection (click, then shift+arrows), the confirmation that says how much time
    goes, the totals after it, and the deletion reaching the freelancer's Team app."""
    _sign_in(page, world, "freelancer")
    page.goto(world.week_url())
    week_before = minutes_of(page.locator("#week-total").inner_text())
    targets = world.uuids[50:53]  # Tuesday 10:20 .. 10:50
    assert all(page.locator(f'#week-grid td[data-id="{u}"]').get_attribute("data-del") == "1" for u in targets)
    page.locator(f'#week-grid td[data-id="{targets[0]}"]').click()
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    expect(page.locator("#sel-count")).to_have_text("3 segments selected (0:30)")
    page.locator("#sel-delete").click()
    confirm = page.locator("#confirm-delete")
    expect(confirm).to_contain_text("Delete 3 screen snapshots and remove 0:30 of logged time (3 segments)")
    screenshot(page, "diary-server-week-confirm-delete")
    confirm.get_by_role("button", name="Delete 0:30").click()
    expect(page.locator("#diary-notices")).to_contain_text("Deleted 3 segments (0:30).")
    expect(page.locator("#week-total")).to_have_text(dv.hm(week_before - 30))
    for u in targets:
        expect(page.locator(f'#week-grid td[data-id="{u}"]')).to_have_attribute("aria-disabled", "true")
    assert all(row[3] is not None for row in world.server_rows(targets))
    # The freelancer's Team app pulls the deletion: those segments are deleted there too.
    deadline = time.monotonic() + 60
    path = world.app.data_dir / "teamapp.sqlite3"
    while True:
        world.sync()
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            marks = ",".join("?" * len(targets))
            gone = db.execute(
                f"SELECT COUNT(*) FROM capture_segment WHERE uuid IN ({marks}) AND deleted_at IS NOT NULL",  # noqa: S608
                targets,
            ).fetchone()[0]
        if gone == 3:
            break
        assert time.monotonic() < deadline, f"the Team app pulled {gone} of the 3 deletions"
        time.sleep(1)


def _forge(page: Page, path: str, form: dict):
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    return page.request.post(page.url.split("/contracts/")[0] + path, form=form, headers={"X-CSRFToken": token})


def test_after_the_week_ends_and_locks_controls_go_and_forged_posts_are_refused(page: Page, world: World):
    _sign_in(page, world, "freelancer")
    seg = world.uuids[40]
    now = _advance(world.app, 0.001)
    _advance(world.app, (world.monday + rules.WEEK + timedelta(hours=1) - now).total_seconds())  # Mon 01:00
    page.goto(world.week_url())
    expect(page.locator("#lock-note")).to_contain_text("snapshots can no longer be deleted")
    expect(page.locator("#sel-delete")).to_have_count(0)
    expect(page.locator("#week-grid td[data-del]")).to_have_count(0)
    expect(page.locator("#sel-memo")).to_be_visible()  # memos stay editable until the lock
    base = f"/contracts/{world.cid}/diary"
    r = _forge(page, f"{base}/delete", {"ids": seg, "confirm": "yes", "view": "week"})
    assert r.status == 409 and "can no longer be deleted" in r.text()
    assert world.server_rows([seg])[0][3] is None
    _advance(world.app, 11 * 3600)  # Monday 12:00 UTC: the lock
    page.goto(world.week_url())
    expect(page.locator("#lock-note")).to_contain_text("locked for invoicing")
    expect(page.locator("#diary-selection")).to_have_count(0)
    before = world.server_rows([seg])[0]
    form = {"ids": seg, "memo": "Too late", "view": "week", "day": str(world.monday.date()), "tz": "utc"}
    r = _forge(page, f"{base}/memo", form)
    assert r.status == 409 and "locked for invoicing" in r.text()
    assert world.server_rows([seg])[0] == before
