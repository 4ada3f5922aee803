"""A user's life: the disk holding the data dir fills up while logging.

The data dir is a size-limited tmpfs (root only); a filler file takes every free byte, as a
download or a build would. The app must say so in plain words, keep every minute (first in
its reserve, then in memory), lose nothing to a crash once space is back, and stop logging
rather than hold unsaved time in memory for hours.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.logging_helpers import advance, open_main_screen
from tests.life.conftest import Life
from tests.life.test_day_two import switch
from tests.support.small_disk import fill, small_disk

START = datetime(2026, 11, 24, 9, 0, 1, tzinfo=UTC)  # a Tuesday


def logged_seconds(life: Life) -> float:
    return life.local_rows("SELECT COALESCE(SUM(logged_seconds), 0) FROM capture_segment")[0][0]


def status_line(page: Page):
    page.reload()
    return page.locator("#status-line")


@pytest.fixture
def full_disk_life(life: Life):
    with small_disk(life.data_dir, 64):
        yield life
        for app in life.launches:  # stop before the tmpfs goes
            if app.server.running():
                life.quit()


def test_a_full_disk_is_said_plainly_and_loses_no_minute(full_disk_life: Life, page: Page, screenshot):
    life = full_disk_life
    life.start(START)
    open_main_screen(page, life.app)
    switch(page, on=True)
    advance(life.app, 2 * 60)
    assert logged_seconds(life) >= 110

    # Full: the minutes go into the reserve, and the status line says the disk is full.
    filler = fill(life.data_dir)
    advance(life.app, 2 * 60)
    expect(status_line(page)).to_contain_text(
        f"Disk full: the last minutes went into the app's reserve space; free space on {life.data_dir}"
    )
    assert logged_seconds(life) >= 230  # on disk, not only in memory

    # The reserve is used up too: the minutes wait in memory, and the status line counts them.
    filler_2 = fill(life.data_dir, "filler-2.bin")
    stored = logged_seconds(life)
    advance(life.app, 3 * 60)
    expect(status_line(page)).to_contain_text(
        f"Disk full: 3 minutes are waiting in memory; free space on {life.data_dir}"
    )
    screenshot(page, "life-disk-full")
    assert logged_seconds(life) == stored
    # The waiting minutes still count on screen: logged, just not stored yet.
    expect(page.locator("#today-total")).to_have_text("0:07")  # 2 + 2 + 3 minutes

    # The user frees space: the waiting minutes are written at the next minute, then a crash
    # loses nothing but the minute it happened in.
    filler.unlink()
    filler_2.unlink()
    advance(life.app, 60)
    expect(status_line(page)).not_to_contain_text("Disk full")
    assert logged_seconds(life) >= stored + 4 * 60 - 1
    assert (life.data_dir / "disk-reserve.bin").stat().st_size > 0  # made again
    before_crash = logged_seconds(life)
    life.crash()
    assert logged_seconds(life) == before_crash


def test_a_disk_that_stays_full_stops_logging_with_the_reason(full_disk_life: Life, page: Page, screenshot):
    life = full_disk_life
    life.start(START)
    open_main_screen(page, life.app)
    switch(page, on=True)
    advance(life.app, 60)
    fill(life.data_dir)
    (life.data_dir / "disk-reserve.bin").unlink()  # no reserve left: straight to memory
    fill(life.data_dir, "filler-2.bin")
    advance(life.app, 31 * 60)
    page.reload()
    expect(page.locator("#logging-switch")).to_have_attribute("aria-checked", "false")
    expect(page.get_by_text("Logging stopped: the disk is full and 30 minutes could not be saved.")).to_be_visible()
    expect(page.get_by_text(f"Free space on {life.data_dir}, then switch logging on again.")).to_be_visible()
    screenshot(page, "life-disk-stayed-full")
    life.quit()  # still a clean stop, on a disk where nothing can be written
