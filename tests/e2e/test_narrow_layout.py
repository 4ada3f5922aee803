"""Narrow and short windows (issue "Day two", item 12): every page fits 400 px wide without
sideways scrolling, the header's Menu reaches every page at that width, and the main screen
fits a 1366x768 laptop with the memo box in view once a contract is chosen.

One Team app with its embedded diary server and the test clock; a working week is written into
the diary server (as in test_diary_server_diary.py) and pulled by the Team app.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from core import rules
from tests.e2e.conftest import LAPTOP, LOGS, NARROW
from tests.e2e.processes import SCREENSHOTS, TeamApp
from tests.e2e.worked_week import clock_app, on_demo_contract_friday_evening, server_week
from tests.e2e.worked_week import http as _http

EMBEDDED_RE = re.compile(r"Embedded Work Diary running at (http://127\.0\.0\.1:\d+)/")
SIZES = (NARROW, LAPTOP)


class World:
    def __init__(self, app: TeamApp, diary_url: str, cid: int, monday: datetime):
        self.app, self.diary_url, self.cid, self.monday = app, diary_url, cid, monday

    def server(self, path: str) -> str:
        return self.diary_url + path

    def team(self, path: str) -> str:
        return self.app.url(path)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with clock_app(
        tmp_path_factory.mktemp("narrow-layout-data"), LOGS / "e2e-narrow-layout.log", "Team app (narrow layout)"
    ) as app:
        diary_url = EMBEDDED_RE.search(app.server.output()).group(1)
        cid, friday = on_demo_contract_friday_evening(app)
        server_week(app, cid, friday, camera_every=7)
        with _http(app) as client:
            client.post("/sync/retry")
        yield World(app, diary_url, cid, rules.week_start(friday))


def _settle(page: Page) -> None:
    """Load the lazy thumbnails, then back to the top (as test_diary_server_diary does)."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    deadline = time.monotonic() + 15
    while not page.evaluate("Array.from(document.images).every((img) => img.complete)"):
        assert time.monotonic() < deadline, "images did not load"
        page.wait_for_timeout(100)
    page.evaluate("window.scrollTo(0, 0)")


def _no_sideways_scroll(page: Page, where: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(0, 8)
                .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
        )
        pytest.fail(f"{where}: the page scrolls sideways ({width} > {inner} px); too wide: {wide}")


