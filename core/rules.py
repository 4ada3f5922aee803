"""Pure domain rules of the Work Diary: segments, activity, billing, the work week.

Both programs (the Team app and the diary server) import this module, so it imports
nothing of ours and has no side effects: every function takes the instant it reasons
about as an argument instead of reading a clock. All instants are timezone-aware and are
normalised to UTC first, so a change of the user's time zone can never move a segment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.protection import SegmentFacts, verdict

#: Length of a billing segment. Segments are aligned on multiples of this in UTC.
SEGMENT = timedelta(minutes=10)
SEGMENT_SECONDS = 600
MINUTES_PER_SEGMENT = 10
MINUTE = timedelta(minutes=1)
WEEK = timedelta(days=7)


def to_utc(t: datetime) -> datetime:
    """Return ``t`` in UTC; naive datetimes are refused, since their zone is a guess."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: pass a timezone-aware instant (UTC)")
    return t.astimezone(UTC)


def segment_start(t: datetime) -> datetime:
    """Start of the 10-minute UTC segment ``[hh:m0, hh:m0+10)`` that contains ``t``."""
    t = to_utc(t)
    return t.replace(minute=t.minute - t.minute % 10, second=0, microsecond=0)


def segment_end(t: datetime) -> datetime:
    """End (exclusive) of the segment containing ``t``."""
    return segment_start(t) + SEGMENT


def minute_index(t: datetime) -> int:
    """Which minute (0-9) of its segment ``t`` falls in."""
    return to_utc(t).minute % 10


def next_minute(t: datetime) -> datetime:
    """The first whole UTC minute strictly after ``t``."""
    t = to_utc(t)
    return t.replace(second=0, microsecond=0) + MINUTE


@dataclass(frozen=True)
class Piece:
    """The part ``[start, end)`` of an interval that lies in the segment ``segment``."""

    segment: datetime
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def split_by_segment(start: datetime, end: datetime) -> list[Piece]:
    """Cut ``[start, end)`` at segment boundaries; empty or reversed intervals give ``[]``.

    Logged time is always credited through this, so no segment can receive time from
    outside its own ten minutes, whatever the caller's wake-up jitter.
    """
    start, end = to_utc(start), to_utc(end)
    pieces: list[Piece] = []
    while start < end:
        seg = segment_start(start)
        stop = min(end, seg + SEGMENT)
        pieces.append(Piece(seg, start, stop))
        start = stop
    return pieces


def billable_minutes(logged_seconds: float) -> int:
    """Billable minutes of a segment: ceil(logged seconds / 60), at most 10."""
    if logged_seconds <= 0:
        return 0
    return min(MINUTES_PER_SEGMENT, math.ceil(logged_seconds / 60 - 1e-9))


def activity_level(events_per_minute: Sequence[int] | Iterable[int]) -> int:
    """Activity level (0-10): the number of minutes that had at least one input event."""
    return min(MINUTES_PER_SEGMENT, sum(1 for n in events_per_minute if n > 0))


def minute_summary(minutes: Iterable[Sequence[int]]) -> tuple[int, int, int, int]:
    """A segment's ``(active minutes, keys, clicks, scrolls)`` from its per-minute
    ``(keys, clicks, scrolls)`` counts (the first ten minutes): what the week grid, its totals
    and the export show, stored beside the minutes so a view need not add them up again."""
    active = keys = clicks = scrolls = 0
    for i, (k, c, s) in enumerate(minutes):
        if i == MINUTES_PER_SEGMENT:
            break
        keys += k
        clicks += c
        scrolls += s
        if k + c + s > 0:
            active += 1
    return active, keys, clicks, scrolls


def clamp_logged_seconds(seconds: float) -> float:
    """Logged seconds of one segment can never be negative nor exceed 600."""
    return max(0.0, min(float(SEGMENT_SECONDS), seconds))


def snapshot_instant(rng_uniform: float, logging_from: datetime) -> datetime:
    """The snapshot moment for a segment whose logging starts at ``logging_from``.

    ``rng_uniform`` is a draw from [0, 1) (the caller owns the random source, so tests can
    fix it). The instant is uniform over ``[logging_from, segment end)``: the part of the
    segment in which logging is on if it stays on; if logging stops earlier, the caller
    takes the snapshot at the stop instead.
    """
    if not 0.0 <= rng_uniform < 1.0:
        raise ValueError("rng_uniform must be in [0, 1)")
    logging_from = to_utc(logging_from)
    span = segment_end(logging_from) - logging_from
    return logging_from + span * rng_uniform


# --- work week -------------------------------------------------------------------------


def week_start(t: datetime) -> datetime:
    """Monday 00:00 UTC of the work week containing ``t``."""
    t = to_utc(t)
    monday = t - timedelta(days=t.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def week_end(t: datetime) -> datetime:
    """End (exclusive) of the work week containing ``t``: the next Monday 00:00 UTC."""
    return week_start(t) + WEEK


def week_lock_time(t: datetime) -> datetime:
    """When the week containing ``t`` locks for invoicing: Monday 12:00 UTC after it ends."""
    return week_end(t) + timedelta(hours=12)


def review_period_end(t: datetime) -> datetime:
    """End (exclusive) of the client's review period for the week of ``t``: the Saturday
    00:00 UTC after the lock, i.e. through Friday 23:59:59."""
    return week_end(t) + timedelta(days=5)


def can_delete_snapshot(segment: datetime, now: datetime) -> bool:
    """A snapshot (and with a screen snapshot, its segment's time) may be deleted until the
    end of the segment's work week."""
    return to_utc(now) < week_end(segment)


def memo_editable(segment: datetime, now: datetime) -> bool:
    """Memos and labels stay editable until the week is locked for invoicing."""
    return to_utc(now) < week_lock_time(segment)


def locked_before(now: datetime) -> datetime:
    """Time before this instant lies in weeks locked for invoicing: the start of the oldest
    work week still open (last week until Monday 12:00, then this week)."""
    this_week = week_start(now)
    return this_week if to_utc(now) >= week_lock_time(this_week - WEEK) else this_week - WEEK


def minutes_within_weekly_limit(billed_before: int, segment_minutes: int, weekly_limit_hours: float | None) -> int:
    """How many of a segment's minutes are billed given the minutes already billed this week.

    Minutes past the weekly limit are not billed; ``None`` means no limit.
    """
    if weekly_limit_hours is None:
        return segment_minutes
    room = max(0, int(weekly_limit_hours * 60) - billed_before)
    return min(segment_minutes, room)


def is_protected(
    *,
    manual: bool,
    has_screen_snapshot: bool,
    activity: int,
    memo: str | None,
    label: str | None,
    within_weekly_limit: bool,
) -> bool:
    """Hourly Protection for one billed segment (see DESIGN.md); the reasons are
    :func:`core.protection.verdict`'s."""
    facts = SegmentFacts(manual, has_screen_snapshot, activity, memo, label, within_weekly_limit)
    return verdict(facts).qualifies
