"""Helpers for the logging-flow tests: the test clock, xterms typed into with xdotool, the app's
database read from outside (read-only), and the embedded diary's API as the demo client.

Nothing here sleeps to wait for the app: POST /test/clock returns once the app has handled
every event up to the new time, so the server's answer right after it is the truth; the
browser gets the same change over its WebSocket and the tests wait for it with expect().
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from core import rules
from dbkit.fields import from_db
from tests.e2e.processes import TeamApp

EMBEDDED_RE = re.compile(r"Embedded Work Diary running at (http://127\.0\.0\.1:\d+)/")
DEMO_CONTRACT = "Website redesign"
SEGMENT = timedelta(minutes=10)
XDOTOOL_TIMEOUT = 20

#: Preferences every test starts from: the defaults, except that nobody is asked about idle
#: time (tests that want it set it), so a long clock step never leaves an idle prompt behind.
BASELINE_PREFS = {
    "scope": "desktop",
    "notifications": "on",
    "review_seconds": "30",
    "camera_source": "0",
    "reminder_minutes": "0",
    "idle_minutes": "0",
    "hidden_title_patterns": "",
    "timezone": "UTC",
}


# --- the app, over HTTP (what the page's buttons do, for setup and clean-up) ---------------


def http(app: TeamApp) -> httpx.Client:
    return httpx.Client(base_url=app.base_url, cookies={"teamapp_key": app.key}, timeout=90)


def advance(app: TeamApp, seconds: float) -> datetime:
    """Move the app's clock forward; returns the app's new time (UTC)."""
    with http(app) as client:
        response = client.post("/test/clock", data={"seconds": str(seconds)})
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["now"]).astimezone(UTC)


def to_next_segment(app: TeamApp) -> datetime:
    """Move the clock to one second into the next 10-minute segment, so that a few minutes of
    steps that follow stay inside one segment (whose activity meter the screen shows)."""
    now = app_now(app)
    boundary = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0) + SEGMENT
    return advance(app, (boundary - now).total_seconds() + 1)


def app_now(app: TeamApp) -> datetime:
    return advance(app, 0.001)


def main_screen_html(app: TeamApp) -> str:
    with http(app) as client:
        response = client.get("/")
    assert response.status_code == 200, response.text
    return response.text


def advance_until(app: TeamApp, found: Callable[[str], bool], step: float, limit: float, what: str) -> float:
    """Advance in ``step``-second steps until ``found(main screen HTML)``; returns the seconds moved.

    The snapshot instant is random within a segment, so the tests step until it shows rather
    than guess it. The main screen is read from the server right after each step (the step
    returns once the app handled its events), so a short-lived prompt is never stepped over.
    """
    moved = 0.0
    while moved < limit:
        advance(app, step)
        moved += step
        if found(main_screen_html(app)):
            return moved
    raise AssertionError(f"{what} did not happen within {limit:.0f} s of app time")


def logging_is_on(app: TeamApp) -> bool:
    return 'aria-checked="true"' in main_screen_html(app)


def switch_off_quietly(app: TeamApp) -> None:
    if logging_is_on(app):
        with http(app) as client:
            client.post("/logging/toggle", headers={"HX-Request": "true"})
        assert not logging_is_on(app)


def save_preferences(app: TeamApp, **changes: str) -> None:
    form = {**BASELINE_PREFS, **changes}
    form = {k: v for k, v in form.items() if v is not None}
    with http(app) as client:
        response = client.post("/preferences", data=form)
    assert response.status_code == 200 and "Preferences saved." in response.text, response.text[-2000:]


def select_contract(app: TeamApp, title: str) -> None:
    with http(app) as client:
        client.post("/contracts/refresh")
        page = client.get("/contracts/picker").text
        # The row of ``title``: the match may not run on into the next row's form, or the first
        # row's id would be taken whenever ``title`` is further down the list.
        match = re.search(
            r'name="contract_id" value="(\d+)">\s*<button(?:(?!name="contract_id").)*?<strong class="c-title">'
            + re.escape(title)
            + "<",
            page,
            re.S,
        )
        assert match, f"{title!r} is not in the picker:\n{page}"
        response = client.post("/contracts/select", data={"contract_id": match.group(1)})
        assert response.status_code == 200, response.text


# --- the browser ------------------------------------------------------------------------


def open_main_screen(page: Page, app: TeamApp) -> None:
    """Open the app as its window does (the launch URL); sign in as the demo freelancer if needed."""
    if not getattr(page, "_counts_ws_messages", False):
        page.add_init_script(COUNT_WS_MESSAGES)
        page._counts_ws_messages = True
    page.goto(app.launch_url)
    if page.url.startswith(app.url("/signin")):
        demo = app.demo["freelancer"]
        page.get_by_label("E-mail").fill(demo.email)
        page.get_by_label("Password").fill(demo.password)
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(app.url("/"))
    expect(page.locator("#status-line")).to_be_visible()
    connected(page)
    if page.locator("#current-contract").count() == 0:  # a first start: nothing chosen yet
        pick_contract(page, DEMO_CONTRACT)


COUNT_WS_MESSAGES = (
    "document.addEventListener('htmx:wsAfterMessage', () => {"
    " window.__wsMessages = (window.__wsMessages || 0) + 1; });"
    "document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });"
)


def connected(page: Page) -> None:
    """Wait until the page's WebSocket is open, so every later change reaches it."""
    page.wait_for_function("() => window.__wsOpen === true")
    page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-swapping')")


