"""The status line counts the live segments the diary keeps unbilled because another computer
of the account logged the same 10 minutes (``duplicate_of``); deleted ones are not counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import segments
from models.capture_store import SqliteCaptureSink
from models.local import local_db, open_local_database
from sync.status import sync_status
from tracker.ports import SegmentUpdate

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_live_duplicates_are_counted_on_the_status_line(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    try:
        sink = SqliteCaptureSink(tmp_path / "data")
        for k in range(3):
            start = T0 + timedelta(minutes=10 * k)
            sink.record(SegmentUpdate(1, start, 60, start + timedelta(minutes=1)))
        assert segments.duplicate_count() == 0
        first, second, _third = (r[0] for r in local_db.execute_sql("SELECT id FROM capture_segment ORDER BY start"))
        local_db.execute_sql("UPDATE capture_segment SET duplicate_of = 'other' WHERE id IN (?, ?)", (first, second))
        assert segments.duplicate_count() == 2
        local_db.execute_sql("UPDATE capture_segment SET deleted_at = updated_at WHERE id = ?", (first,))
        assert segments.duplicate_count() == 1
        assert sync_status(T0 + timedelta(hours=1)).duplicates == 1
    finally:
        db.close()
