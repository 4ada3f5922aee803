"""Hourly Protection in the Work Diary, in a real browser against ``python app.py --no-window
--test-clock``: the marks, the week's score on the main screen and in the diary, and the
"fix before Monday 12:00 UTC" list whose links select the segments a memo would protect.

The worked week (tests/support/diary_data.py) gets three segments on Tuesday evening with no
memo and no label, a manual segment on Thursday evening, and six evening hours on Wednesday,
so that Friday afternoon goes over the 40-hour weekly limit.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from core import rules
from tests.e2e.conftest import LOGS
from tests.e2e.worked_week import clock_app, on_demo_contract_friday_evening


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    with clock_app(
        tmp_path_factory.mktemp("diary-protection-data"), LOGS / "e2e-diary-protection.log", "Team app (protection)"
    ) as app:
        cid, friday = on_demo_contract_friday_evening(app)
        from models.local import local_db, open_local_database
        from tests.support.diary_data import work_week, write_segment

        monday = rules.week_start(friday)
        db = open_local_database(app.data_dir / "teamapp.sqlite3")
        try:
            work_week(app.data_dir, cid, monday, until=friday)
            wednesday = monday + timedelta(days=2, hours=17)
            for n in range(36):
                write_segment(
                    app.data_dir, cid, wednesday + rules.SEGMENT * n, memo="Release night", label="Development"
                )
            tuesday = monday + timedelta(days=1, hours=17)
            bare = [write_segment(app.data_dir, cid, tuesday + rules.SEGMENT * n)[0] for n in range(3)]
            thursday = monday + timedelta(days=3, hours=17)
            write_segment(app.data_dir, cid, thursday, memo="Call with the client", manual=True, screen=False)
        finally:
            db.close()
            local_db.initialize(None)
        yield app, cid, monday, bare


def test_the_fix_list_link_selects_the_segments_a_memo_would_protect(page: Page, week, screenshot):
    app, monday, bare = week[0], week[2], week[3]
    page.goto(app.launch_url)
    line = page.locator("#main-protection")
    expect(line).to_contain_text("of this week's billed time qualifies for Hourly Protection; 3 segments need a memo")
    screenshot(page, "protection-main-screen")
    page.locator("#fix-link").click()
    expect(page.locator("#fix-list")).to_be_focused()
    expect(page.locator("#protection-score")).to_contain_text("3 segments need a memo")
    # Marks: every billed cell says whether it qualifies, in its label too.
    first = page.locator(f'#week-grid td[data-id="{bare[0]}"]')
    expect(first).to_have_class(re.compile(r"\bfx\b"))
    expect(first).to_have_attribute("aria-label", re.compile("Not protected: no memo and no Activity label"))
    expect(page.locator("#week-grid td.c.np").first).to_have_attribute("aria-label", re.compile("Not protected: "))
    expect(page.locator("#week-grid td.c.p").first).to_have_attribute("aria-label", re.compile("Qualifies"))
    links = page.locator("#fix-list a")
    expect(links).to_have_count(1)
    expect(links.first).to_have_text(re.compile(r"^Tue \d\d 17:00–17:30$"))
    page.evaluate("window.scrollTo(0, 0)")  # (a full-page shot of a scrolled page moves the sticky totals)
    screenshot(page, "protection-week")
    # From Monday's day view the link opens Tuesday's at the first of those segments.
    week_url = page.url.split("#")[0]
    page.goto(app.url(f"/diary?day={monday.date()}&tz=utc"))
    day_link = page.locator("#fix-list a").first
    tuesday = (monday + timedelta(days=1)).date()
    expect(day_link).to_have_attribute("href", re.compile(rf"day={tuesday}.*#seg-{bare[0]}$"))
    day_link.click()
    expect(page.locator(f"#seg-{bare[0]}")).to_be_focused()
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    screenshot(page, "protection-day-tuesday")
    page.locator("#fix-list a").first.click()  # now the same day: in place
    expect(page.locator(f"#seg-{bare[0]}")).to_be_focused()
    expect(page.locator(f"#seg-{bare[0]}")).to_have_attribute("aria-label", re.compile("Not protected: no memo"))
    page.goto(week_url)
    links = page.locator("#fix-list a")
    links.first.click()
    expect(page.locator('#week-grid td[aria-selected="true"]')).to_have_count(3)
    expect(first).to_be_focused()
    expect(page.locator("#sel-count")).to_have_text("3 segments selected (0:30)")
    expect(page.locator("#cell-detail")).to_contain_text("Not protected")
    page.locator("#sel-memo").fill("Deploy checklist")
    page.locator("#sel-apply").click()
    expect(page.locator(".diary-notices")).to_contain_text("Saved the memo of 3 segments.")
    expect(page.locator("#protection-score")).not_to_contain_text("need a memo")
    expect(page.locator("#fix-list")).to_have_count(0)
    expect(first).to_have_class(re.compile(r"\bp\b"))


def test_day_view_marks_and_memo_bars_say_what_they_mean(page: Page, week, screenshot):
    app, monday = week[0], week[2]
    page.goto(app.launch_url)
    page.goto(app.url(f"/diary?day={(monday + timedelta(days=4)).date()}&tz=utc"))  # Friday: over the limit
    over = page.locator(".memo-bar.k-over").first
    expect(over).to_contain_text("Over the limit, not billed")
    mark = page.locator(".dcell.s-over .pmark").first
    expect(mark).to_contain_text("Not protected")
    mark.focus()
    expect(mark.locator(".ptip")).to_contain_text("Beyond the weekly limit")
    page.evaluate("window.scrollTo(0, 0)")  # (a full-page shot of a scrolled page moves the sticky totals)
    screenshot(page, "protection-day-friday")
    page.goto(app.url(f"/diary?day={(monday + timedelta(days=3)).date()}&tz=utc"))  # Thursday: manual time
    expect(page.locator(".memo-bar.k-manual").first).to_contain_text("Manual time")
    expect(page.locator(".dcell.s-manual .pmark")).to_contain_text("Not protected")
    page.locator(".dcell.s-manual .pmark").hover()
    expect(page.locator(".dcell.s-manual .ptip")).to_contain_text("Manual time is billed but never protected")
    page.evaluate("window.scrollTo(0, 0)")  # (a full-page shot of a scrolled page moves the sticky totals)
    screenshot(page, "protection-day-thursday")