def _check_sizes(page: Page, name: str, extra=None) -> None:
    """At each size: no sideways scroll, then a full-page screenshot ``<name>-<w>x<h>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        page.set_viewport_size(size)
        page.wait_for_timeout(100)
        path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        _no_sideways_scroll(page, f"{name} at {size['width']}x{size['height']}")
        if extra is not None:
            extra(page, size)
    page.set_viewport_size(LAPTOP)


def _sign_in_to_diary(page: Page, world: World, role: str) -> None:
    account = world.app.demo[role]
    page.goto(world.server("/signin"))
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your contracts")).to_be_visible()


def test_the_menu_reaches_every_team_app_page_at_400px(page: Page, world: World):
    page.set_viewport_size(NARROW)
    page.goto(world.app.launch_url)
    expect(page.locator("#memo-box")).to_be_visible()
    menu = page.locator("details.navmenu")
    expect(menu.locator("summary")).to_be_visible()
    expect(menu.locator("summary")).to_have_text("Menu")
    for name, heading in (("Work Diary", None), ("Preferences", "Preferences"), ("Help", None), ("Log time", None)):
        menu.locator("summary").click()
        link = menu.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        if name == "Work Diary":
            page.screenshot(path=str(SCREENSHOTS / "narrow-team-menu-open-400x800.png"))
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"], (name, box)
        link.click()
        expect(page.locator("details.navmenu")).not_to_have_attribute("open", "")
        if heading:
            expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        _no_sideways_scroll(page, f"{name} at 400 px")
    expect(page).to_have_url(world.team("/"))
    # The wide navigation is the one shown at laptop size; the menu is not.
    page.set_viewport_size(LAPTOP)
    expect(page.locator("details.navmenu summary")).to_be_hidden()
    expect(page.locator("nav.mainnav").get_by_role("link", name="Work Diary")).to_be_visible()


def test_team_app_pages_fit_400px_and_1366x768(page: Page, world: World):
    page.goto(world.app.launch_url)
    expect(page.locator("#memo-box")).to_be_visible()

    def memo_in_view(page: Page, size) -> None:
        if size == LAPTOP:
            page.evaluate("window.scrollTo(0, 0)")
            box = page.locator("#memo-box").bounding_box()
            bottom = box["y"] + box["height"]
            assert bottom <= LAPTOP["height"], f"the memo box ends at {bottom} px, below the 768 px window"
            expect(page.locator("#memo")).to_be_in_viewport()
            expect(page.get_by_role("button", name="Save memo")).to_be_in_viewport()
        status = page.locator("#status-line").bounding_box()
        assert status["x"] + status["width"] <= size["width"], status

    _check_sizes(page, "narrow-team-main", memo_in_view)
    day = world.monday + timedelta(days=1)
    page.goto(world.team(f"/diary?day={day.date()}&tz=utc&contract={world.cid}"))
    expect(page.locator(".day-row").first).to_be_visible()
    _settle(page)

    def meter_counts_fit(page: Page, size) -> None:
        meters = page.locator(".dmeter")
        for i in (0, 2, 5):  # first, third and last-but-one cells of the first hour row
            meter = meters.nth(i)
            meter.locator("summary").click()
            table = meter.locator(".minute-counts")
            expect(table).to_be_visible()
            box = table.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (size, i, box)
            _no_sideways_scroll(page, f"day view with counts open at {size['width']} px")
            if i == 2:
                table.scroll_into_view_if_needed()
                page.screenshot(path=str(SCREENSHOTS / f"narrow-team-day-counts-{size['width']}x{size['height']}.png"))
            meter.locator("summary").click()
        bar = page.locator(".memo-bar .memo-text").first
        assert bar.bounding_box()["width"] >= 60, bar.bounding_box()

    _check_sizes(page, "narrow-team-day", meter_counts_fit)
    page.goto(world.team(f"/diary/week?week={world.monday.date()}&tz=utc&contract={world.cid}"))
    expect(page.locator("#week-grid")).to_be_visible()
    _check_sizes(page, "narrow-team-week")
    page.goto(world.team(f"/diary/report?week={world.monday.date()}&tz=utc&contract={world.cid}"))
    expect(page.locator("svg.hours-chart")).to_be_visible()
    _check_sizes(page, "narrow-team-report")
    page.goto(world.team("/preferences"))
    expect(page.get_by_role("heading", name="Preferences").first).to_be_visible()
    _check_sizes(page, "narrow-team-prefs")
    page.goto(world.team("/help"))
    expect(page.locator("main h1")).to_be_visible()
    _check_sizes(page, "narrow-team-help")


def test_the_main_screen_fits_1366x768_with_the_memo_box_in_view(page: Page, world: World):
    page.set_viewport_size(LAPTOP)
    page.goto(world.app.launch_url)
    expect(page.locator("#current-contract")).to_have_text("Website redesign")
    box = page.locator("#memo-box").bounding_box()
    assert box["y"] + box["height"] <= LAPTOP["height"], box
    assert page.evaluate("window.scrollY") == 0
    page.locator("#memo").fill("Checkout page: the address form")
    expect(page.get_by_role("button", name="Save memo")).to_be_in_viewport()
    # At 400 px the status line and any notice (here the one after saving a memo) fit the window.
    page.set_viewport_size(NARROW)
    page.get_by_role("button", name="Save memo").click()
    expect(page.locator("#memo")).to_have_value("Checkout page: the address form")
    page.wait_for_timeout(300)
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.statusbar, .alert, .prompt, .card')]
            .filter((e) => e.offsetParent !== null)
            .map((e) => [e.className, e.getBoundingClientRect().left, e.getBoundingClientRect().right])"""
    )
    assert boxes, "no status line or cards on the main screen"
    for name, left, right in boxes:
        assert left >= 0 and right <= NARROW["width"], (name, left, right)
    _no_sideways_scroll(page, "main screen after saving a memo at 400 px")
    page.screenshot(path=str(SCREENSHOTS / "narrow-team-main-memo-saved-400x800.png"), full_page=True)


def test_diary_server_pages_fit_400px_and_the_work_diary_link_stays_visible(page: Page, world: World):
    _sign_in_to_diary(page, world, "client")

    def diary_link_visible(page: Page, size) -> None:
        link = page.get_by_role("link", name="Work Diary of Website redesign")
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (size, box)

    _check_sizes(page, "narrow-diary-contracts", diary_link_visible)
    page.set_viewport_size(NARROW)
    menu = page.locator("details.navmenu")
    menu.locator("summary").click()
    for name in ("Contracts", "Account"):
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "narrow-diary-menu-open-400x800.png"))
    menu.get_by_role("link", name="Account", exact=True).click()
    expect(page).to_have_url(world.server("/account"))
    page.set_viewport_size(LAPTOP)
    page.goto(world.server(f"/contracts/{world.cid}/diary/report?week={world.monday.date()}&tz=utc"))
    expect(page.locator("svg.hours-chart")).to_be_visible()
    _check_sizes(page, "narrow-diary-report")
    page.goto(world.server(f"/contracts/{world.cid}/diary?day={(world.monday + timedelta(days=1)).date()}&tz=utc"))
    expect(page.locator(".day-row").first).to_be_visible()
    _settle(page)
    _check_sizes(page, "narrow-diary-day")
    page.goto(world.server(f"/contracts/{world.cid}/diary/week?week={world.monday.date()}&tz=utc"))
    expect(page.locator("#week-grid")).to_be_visible()
    _check_sizes(page, "narrow-diary-week")
    page.goto(world.server(f"/contracts/{world.cid}"))
    _check_sizes(page, "narrow-diary-contract")