def pick_contract(page: Page, title: str) -> None:
    """Refresh the list, then choose ``title``; returns once both answers are on the page
    (the choice also swaps the memo box, so nothing may be typed there before)."""
    picker = page.locator("#picker")
    with page.expect_response(lambda r: r.url.endswith("/contracts/refresh")):
        picker.get_by_role("button", name="Refresh").click()
    with page.expect_response(lambda r: r.url.endswith("/contracts/select")):
        page.locator("#picker .contract-choice", has_text=title).click()
    expect(page.locator("#current-contract")).to_have_text(title)
    expect(page.locator("#picker")).to_contain_text("selected. Switch logging on when you start.")


def image_loaded(page: Page, selector: str) -> int:
    """The natural width of the image once it has loaded (0 means a broken image)."""
    page.wait_for_function(
        "(sel) => { const img = document.querySelector(sel); return img && img.complete; }", arg=selector
    )
    return page.eval_on_selector(selector, "img => img.naturalWidth")


def minutes_text(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


# --- the app's database, read-only from outside ----------------------------------------


@dataclass
class SegmentRow:
    id: int
    contract_id: int
    start: datetime
    logged_seconds: float
    app_name: str | None
    window_title: str | None
    memo: str | None
    label: str | None
    deleted_at: str | None
    active_minutes: int

    @property
    def billable_minutes(self) -> int:
        return rules.billable_minutes(self.logged_seconds)


@dataclass
class ImageRow:
    id: int
    segment_id: int
    kind: str
    path: str | None
    width: int | None
    height: int | None
    deleted_at: str | None
    taken_at: datetime


def _db(app: TeamApp) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{app.data_dir / 'teamapp.sqlite3'}?mode=ro", uri=True, timeout=10)


def _utc(text: str) -> datetime:
    return from_db(text)


SEGMENTS_SQL = (
    "SELECT s.id, s.contract_id, s.start, s.logged_seconds, s.app_name, s.window_title, s.memo, s.label,"
    " s.deleted_at, (SELECT COUNT(*) FROM capture_minute m WHERE m.segment_id = s.id"
    " AND m.keys + m.clicks + m.scrolls > 0) FROM capture_segment s ORDER BY s.start"
)
IMAGES_SQL = "SELECT id, segment_id, kind, path, width, height, deleted_at, taken_at FROM capture_image ORDER BY id"


def segments(app: TeamApp, contract_id: int | None = None) -> list[SegmentRow]:
    with closing(_db(app)) as db:
        rows = db.execute(SEGMENTS_SQL).fetchall()
    found = [SegmentRow(r[0], r[1], _utc(r[2]), *r[3:]) for r in rows]
    return [s for s in found if contract_id is None or s.contract_id == contract_id]


def images(app: TeamApp, kind: str | None = None) -> list[ImageRow]:
    with closing(_db(app)) as db:
        rows = db.execute(IMAGES_SQL).fetchall()
    found = [ImageRow(*r[:7], taken_at=_utc(r[7])) for r in rows]
    return [i for i in found if kind is None or i.kind == kind]


def segment_of(app: TeamApp, image_id: int) -> SegmentRow:
    image = next(i for i in images(app) if i.id == image_id)
    return next(s for s in segments(app) if s.id == image.segment_id)


def expected_totals(app: TeamApp, contract_id: int, now: datetime, tz: str = "UTC") -> tuple[str, str]:
    """Today (display time zone) and this work week (Monday 00:00 UTC), from the database."""
    local = now.astimezone(ZoneInfo(tz))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    week = rules.week_start(now)
    live = [s for s in segments(app, contract_id) if s.deleted_at is None]
    today = sum(s.billable_minutes for s in live if day <= s.start < day + timedelta(days=1))
    this_week = sum(s.billable_minutes for s in live if week <= s.start < week + timedelta(days=7))
    return minutes_text(today), minutes_text(this_week)


def current_contract_id(app: TeamApp) -> int:
    with closing(_db(app)) as db:
        row = db.execute("SELECT value FROM app_state WHERE key = 'selected_contract_id'").fetchone()
    assert row, "no contract selected"
    return int(row[0])


# --- X: an xterm to type into ----------------------------------------------------------


def xdotool(*args: str) -> str:
    done = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=XDOTOOL_TIMEOUT)
    assert done.returncode == 0, f"xdotool {' '.join(args)} failed: {done.stderr}"
    return done.stdout.strip()


