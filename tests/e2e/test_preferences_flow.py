"""The preferences end to end: every preference is saved and shown again, and each one takes
effect while logging (screen scope, review prompts and their time, the camera, hidden titles,
the display time zone). Chromium against ``python app.py --no-window --test-clock`` with the
real capture sources on the X display, as in test_logging_flow.py (the same session's
``clock_app``); every test starts and ends with logging off, the demo contract selected and
the baseline preferences.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.logging_helpers import (
    Xterm,
    advance,
    advance_until,
    app_now,
    current_contract_id,
    image_loaded,
    images,
    main_screen_html,
    open_main_screen,
    segment_of,
    to_next_segment,
)
from tests.e2e.logging_screen import (
    expect_totals,
    has_prompt,
    new_prompt_id,
    reset_to_baseline,
    shoot,
    write_camera_frames,
)


@pytest.fixture(autouse=True)
def clean_state(clock_app):
    """Logging off, the demo contract, the baseline preferences: before and after each test."""
    reset_to_baseline(clock_app)
    yield
    reset_to_baseline(clock_app)


def test_every_preference_is_saved_and_shown_again(page: Page, clock_app, screenshot, tmp_path):
    app = clock_app
    open_main_screen(page, app)
    page.goto(app.url("/preferences"))
    expect(page.get_by_role("heading", name="Preferences", exact=True)).to_be_visible()
    shoot(page, screenshot, "preferences")
    camera = write_camera_frames(tmp_path / "camera")

    page.get_by_label("The active screen only").check()
    page.get_by_label("Show each snapshot so I can delete it before upload").uncheck()
    page.locator("#review_seconds").select_option("60")
    page.get_by_label("Take a camera still with each screen snapshot (never video)").check()
    page.locator("#camera_source").fill(camera)
    page.get_by_role("button", name="Test shot").click()
    test_shot = page.locator("#camera-test img")
    expect(test_shot).to_be_visible()
    assert image_loaded(page, "#camera-test img") > 0
    page.locator("#reminder_minutes").select_option("30")
    page.locator("#idle_minutes").select_option("20")
    page.locator("#hidden_title_patterns").fill("secret\nbank")
    page.locator("#timezone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#prefs-saved")).to_have_text("Preferences saved.")

    page.reload()
    expect(page.get_by_label("The active screen only")).to_be_checked()
    expect(page.get_by_label("Show each snapshot so I can delete it before upload")).not_to_be_checked()
    expect(page.locator("#review_seconds")).to_have_value("60")
    expect(page.get_by_label("Take a camera still with each screen snapshot (never video)")).to_be_checked()
    expect(page.locator("#camera_source")).to_have_value(camera)
    expect(page.locator("#reminder_minutes")).to_have_value("30")
    expect(page.locator("#idle_minutes")).to_have_value("20")
    expect(page.locator("#hidden_title_patterns")).to_have_value("secret\nbank")
    expect(page.locator("#timezone")).to_have_value("Asia/Kolkata")

    # A bad pattern is refused with a message and changes nothing.
    page.locator("#hidden_title_patterns").fill("x" * 201)
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#prefs-error")).to_contain_text("A pattern is at most 200 characters")
    page.reload()
    expect(page.locator("#hidden_title_patterns")).to_have_value("secret\nbank")

    # A camera that is not there says so.
    page.locator("#camera_source").fill(str(tmp_path / "nothing" / "img_%03d.jpg"))
    page.get_by_role("button", name="Test shot").click()
    expect(page.locator("#camera-test")).not_to_be_empty()
    expect(page.locator("#camera-test img")).to_have_count(0)


def test_preferences_take_effect_while_logging(page: Page, clock_app, tmp_path):
    app = clock_app
    open_main_screen(page, app)
    contract_id = current_contract_id(app)
    camera = write_camera_frames(tmp_path / "camera")
    page.goto(app.url("/preferences"))
    page.get_by_label("The active screen only").check()
    page.get_by_label("Show each snapshot so I can delete it before upload").check()  # earlier tests may have unset it
    page.locator("#review_seconds").select_option("10")
    page.get_by_label("Take a camera still with each screen snapshot (never video)").check()
    page.locator("#camera_source").fill(camera)
    page.locator("#hidden_title_patterns").fill("secret")
    page.locator("#timezone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#prefs-saved")).to_be_visible()
    kolkata = ZoneInfo("Asia/Kolkata")

    open_main_screen(page, app)
    with Xterm("my secret plans") as term:
        page.locator("#logging-switch").click()
        expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "true")
        term.type("plans\n")
        # Time zone: the segment's times are shown in Asia/Kolkata (UTC+5:30).
        now = app_now(app)
        start = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
        shown = f"{start.astimezone(kolkata):%H:%M}–{(start + timedelta(minutes=10)).astimezone(kolkata):%H:%M}"
        expect(page.locator("#panel .segment-now")).to_contain_text(f"This segment ({shown})")

        # A segment that already has its snapshot (an earlier test logged in it) gets no second
        # one: start from the next segment.
        to_next_segment(app)
        term.type("plans\n")
        screens_before = {i.id for i in images(app, "screen")}
        # Steps shorter than the 10-second review window, so the prompt is not stepped over.
        advance_until(app, has_prompt, step=5, limit=11 * 60, what="the snapshot prompt")
        shot_id = new_prompt_id(main_screen_html(app))
        prompt = page.locator(f"#review-{shot_id}")
        # Hidden title: stored and shown as "(hidden)".
        expect(prompt).to_contain_text("(hidden)")
        expect(prompt).not_to_contain_text("secret")
        assert segment_of(app, shot_id).window_title == "(hidden)"
        # Review time: 10 seconds.
        assert int(prompt.get_attribute("data-countdown")) <= 10
        taken = next(i for i in images(app) if i.id == shot_id).taken_at
        expect(prompt).to_contain_text(f"Snapshot taken at {taken.astimezone(kolkata):%H:%M}")
        # Camera: a still from the image sequence, with the screen snapshot's segment.
        cams = [i for i in images(app, "camera") if i.segment_id == segment_of(app, shot_id).id]
        assert cams and cams[0].path is not None and (cams[0].width, cams[0].height) == (640, 480), cams
        # Scope "active screen": on this one-monitor display it is the whole 1920x1080 screen.
        screen = next(i for i in images(app, "screen") if i.id == shot_id)
        assert (screen.width, screen.height) == (1920, 1080), screen
        assert shot_id not in screens_before

        # Notifications off: the next snapshot is taken but no prompt asks about it.
        page.goto(app.url("/preferences"))
        page.get_by_label("Show each snapshot so I can delete it before upload").uncheck()
        page.get_by_role("button", name="Save preferences").click()
        expect(page.locator("#prefs-saved")).to_be_visible()
        open_main_screen(page, app)
        seen = {i.id for i in images(app, "screen")}
        to_next_segment(app)
        for _ in range(40):
            advance(app, 20)
            assert not has_prompt(main_screen_html(app)), "a review prompt showed with notifications off"
            if {i.id for i in images(app, "screen")} - seen:
                break
        else:
            raise AssertionError("no snapshot in the next segment")
        expect(page.locator(".prompt.review")).to_have_count(0)
        expect_totals(page, app, contract_id, "Asia/Kolkata")
