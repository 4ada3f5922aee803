"""The weekly cycle's calendar and money (core/invoicing.py): edges of weeks, months and
years, a leap day, the DST switches of a user's zone (which must not move any UTC rule), and
the rounding that every invoice states."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core import invoicing as inv


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "issued", "review_end", "released"),
    [
        # An ordinary week (Mon 2026-11-23 .. Sun 11-29).
        (utc(2026, 11, 25, 15), utc(2026, 11, 30, 12), utc(2026, 12, 5), utc(2026, 12, 9)),
        # The week across a month end, its first and last second.
        (utc(2026, 11, 30), utc(2026, 12, 7, 12), utc(2026, 12, 12), utc(2026, 12, 16)),
        (utc(2026, 12, 6, 23, 59, 59), utc(2026, 12, 7, 12), utc(2026, 12, 12), utc(2026, 12, 16)),
        # Across New Year (Mon 2026-12-28 .. Sun 2027-01-03).
        (utc(2027, 1, 1, 9), utc(2027, 1, 4, 12), utc(2027, 1, 9), utc(2027, 1, 13)),
        # A leap day (Mon 2028-02-28 .. Sun 03-05).
        (utc(2028, 2, 29, 12), utc(2028, 3, 6, 12), utc(2028, 3, 11), utc(2028, 3, 15)),
    ],
)
def test_calendar_of_a_week(instant, issued, review_end, released):
    assert inv.issue_time(instant) == issued
    assert inv.review_end(instant) == review_end and review_end.weekday() == 5  # Saturday 00:00
    assert inv.release_time(instant) == released and released.weekday() == 2  # a Wednesday


def test_the_week_a_second_before_and_at_monday_midnight():
    assert inv.issue_time(utc(2026, 12, 6, 23, 59, 59)) == utc(2026, 12, 7, 12)
    assert inv.issue_time(utc(2026, 12, 7)) == utc(2026, 12, 14, 12)


def test_user_zone_never_moves_the_utc_rules():
    """The same instants written in Berlin or New York time, on DST switch weekends."""
    for zone in ("Europe/Berlin", "America/New_York", "Australia/Sydney"):
        z = ZoneInfo(zone)
        for instant in (utc(2026, 3, 29, 1, 30), utc(2026, 10, 25, 0, 30), utc(2026, 11, 1, 6, 30)):
            local = instant.astimezone(z)
            assert inv.issue_time(local) == inv.issue_time(instant)
            assert inv.review_end(local) == inv.review_end(instant)


def test_weeks_due_catches_up_every_missed_week_and_nothing_twice():
    first = utc(2026, 11, 2, 9)
    # Monday 11:59: last week is not due yet.
    assert inv.weeks_due(None, first, utc(2026, 11, 9, 11, 59, 59)) == []
    assert inv.weeks_due(None, first, utc(2026, 11, 9, 12)) == [utc(2026, 11, 2)]
    # Down for three Mondays: three weeks at once, oldest first.
    assert inv.weeks_due(utc(2026, 11, 2), first, utc(2026, 11, 30, 13)) == [
        utc(2026, 11, 9),
        utc(2026, 11, 16),
        utc(2026, 11, 23),
    ]
    assert inv.weeks_due(utc(2026, 11, 23), first, utc(2026, 11, 30, 13)) == []


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", [utc(2026, 11, 29, 18), utc(2026, 11, 30, 8)]),
        ("Europe/Berlin", [utc(2026, 11, 29, 17), utc(2026, 11, 30, 7)]),
        # UTC-8: Monday 08:00 is 16:00 UTC, after the lock: only Sunday evening.
        ("America/Los_Angeles", [utc(2026, 11, 30, 2)]),
        ("Asia/Tokyo", [utc(2026, 11, 29, 9), utc(2026, 11, 29, 23)]),
    ],
)
def test_reminders_come_before_the_lock_in_the_users_evening_and_morning(zone, expected):
    assert inv.reminder_times(utc(2026, 11, 25), ZoneInfo(zone)) == expected


def test_reminders_on_the_weekend_clocks_change():
    # Europe leaves summer time on Sunday 2026-10-25: Sunday 18:00 is then UTC+1.
    assert inv.reminder_times(utc(2026, 10, 21), ZoneInfo("Europe/Berlin")) == [
        utc(2026, 10, 25, 17),
        utc(2026, 10, 26, 7),
    ]
    # ... and enters it on Sunday 2026-03-29: 18:00 is UTC+2.
    assert inv.reminder_times(utc(2026, 3, 25), ZoneInfo("Europe/Berlin")) == [
        utc(2026, 3, 29, 16),
        utc(2026, 3, 30, 6),
    ]


@pytest.mark.parametrize(
    ("minutes", "rate", "expected"),
    [
        (60, "42.50", "42.50"),
        (1, "30", "0.50"),
        (1, "0.01", "0.00"),  # 0.000166.. rounds down
        (30, "0.01", "0.01"),  # exactly 0.005: half up
        (10, "33.33", "5.56"),  # 5.555: half up
        (7, "19.99", "2.33"),  # 2.33216..
        (2400, "150", "6000.00"),
    ],
)
def test_amount_rounds_half_up_to_the_cent(minutes, rate, expected):
    assert inv.amount(minutes, Decimal(rate)) == Decimal(expected)


def test_invoice_lines_are_rounded_each_and_the_total_is_their_sum():
    d = date(2026, 11, 23)
    draft = inv.draft_invoice(
        utc(2026, 11, 25),
        Decimal("33.33"),
        "USD",
        logged={d: 10, date(2026, 11, 24): 10, date(2026, 11, 25): 0},
        manual={d: 10},
    )
    assert [(line.day, line.kind, line.minutes, line.amount) for line in draft.lines] == [
        (d, "logged", 10, Decimal("5.56")),
        (d, "manual", 10, Decimal("5.56")),
        (date(2026, 11, 24), "logged", 10, Decimal("5.56")),
    ]
    assert draft.total == Decimal("16.68")  # not 33.33 * 0.5 = 16.665 -> 16.67
    assert draft.minutes == 30 and draft.week == utc(2026, 11, 23)
    assert inv.draft_invoice(utc(2026, 11, 25), Decimal("10"), "USD", {d: 0}, {}) is None


@pytest.mark.parametrize("text", ["0", "-5", "1.005", "abc", "NaN", "Infinity", ""])
def test_a_bad_rate_is_refused(text):
    with pytest.raises(ValueError):
        inv.parse_rate(text)


def test_invoice_numbers():
    assert inv.invoice_number(12, 2026, 1) == "C12-2026-0001"
    assert inv.parse_rate(" 42.5 ") == Decimal("42.5")