class Xterm:
    """An xterm running ``cat`` (typed text is only echoed), in front, titled ``title``."""

    def __init__(self, title: str):
        self.title = title
        self.proc = subprocess.Popen(
            ["xterm", "-T", title, "-geometry", "100x30+40+40", "-e", "cat"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.window = xdotool("search", "--sync", "--onlyvisible", "--name", f"^{re.escape(title)}$").split()[0]
        self.activate()

    def activate(self, timeout: float = 20.0) -> None:
        """Make the xterm the active window; retried because the window manager may not have
        mapped it yet, and xdotool then fails (BadMatch) instead of waiting."""
        deadline = time.monotonic() + timeout
        active = ""
        while time.monotonic() < deadline:
            subprocess.run(["xdotool", "windowactivate", "--sync", self.window], capture_output=True, timeout=20)
            active = subprocess.run(["xdotool", "getactivewindow"], capture_output=True, text=True, timeout=20).stdout
            if active.strip() == self.window:
                return
            time.sleep(0.1)
        raise AssertionError(f"the xterm {self.window} is not the active window ({active.strip()})")

    def type(self, text: str) -> None:
        self.activate()
        xdotool("type", "--delay", "5", text)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self) -> Xterm:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- the embedded diary, as the demo client ---------------------------------------------


def diary_url(app: TeamApp) -> str:
    match = EMBEDDED_RE.search(app.server.output())
    assert match, "the app did not print its embedded diary's address:\n" + app.server.output()
    return match.group(1)


def hire_demo_freelancer(app: TeamApp, title: str, weekly_limit_hours: int | None) -> int:
    """The demo client creates an hourly contract with the demo freelancer; returns its id."""
    client, freelancer = app.demo["client"], app.demo["freelancer"]
    with httpx.Client(base_url=diary_url(app) + "/api/v1", timeout=30) as api:
        signed_in = api.post("/sessions", json={"email": client.email, "password": client.password})
        assert signed_in.status_code == 201, signed_in.text
        token = signed_in.json()["token"]
        made = api.post(
            "/contracts",
            json={
                "freelancer_email": freelancer.email,
                "title": title,
                "hourly_rate": "30.00",
                "weekly_limit_hours": weekly_limit_hours,
                "activity_labels": ["Build"],
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201, made.text
        api.delete("/sessions/current", headers={"Authorization": f"Bearer {token}"})
    return made.json()["id"]
