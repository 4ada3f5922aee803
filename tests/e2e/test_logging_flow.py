"""Logging time end to end: Chromium against ``python app.py --no-window --test-clock`` with the
real capture sources on the X display (mss screenshots, pynput input counts, the active
window from python-xlib), input sent with xdotool to an xterm, the app's clock moved with
POST /test/clock.

One app process (the session's ``clock_app``) serves this module and test_preferences_flow;
every test starts and ends with logging off, the demo contract selected and the baseline
preferences (defaults, idle prompt off). The preferences' own flows are in
test_preferences_flow.py.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.logging_helpers import (
    DEMO_CONTRACT,
    Xterm,
    advance,
    advance_until,
    app_now,
    current_contract_id,
    expected_totals,
    hire_demo_freelancer,
    image_loaded,
    images,
    main_screen_html,
    open_main_screen,
    pick_contract,
    segment_of,
    segments,
    to_next_segment,
)
from tests.e2e.logging_screen import (
    expect_totals,
    has_prompt,
    minutes,
    new_prompt_id,
    reset_to_baseline,
    shoot,
)


@pytest.fixture(autouse=True)
def clean_state(clock_app):
    """Logging off, the demo contract, the baseline preferences: before and after each test."""
    reset_to_baseline(clock_app)
    yield
    reset_to_baseline(clock_app)


def test_log_time_delete_one_snapshot_and_keep_another(page: Page, clock_app, screenshot):
    app = clock_app
    open_main_screen(page, app)
    pick_contract(page, DEMO_CONTRACT)
    contract_id = current_contract_id(app)
    switch = page.locator("#logging-switch")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(page.locator("#status-line")).to_contain_text("Not logging")

    page.locator("#memo").fill("E2E: checkout address form")
    page.locator("#label").select_option("Development")
    page.get_by_role("button", name="Save memo").click()
    expect(page.locator("#prompts")).to_contain_text("Memo saved.")
    shoot(page, screenshot, "logging-off")

    with Xterm("e2e notes") as term:
        switch.click()
        expect(switch).to_have_attribute("aria-checked", "true")
        expect(page.locator("#status-line")).to_contain_text("Logging")
        term.type("fixing the address form\n")

        # The first snapshot: its prompt shows the real screenshot and the xterm's name and title.
        advance_until(app, has_prompt, step=20, limit=11 * 60, what="the first snapshot prompt")
        first = new_prompt_id(main_screen_html(app))
        prompt = page.locator(f"#review-{first}")
        expect(prompt).to_be_visible()
        assert image_loaded(page, f"#review-{first} img") > 0, "the prompt's thumbnail did not load"
        expect(prompt).to_contain_text(re.compile(r"xterm", re.IGNORECASE))
        expect(prompt).to_contain_text("e2e notes")
        full = page.request.get(app.url(f"/snapshots/{first}"))
        assert full.status == 200, full.status
        assert Image.open(io.BytesIO(full.body())).size == (1920, 1080)
        shot = segment_of(app, first)
        assert shot.window_title == "e2e notes" and "xterm" in (shot.app_name or "").lower(), shot
        assert shot.memo == "E2E: checkout address form" and shot.label == "Development", shot
        shoot(page, screenshot, "logging-prompt")

        # Delete it: the segment is no longer billed and the file is gone.
        week_before = page.locator("#week-total").inner_text()
        prompt.get_by_role("button", name="Delete").click()
        expect(page.locator(f"#review-{first}")).to_have_count(0)
        # (The answer's "Snapshot deleted: ..." message is overwritten at once by the WebSocket's
        # push of the same block; see the report: it is not asserted until that is fixed.)
        deleted = segment_of(app, first)
        assert deleted.deleted_at is not None, deleted
        assert next(i for i in images(app) if i.id == first).path is None
        assert page.request.get(app.url(f"/snapshots/{first}")).status == 404
        _today, week = expect_totals(page, app, contract_id)
        assert minutes(week) < minutes(week_before), (week, week_before)

        # Into the next segment, with input there; keep its snapshot by letting the review pass.
        to_next_segment(app)
        term.type("second segment\n")
        advance_until(app, lambda html: has_prompt(html, {first}), step=20, limit=11 * 60, what="the second prompt")
        second = new_prompt_id(main_screen_html(app), {first})
        expect(page.locator(f"#review-{second}")).to_be_visible()
        advance(app, 60)  # more than the 30-second review window, across a minute wake-up
        # The expiry reaches the page over the WebSocket; on a loaded CI machine that once took
        # longer than the default 5 s (the server had already dropped the prompt).
        assert f'id="review-{second}"' not in main_screen_html(app)
        expect(page.locator(f"#review-{second}")).to_have_count(0, timeout=20_000)
        kept = segment_of(app, second)
        assert kept.deleted_at is None and kept.active_minutes >= 1, kept
        assert kept.window_title == "e2e notes" and kept.memo == "E2E: checkout address form", kept
        assert next(i for i in images(app) if i.id == second).path is not None
        assert page.request.get(app.url(f"/snapshots/{second}")).status == 200
        _today, week = expect_totals(page, app, contract_id)
        assert minutes(week) >= 1
        # The meter shows the current segment: type at its start and watch the minute fill in.
        to_next_segment(app)
        term.type("the meter\n")
        advance_until(app, lambda html: "bar active" in html, step=20, limit=3 * 60, what="the meter filling")
        expect(page.locator("#activity-meter .bar.active")).not_to_have_count(0)
        expect(page.locator("#last-snapshot")).to_be_visible()
        assert image_loaded(page, "#last-snapshot") > 0
        shoot(page, screenshot, "logging-on")

        switch.click()
        expect(switch).to_have_attribute("aria-checked", "false")
        expect(page.locator("#status-line")).to_contain_text("Not logging")
    # The deleted segment stays deleted and the kept one stays billed after the stop.
    assert segment_of(app, first).deleted_at is not None
    assert segment_of(app, second).deleted_at is None


def test_a_reminder_asks_what_you_are_working_on(page: Page, clock_app):
    app = clock_app
    open_main_screen(page, app)
    page.goto(app.url("/preferences"))
    page.locator("#reminder_minutes").select_option("10")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#prefs-saved")).to_be_visible()

    open_main_screen(page, app)
    page.locator("#logging-switch").click()
    expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "true")
    advance(app, 9 * 60)
    expect(page.locator("#reminder-prompt")).to_have_count(0)
    advance(app, 2 * 60)
    reminder = page.locator("#reminder-prompt")
    expect(reminder).to_contain_text("What are you working on?")
    reminder.get_by_role("button", name="Still the same").click()
    expect(page.locator("#reminder-prompt")).to_have_count(0)

    # The next one comes ten minutes later; saving a memo answers it too.
    advance(app, 10 * 60)
    expect(page.locator("#reminder-prompt")).to_be_visible()
    page.locator("#memo").fill("E2E: payment page")
    page.get_by_role("button", name="Save memo").click()
    expect(page.locator("#reminder-prompt")).to_have_count(0)
    expect(page.locator("#memo")).to_have_value("E2E: payment page")


@pytest.mark.parametrize("answer", ["keep", "discard"])
def test_coming_back_from_idle_asks_to_keep_or_discard(page: Page, clock_app, screenshot, answer):
    app = clock_app
    open_main_screen(page, app)
    page.goto(app.url("/preferences"))
    page.locator("#idle_minutes").select_option("5")
    page.get_by_label("Show each snapshot so I can delete it before upload").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#prefs-saved")).to_be_visible()
    open_main_screen(page, app)
    contract_id = current_contract_id(app)

    with Xterm(f"idle {answer}") as term:
        to_next_segment(app)  # the minutes of input that follow stay in one segment
        page.locator("#logging-switch").click()
        expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "true")
        term.type("before the break\n")
        advance_until(app, lambda html: "bar active" in html, step=60, limit=3 * 60, what="the input counted")
        advance(app, 7 * 60)  # nobody touches anything for 7 minutes
        term.type("back\n")
        advance_until(app, lambda html: 'id="idle-prompt"' in html, step=60, limit=3 * 60, what="the idle prompt")
        prompt = page.locator("#idle-prompt")
        expect(prompt).to_contain_text(re.compile(r"You were idle from \d\d:\d\d to \d\d:\d\d"))
        start_text, end_text = re.search(r"from (\d\d:\d\d) to (\d\d:\d\d)", prompt.inner_text()).groups()
        idle_minutes = minutes(end_text) - minutes(start_text)
        assert idle_minutes >= 5, (start_text, end_text)
        if answer == "keep":
            shoot(page, screenshot, "logging-idle-prompt")
        logged_before = sum(s.logged_seconds for s in segments(app, contract_id))
        prompt.get_by_role("button", name="Keep" if answer == "keep" else "Discard").click()
        expect(page.locator("#idle-prompt")).to_have_count(0)
        logged_after = sum(s.logged_seconds for s in segments(app, contract_id))
        if answer == "keep":
            assert logged_after == logged_before
        else:
            assert logged_before - logged_after == pytest.approx(idle_minutes * 60, abs=1)
        expect_totals(page, app, contract_id)


def test_the_weekly_limit_stops_logging_and_refuses_to_start(page: Page, clock_app, screenshot):
    app = clock_app
    title = "Quick fixes (1 h a week)"
    hire_demo_freelancer(app, title, weekly_limit_hours=1)
    open_main_screen(page, app)
    pick_contract(page, title)
    contract_id = current_contract_id(app)
    expect(page.locator("#panel")).to_contain_text("of 1:00")
    switch = page.locator("#logging-switch")

    with Xterm("limit test") as term:
        switch.click()
        expect(switch).to_have_attribute("aria-checked", "true")
        term.type("quick fix\n")
        warned = False
        for _ in range(20):  # 5-minute steps, 100 minutes at most
            advance(app, 5 * 60)
            html = main_screen_html(app)
            warned = warned or 'id="limit-warning"' in html
            if 'id="limit-message"' in html:
                break
        assert warned, "no warning before the limit"
    expect(page.locator("#limit-message")).to_contain_text("reached this week's limit of 1 hour on")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(page.locator("#status-line")).to_contain_text("Not logging")
    _today, logged = expected_totals(app, contract_id, app_now(app), "UTC")
    assert minutes(logged) >= 60, logged
    # Shown as billed: never "1:01 of 1:00"; a minute past the limit is said to be unbilled.
    expect(page.locator("#week-total")).to_have_text("1:00")
    if minutes(logged) > 60:
        expect(page.locator("#week-over")).to_have_text(f"0:{minutes(logged) - 60:02d} over the limit, not billed")
    expect(page.locator("#picker")).to_contain_text("1:00 of 1:00")
    expect(page.locator("#picker")).not_to_contain_text(f"{logged} of 1:00")
    shoot(page, screenshot, "logging-limit-reached")

    switch.click()
    expect(page.locator("#panel-error")).to_contain_text("reached this week's limit of 1 hour on")
    expect(page.get_by_text("reached this week's limit")).to_have_count(1)  # said once, under the switch
    expect(switch).to_have_attribute("aria-checked", "false")
    advance(app, 120)
    assert sum(s.logged_seconds for s in segments(app, contract_id)) <= 61 * 60

    # Back on the demo contract (40 h a week), the other contract's limit is not shown.
    pick_contract(page, DEMO_CONTRACT)
    expect(page.locator("#limit-message")).to_have_count(0)
    expect(page.locator("#limit-warning")).to_have_count(0)


def test_help_page(page: Page, clock_app, screenshot):
    open_main_screen(page, clock_app)
    page.goto(clock_app.url("/help"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shoot(page, screenshot, "help")
