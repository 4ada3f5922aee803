"""What the logging-flow tests (test_logging_flow, test_preferences_flow) read on the main
screen and do between tests: the review prompts in its HTML, the totals it shows, screenshots
followed by a clean reload, the state every test starts and ends in, and a stand-in camera.
The app-side helpers (test clock, xterms, the database read from outside) are in
logging_helpers.py."""

from __future__ import annotations

import re

from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.logging_helpers import (
    DEMO_CONTRACT,
    app_now,
    connected,
    expected_totals,
    http,
    save_preferences,
    select_contract,
    switch_off_quietly,
)

REVIEW_RE = re.compile(r'id="review-(\d+)"')


def signed_in(app) -> bool:
    with http(app) as client:
        return client.get("/").status_code == 200


def reset_to_baseline(app) -> None:
    """Logging off, the demo contract, the baseline preferences (each test's fixture calls this
    before and after the test)."""
    if signed_in(app):
        switch_off_quietly(app)
        save_preferences(app)
        select_contract(app, DEMO_CONTRACT)


def has_prompt(html: str, other_than: set[int] = frozenset()) -> bool:
    return any(int(i) not in other_than for i in REVIEW_RE.findall(html))


def new_prompt_id(html: str, other_than: set[int] = frozenset()) -> int:
    return next(int(i) for i in REVIEW_RE.findall(html) if int(i) not in other_than)


def shoot(page: Page, screenshot, name: str) -> None:
    """Screenshots at both widths, then a fresh load of the page: the styles Playwright adds for
    a screenshot (animations, caret) trip the page's Content-Security-Policy on the next htmx
    swap and once left a click on the switch unanswered, so the test goes on from a clean page."""
    screenshot(page, name)
    page.reload()
    if page.locator("[ws-connect]").count():
        connected(page)


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def expect_totals(page: Page, app, contract_id: int, tz: str = "UTC") -> tuple[str, str]:
    today, week = expected_totals(app, contract_id, app_now(app), tz)
    expect(page.locator("#today-total")).to_have_text(today)
    expect(page.locator("#week-total")).to_have_text(week)
    return today, week


def write_camera_frames(folder) -> str:
    """A stand-in camera: an image sequence OpenCV reads with CAP_IMAGES."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(3):
        Image.new("RGB", (640, 480), (40 + 60 * n, 120, 200 - 50 * n)).save(folder / f"img_{n:03d}.jpg", quality=85)
    return str(folder / "img_%03d.jpg")
