"""The stored activity summary of a segment (m0008) equals the aggregate of its minute rows.

The Work Diary's week grid, totals and export read ``capture_segment.active_minutes`` and
``sum_keys/sum_clicks/sum_scrolls`` instead of aggregating ``capture_minute``; a summary that
drifted from the minutes would show wrong activity levels and protected time, so every
writer of minute rows is checked: the capture sink (new and added-to minutes), the sync
pull's copy of another computer's segment (and its later growth), the take-over of such a
row when this computer logs the same slot, a deleted segment, and the migration of rows
written before m0008.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dbkit.database import open_sqlite
from dbkit.migrate import migrate
from models.capture_store import CaptureSegment, SqliteCaptureSink
from models.local import local_db, local_migrations, open_local_database
from models.remote_segments import apply_remote_segments
from sync import outbox
from tracker.ports import Counts, SegmentUpdate

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)

_AGGREGATE = (
    "SELECT s.id, s.active_minutes, s.sum_keys, s.sum_clicks, s.sum_scrolls,"
    " (SELECT COUNT(*) FILTER (WHERE m.keys + m.clicks + m.scrolls > 0) FROM capture_minute m"
    "   WHERE m.segment_id = s.id),"
    " (SELECT COALESCE(SUM(m.keys), 0) FROM capture_minute m WHERE m.segment_id = s.id),"
    " (SELECT COALESCE(SUM(m.clicks), 0) FROM capture_minute m WHERE m.segment_id = s.id),"
    " (SELECT COALESCE(SUM(m.scrolls), 0) FROM capture_minute m WHERE m.segment_id = s.id)"
    " FROM capture_segment s ORDER BY s.id"
)


def summaries(db=local_db) -> dict[int, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per segment id: (stored summary, aggregate of its minute rows)."""
    return {r[0]: (tuple(r[1:5]), tuple(r[5:9])) for r in db.execute_sql(_AGGREGATE).fetchall()}


def assert_consistent(db=local_db) -> dict[int, tuple[int, ...]]:
    """Every segment's summary equals its minutes' aggregate; returns the summaries."""
    rows = summaries(db)
    assert rows, "no segments to check"
    for seg_id, (stored, aggregate) in rows.items():
        assert stored == aggregate, (seg_id, stored, aggregate)
    return {seg_id: stored for seg_id, (stored, _aggregate) in rows.items()}


@pytest.fixture
def cache(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    yield tmp_path
    db.close()


def test_capture_writes_keep_the_summary(cache):
    sink = SqliteCaptureSink(cache / "data")
    sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=1), {0: Counts(3, 1, 0)}))
    # The same minute again (the upsert adds to it), a new minute, and an idle minute.
    sink.record(
        SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=2), {0: Counts(1, 0, 2), 1: Counts(5, 0, 0), 2: Counts()})
    )
    sink.record(SegmentUpdate(1, T0 + timedelta(minutes=10), 60, T0 + timedelta(minutes=11), {0: Counts(0, 0, 7)}))
    sink.record(SegmentUpdate(1, T0 + timedelta(minutes=20), 60, T0 + timedelta(minutes=21)))  # no counts
    stored = assert_consistent()
    assert sorted(stored.values()) == [(0, 0, 0, 0), (1, 0, 0, 7), (2, 9, 1, 2)]


def test_an_idle_minute_that_gets_input_becomes_active(cache):
    sink = SqliteCaptureSink(cache / "data")
    sink.record(SegmentUpdate(1, T0, 30, T0 + timedelta(seconds=30), {4: Counts()}))
    assert list(assert_consistent().values()) == [(0, 0, 0, 0)]
    sink.record(SegmentUpdate(1, T0, 30, T0 + timedelta(minutes=1), {4: Counts(0, 2, 0)}))
    assert list(assert_consistent().values()) == [(1, 0, 2, 0)]


def _remote(uuid: str, start: datetime, version: int, minutes: list[list[int]]) -> dict:
    return {
        "uuid": uuid,
        "contract_id": 7,
        "start": start.isoformat(),
        "logged_seconds": 600,
        "version": version,
        "minutes": minutes,
        "billed": True,
        "app_name": "firefox",
        "window_title": "docs",
    }


def test_remote_segments_copied_in_by_the_pull_keep_the_summary(cache):
    uuid = "0b0b0b0b-0000-4000-8000-000000000001"
    assert apply_remote_segments([_remote(uuid, T0, 1, [[4, 0, 0], [0, 0, 0], [1, 2, 3]])], import_missing=True) == 1
    assert list(assert_consistent().values()) == [(2, 5, 2, 3)]
    # The other computer logged more there: its newer capture data replaces the minutes.
    assert apply_remote_segments([_remote(uuid, T0, 2, [[0, 0, 0], [9, 0, 0]] + [[1, 1, 1]] * 8)]) == 1
    assert list(assert_consistent().values()) == [(9, 17, 8, 8)]


def test_taking_over_a_remote_row_keeps_only_this_computers_minutes(cache):
    uuid = "0b0b0b0b-0000-4000-8000-000000000002"
    apply_remote_segments([_remote(uuid, T0, 1, [[4, 0, 0]] * 10)], import_missing=True)
    sink = SqliteCaptureSink(cache / "data", in_transaction=outbox.capture_hook())
    sink.record(SegmentUpdate(7, T0, 60, T0 + timedelta(minutes=1), {0: Counts(1, 1, 0)}))
    assert list(assert_consistent().values()) == [(1, 1, 1, 0)]


def test_deleting_a_segment_with_minutes_is_not_blocked_by_the_triggers(cache):
    sink = SqliteCaptureSink(cache / "data")
    sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=1), {0: Counts(3, 1, 0)}))
    sink.record(SegmentUpdate(1, T0 + timedelta(minutes=10), 60, T0 + timedelta(minutes=11), {3: Counts(1, 0, 0)}))
    local_db.execute_sql("DELETE FROM capture_segment WHERE start = ?", (CaptureSegment.start.db_value(T0),))
    assert local_db.execute_sql("SELECT COUNT(*) FROM capture_segment").fetchone() == (1,)
    assert local_db.execute_sql("SELECT COUNT(*) FROM capture_minute").fetchone() == (1,)  # the cascade ran
    assert list(assert_consistent().values()) == [(1, 1, 0, 0)]


def test_the_migration_fills_the_summary_of_rows_written_before_it(tmp_path):
    migrations = local_migrations()
    number = next(m.number for m in migrations if m.name.endswith("segment_activity_summary"))
    db = open_sqlite(tmp_path / "old.sqlite3")
    migrate(db, migrations, target=number - 1)
    for seg_id, start in ((1, "2026-03-04 09:00:00"), (2, "2026-03-04 09:10:00"), (3, "2026-03-04 09:20:00")):
        db.execute_sql(
            "INSERT INTO capture_segment (id, uuid, contract_id, start, logged_seconds, logged_until, updated_at)"
            " VALUES (?, ?, 1, ?, 600, ?, ?)",
            (seg_id, f"u{seg_id}", start, start, start),
        )
    minutes = [(1, m, m, m % 2, 0) for m in range(10)] + [(2, 3, 0, 0, 0), (2, 4, 0, 0, 5)]  # 3: no minutes
    db.cursor().executemany(
        "INSERT INTO capture_minute (segment_id, minute, keys, clicks, scrolls) VALUES (?, ?, ?, ?, ?)", minutes
    )
    migrate(db, migrations)
    stored = assert_consistent(db)
    assert stored == {1: (9, 45, 5, 0), 2: (1, 0, 0, 5), 3: (0, 0, 0, 0)}
    db.close()
