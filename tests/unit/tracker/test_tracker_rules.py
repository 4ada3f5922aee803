"""The pure rules behind segments, billing and the work week."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import rules

T = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday


def test_segment_is_aligned_on_ten_utc_minutes():
    t = datetime(2026, 3, 4, 10, 17, 42, 5, tzinfo=UTC)
    assert rules.segment_start(t) == datetime(2026, 3, 4, 10, 10, tzinfo=UTC)
    assert rules.segment_end(t) == datetime(2026, 3, 4, 10, 20, tzinfo=UTC)
    assert rules.minute_index(t) == 7


def test_time_zone_of_the_input_does_not_move_segments():
    ist = timezone(timedelta(hours=5, minutes=30))
    t = datetime(2026, 3, 4, 15, 52, tzinfo=ist)  # 10:22 UTC
    assert rules.segment_start(t) == datetime(2026, 3, 4, 10, 20, tzinfo=UTC)
    assert rules.segment_start(t).utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        rules.segment_start(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (-5, 0), (1, 1), (60, 1), (60.5, 2), (599, 10), (600, 10), (900, 10)]
)
def test_billable_minutes(seconds, minutes):
    assert rules.billable_minutes(seconds) == minutes


def test_activity_level_counts_minutes_with_input():
    assert rules.activity_level([0, 3, 0, 1, 0, 0, 0, 0, 0, 9]) == 3
    assert rules.activity_level([]) == 0
    assert rules.activity_level([1] * 10) == 10


def test_split_by_segment_cuts_at_boundaries():
    pieces = rules.split_by_segment(T + timedelta(minutes=8), T + timedelta(minutes=21))
    assert [(p.segment, p.seconds) for p in pieces] == [
        (T, 120.0),
        (T + timedelta(minutes=10), 600.0),
        (T + timedelta(minutes=20), 60.0),
    ]
    assert rules.split_by_segment(T, T) == []
    assert rules.split_by_segment(T, T - timedelta(seconds=1)) == []


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**5),
)
def test_split_pieces_cover_the_interval_and_stay_in_their_segment(start_s, length_s):
    start = T + timedelta(seconds=start_s, microseconds=start_s % 997)
    end = start + timedelta(seconds=length_s)
    pieces = rules.split_by_segment(start, end)
    assert sum(p.seconds for p in pieces) == pytest.approx(length_s)
    for p in pieces:
        assert p.segment <= p.start < p.end <= p.segment + rules.SEGMENT
        assert 0 < p.seconds <= 600


@given(st.floats(min_value=0, max_value=0.999999), st.integers(min_value=0, max_value=599))
def test_snapshot_instant_lies_in_the_logged_part(u, offset):
    start = T + timedelta(seconds=offset)
    at = rules.snapshot_instant(u, start)
    assert start <= at < T + rules.SEGMENT


def test_work_week_lock_and_review():
    t = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # Wednesday
    assert rules.week_start(t) == datetime(2026, 3, 2, tzinfo=UTC)
    assert rules.week_end(t) == datetime(2026, 3, 9, tzinfo=UTC)
    assert rules.week_lock_time(t) == datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert rules.review_period_end(t) == datetime(2026, 3, 14, tzinfo=UTC)
    assert rules.can_delete_snapshot(t, datetime(2026, 3, 8, 23, 59, 59, tzinfo=UTC))
    assert not rules.can_delete_snapshot(t, datetime(2026, 3, 9, tzinfo=UTC))
    assert rules.memo_editable(t, datetime(2026, 3, 9, 11, 59, tzinfo=UTC))
    assert not rules.memo_editable(t, datetime(2026, 3, 9, 12, 0, tzinfo=UTC))


def test_weekly_limit_and_protection():
    assert rules.minutes_within_weekly_limit(0, 10, None) == 10
    assert rules.minutes_within_weekly_limit(595, 10, 10) == 5
    assert rules.minutes_within_weekly_limit(700, 10, 10) == 0
    ok = dict(manual=False, has_screen_snapshot=True, activity=3, memo="x", label=None, within_weekly_limit=True)
    assert rules.is_protected(**ok)
    assert not rules.is_protected(**{**ok, "manual": True})
    assert not rules.is_protected(**{**ok, "activity": 0})
    assert not rules.is_protected(**{**ok, "memo": "  "})
    assert rules.is_protected(**{**ok, "memo": None, "label": "Coding"})


def test_locked_before_is_last_week_until_monday_noon_then_this_week():
    from datetime import UTC, datetime

    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert rules.locked_before(monday.replace(hour=11, minute=59)) == datetime(2026, 11, 23, tzinfo=UTC)
    assert rules.locked_before(monday.replace(hour=12)) == monday
    assert rules.locked_before(datetime(2026, 12, 6, 23, 59, tzinfo=UTC)) == monday
