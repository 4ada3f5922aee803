"""The Team app's Work Diary records read from its cache: one query per view (a week is 1,008
segments), with the per-minute counts only where a view shows them. The edits are in
:mod:`models.diary_edits`."""

from __future__ import annotations

from datetime import datetime

from core import rules
from core.diary import SegmentRecord
from dbkit.fields import from_db
from models.capture_store import CaptureSegment
from models.local import local_db

_ts = CaptureSegment.start.db_value


def _utc(value: str | None) -> datetime | None:
    return CaptureSegment.start.python_value(value)


# --- reading -----------------------------------------------------------------------------


#: One row per segment: its activity level and summed counts are the stored summary of its
#: minute rows (``m0008``, kept by triggers), not an aggregate of 10,080 minute rows a week;
#: its live snapshot images by the (segment, kind) unique index (one of each kind at most).
_RECORDS_SQL = (
    "SELECT s.id, s.start, s.logged_seconds, s.app_name, s.window_title, s.memo, s.label, s.manual, s.deleted_at,"
    " s.active_minutes, s.sum_keys, s.sum_clicks, s.sum_scrolls, sc.id, cam.id"
    " FROM capture_segment s"
    " LEFT JOIN capture_image sc ON sc.segment_id = s.id AND sc.kind = 'screen'"
    "  AND sc.path IS NOT NULL AND sc.deleted_at IS NULL"
    " LEFT JOIN capture_image cam ON cam.segment_id = s.id AND cam.kind = 'camera'"
    "  AND cam.path IS NOT NULL AND cam.deleted_at IS NULL"
    " WHERE s.contract_id = ? AND s.start >= ? AND s.start < ? ORDER BY s.start"
)


def records_between(
    contract_id: int,
    start: datetime,
    end: datetime,
    minutes: bool = True,
    minutes_for: tuple[datetime, datetime] | None = None,
) -> list[SegmentRecord]:
    """Segments of ``contract_id`` starting in ``[start, end)``, deleted ones included.

    ``minutes=False`` leaves out the per-minute counts (the segment's stored summary gives
    the activity level and the sums): what the week grid and the export need, without
    reading the 10,080 minute rows of a week. ``minutes_for`` reads them only for segments
    starting in that range: a day view needs its week for the weekly limit, but shows the
    minutes of one day.
    """
    bounds = (contract_id, _ts(start), _ts(end))
    rows = local_db.execute_sql(_RECORDS_SQL, bounds).fetchall()
    if not rows:
        return []
    per_minute: dict[int, list[tuple[int, int, int]]] = {}
    if minutes:
        if minutes_for is not None:
            bounds = (contract_id, _ts(max(start, minutes_for[0])), _ts(min(end, minutes_for[1])))
        for seg_id, minute, keys, clicks, scrolls in local_db.execute_sql(
            "SELECT m.segment_id, m.minute, m.keys, m.clicks, m.scrolls FROM capture_minute m"
            " JOIN capture_segment s ON s.id = m.segment_id"
            " WHERE s.contract_id = ? AND s.start >= ? AND s.start < ?",
            bounds,
        ):
            counts = per_minute.setdefault(seg_id, [(0, 0, 0)] * rules.MINUTES_PER_SEGMENT)
            if 0 <= minute < rules.MINUTES_PER_SEGMENT:
                counts[minute] = (keys, clicks, scrolls)
    no_minutes = ()
    return [
        SegmentRecord(
            r[0],
            from_db(r[1]),
            r[2],
            tuple(per_minute[r[0]]) if r[0] in per_minute else no_minutes,
            r[3],
            r[4],
            r[5],
            r[6],
            bool(r[7]),
            r[8] is not None,
            r[13],
            r[14],
            r[9],
            (r[10], r[11], r[12]),
        )
        for r in rows
    ]


#: What the week grid, its totals and an edit's answer show of a segment: no window info,
#: no summed counts, no camera shot (a third less to read and build for 1,008 segments).
_GRID_SQL = (
    "SELECT s.id, s.start, s.logged_seconds, s.memo, s.label, s.manual, s.deleted_at, s.active_minutes, sc.id"
    " FROM capture_segment s"
    " LEFT JOIN capture_image sc ON sc.segment_id = s.id AND sc.kind = 'screen'"
    "  AND sc.path IS NOT NULL AND sc.deleted_at IS NULL"
    " WHERE s.contract_id = ? AND s.start >= ? AND s.start < ? ORDER BY s.start"
)


def grid_records_between(contract_id: int, start: datetime, end: datetime) -> list[SegmentRecord]:
    """Segments of ``contract_id`` starting in ``[start, end)`` with only what the week grid
    and its totals use (the rules need the screen snapshot, activity, memo and label);
    ``app_name``, ``window_title``, ``sums`` and ``camera_id`` are left empty, so the CSV
    export and the report read :func:`records_between` instead."""
    rows = local_db.execute_sql(_GRID_SQL, (contract_id, _ts(start), _ts(end))).fetchall()
    # Positional (SegmentRecord's field order): keywords cost more, times 1,008.
    return [
        SegmentRecord(
            r[0], from_db(r[1]), r[2], (), None, None, r[3], r[4], bool(r[5]), r[6] is not None, r[8], None, r[7]
        )
        for r in rows
    ]
