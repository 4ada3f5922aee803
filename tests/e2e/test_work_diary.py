"""The Work Diary in a real browser against ``python app.py --no-window --test-clock``.

A realistic working week is written straight into the app's cache (tests/support/diary_data.py);
the app's clock is moved to the Friday evening of that week, then past its end and its lock.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from core import rules
from tests.e2e.conftest import LOGS
from tests.e2e.processes import TeamApp
from tests.e2e.worked_week import advance as _advance
from tests.e2e.worked_week import clock_app, on_demo_contract_friday_evening
from tests.support.diary_data import minutes_of


class Diary:
    def __init__(self, app: TeamApp, contract_id: int, monday: datetime, segment_ids: list[int]):
        self.app, self.contract_id, self.monday, self.segment_ids = app, contract_id, monday, segment_ids

    def week_url(self) -> str:
        return self.app.url(f"/diary/week?week={self.monday.date()}&tz=utc")

    def day_url(self, day: int = 0) -> str:
        return self.app.url(f"/diary?day={(self.monday + timedelta(days=day)).date()}&tz=utc")

    def rows(self, ids) -> list[tuple]:
        with closing(sqlite3.connect(f"file:{self.app.data_dir / 'teamapp.sqlite3'}?mode=ro", uri=True)) as db:
            marks = ",".join("?" * len(ids))
            return db.execute(
                f"SELECT id, memo, label, deleted_at FROM capture_segment WHERE id IN ({marks}) ORDER BY start",  # noqa: S608
                list(ids),
            ).fetchall()


@pytest.fixture(scope="module")
def diary(tmp_path_factory) -> Diary:
    with clock_app(
        tmp_path_factory.mktemp("work-diary-data"), LOGS / "e2e-work-diary.log", "Team app (Work Diary)"
    ) as app:
        cid, friday = on_demo_contract_friday_evening(app)
        from models.local import local_db, open_local_database
        from tests.support.diary_data import work_week

        db = open_local_database(app.data_dir / "teamapp.sqlite3")
        try:
            made = work_week(app.data_dir, cid, rules.week_start(friday), until=friday, camera_every=7)
        finally:
            db.close()
            local_db.initialize(None)
        yield Diary(app, cid, rules.week_start(friday), made.segment_ids)


def test_week_grid_drag_selects_and_edits_memos_in_place(page: Page, diary: Diary, screenshot):
    page.goto(diary.app.launch_url)
    page.goto(diary.week_url())
    expect(page.locator("#week-grid")).to_be_visible()
    expect(page.locator("#week-total")).to_have_text("35:00")  # Mon-Fri 9-17 less an hour for lunch
    page.evaluate("window.__notReloaded = true")
    first, last = diary.segment_ids[0], diary.segment_ids[11]  # Monday 09:00 .. 10:50
    a = page.locator(f'#week-grid td[data-id="{first}"]').bounding_box()
    b = page.locator(f'#week-grid td[data-id="{last}"]').bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()
    expect(page.locator("#sel-count")).to_have_text("12 segments selected (2:00)")
    expect(page.locator('#week-grid td[aria-selected="true"]')).to_have_count(12)
    page.locator("#sel-memo").fill("Payment form: error states")
    page.locator("#sel-label").select_option("Development")
    page.locator("#sel-apply").click()
    expect(page.locator(".diary-notices")).to_contain_text("Saved the memo and label of 12 segments.")
    assert page.evaluate("window.__notReloaded") is True  # swapped in place by htmx
    expect(page.locator(f'#week-grid td[data-id="{first}"]')).to_have_attribute(
        "aria-label", re.compile("memo: Payment form: error states, label: Development")
    )
    expect(page.locator('#week-grid td[aria-selected="true"]')).to_have_count(12)  # selection kept
    # (Screenshots come after the htmx swaps: Playwright leaves style="" on elements it touched,
    # which htmx's settle step would copy, tripping the Content-Security-Policy.)
    screenshot(page, "work-diary-week-selection")
    rows = diary.rows(diary.segment_ids[:13])
    assert [r[1:3] for r in rows[:12]] == [("Payment form: error states", "Development")] * 12
    assert rows[12][1] != "Payment form: error states"
    # Keyboard: Escape clears, arrows move, shift+arrows extend, space toggles.
    cell = page.locator(f'#week-grid td[data-id="{diary.segment_ids[20]}"]')
    cell.click()
    expect(page.locator("#sel-count")).to_have_text("1 segment selected (0:10)")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    expect(page.locator("#sel-count")).to_have_text("3 segments selected (0:30)")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator("#sel-count")).to_have_text("4 segments selected (0:40)")
    page.keyboard.press("Escape")
    expect(page.locator("#sel-count")).to_contain_text("Select segments in the grid")
    page.locator(f'#week-grid td[data-id="{diary.segment_ids[1]}"]').click()
    screenshot(page, "work-diary-week")


def test_day_view_delete_snapshot_and_see_the_totals_drop(page: Page, diary: Diary, screenshot):
    page.goto(diary.app.launch_url)
    page.goto(diary.day_url(1))  # Tuesday
    expect(page.locator(".day-row").first).to_be_visible()
    day_before = minutes_of(page.locator("#day-total").inner_text())
    week_before = minutes_of(page.locator("#week-total").inner_text())
    # The snapshot viewer: full size, arrows step through the day, Escape closes.
    page.locator(".dcell .thumb").nth(2).click()
    expect(page.locator("#viewer img.full")).to_be_visible()
    title = page.locator("#viewer-title").inner_text()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#viewer-title")).not_to_have_text(title)
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_have_count(0)
    # The activity meter shows per-minute counts.
    page.locator(".dmeter summary").first.click()
    expect(page.locator(".minute-counts").first).to_be_visible()
    page.locator(".dmeter summary").first.click()
    target = page.locator("article.dcell.s-logged").nth(3)
    seg_id = int(target.get_attribute("id").removeprefix("seg-"))
    target.get_by_role("button", name=re.compile("^Delete the snapshot")).click()
    confirm = page.locator("#confirm-delete")
    expect(confirm).to_contain_text("remove 0:10 of logged time (1 segment)")
    confirm.get_by_role("button", name="Delete 0:10").click()
    expect(page.locator(".diary-notices")).to_contain_text("Deleted 1 segment (0:10).")
    expect(page.locator("#day-total")).to_have_text(f"{(day_before - 10) // 60}:{(day_before - 10) % 60:02d}")
    expect(page.locator("#week-total")).to_have_text(f"{(week_before - 10) // 60}:{(week_before - 10) % 60:02d}")
    expect(page.locator(f"#seg-{seg_id}")).to_have_class(re.compile("s-deleted"))
    assert diary.rows([seg_id])[0][3] is not None
    # Thumbnails load lazily: the last ones only once scrolled to.
    last_thumb = page.locator(".dcell .thumb img").last
    assert last_thumb.get_attribute("loading") == "lazy"
    last_thumb.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('.dcell .thumb img')].pop().naturalWidth > 0")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "work-diary-day")
    page.goto(diary.app.url(f"/diary/report?week={diary.monday.date()}&tz=utc"))
    expect(page.locator("svg.hours-chart rect")).to_have_count(7)
    page.set_viewport_size({"width": 1366, "height": 768})
    screenshot(page, "work-diary-report")


def test_after_the_week_ends_and_locks_controls_go_and_forged_requests_are_refused(page: Page, diary: Diary):
    page.goto(diary.app.launch_url)
    now = _advance(diary.app, 0.001)
    _advance(diary.app, (rules.week_end(diary.monday) - now).total_seconds())  # Monday 00:00: week ended
    page.goto(diary.week_url())
    expect(page.locator(".lock-badge")).to_have_text("Ended, memos editable")
    expect(page.locator("#sel-delete")).to_have_count(0)
    expect(page.locator("#sel-memo")).to_have_count(1)
    page.goto(diary.day_url(2))
    expect(page.get_by_role("button", name=re.compile("^Delete the snapshot"))).to_have_count(0)
    seg = diary.segment_ids[40]
    forged = page.request.post(
        diary.app.url(f"/diary/delete?contract={diary.contract_id}"),
        form={"ids": str(seg), "confirm": "yes", "view": "week", "tz": "utc"},
    )
    assert forged.status == 409 and "can no longer be deleted" in forged.text()
    _advance(diary.app, 12 * 3600)  # Monday 12:00: locked for invoicing
    page.goto(diary.week_url())
    expect(page.locator(".lock-badge")).to_have_text("Locked")
    expect(page.locator("#diary-selection")).to_have_count(0)
    expect(page.locator("#lock-note")).to_contain_text("memos and labels are read-only")
    page.goto(diary.day_url(2))
    expect(page.locator("button.memo-bar")).to_have_count(0)
    expect(page.locator(".memo-bar.readonly").first).to_be_visible()
    forged = page.request.post(
        diary.app.url(f"/diary/memo?contract={diary.contract_id}"),
        form={"ids": str(seg), "memo": "rewritten after the lock", "label": "__keep__", "view": "week"},
    )
    assert forged.status == 409 and "read-only" in forged.text()
    row = diary.rows([seg])[0]
    assert row[1] != "rewritten after the lock" and row[3] is None
