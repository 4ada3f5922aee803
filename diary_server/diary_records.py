"""The diary server's segments as :class:`ui.diary_view.SegmentRecord` values.

The shared view-model (``ui/diary_view/``) renders both programs' Work Diary from
these records; this module is the diary server's side of that contract: two queries per
range (segments, then their live snapshots), raw rows rather than ORM objects or peewee's
converted tuples, since a full week is 1,008 segments. Only billed segments are shown: a
second computer's copy of the same 10 minutes is kept unbilled (``duplicate_of``) and would
double the time on the page.
Record ids are the segments' UUIDs, which the edit functions of ``sync_service`` take.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

import peewee

from core import rules
from core.diary import SegmentRecord
from dbkit.fields import from_db, is_postgres_db, to_db
from diary_server.diary_models import DiarySegment, DiarySnapshot

#: The week grid's columns: no per-minute counts, window info or sums (see grid_records_between).
_GRID_SQL = (
    "SELECT s.uuid, s.start, s.logged_seconds, s.memo, s.label, s.manual, s.deleted_at, s.active_minutes, sc.uuid"
    " FROM diary_segments s"
    " LEFT JOIN diary_snapshots sc ON sc.segment_id = s.id AND sc.kind = 'screen'"
    "  AND sc.deleted_at IS NULL AND sc.sha256 IS NOT NULL"
    " WHERE s.contract_id = {p} AND s.start >= {p} AND s.start < {p} AND s.billed"
    " ORDER BY s.start"
)


def grid_records_between(contract_id: int, start: datetime, end: datetime) -> list[SegmentRecord]:
    """Billed segments of the contract starting in ``[start, end)`` with only what the week
    grid and its totals use (the rules need the screen snapshot, activity, memo and label),
    in one query over the stored summary (migration m0008): the grid and every edit answer
    read a whole week. ``app_name``, ``window_title``, ``sums`` and ``camera_id`` are left
    empty; the export and the report read :func:`records_between`."""
    db = DiarySegment._meta.database
    pg = is_postgres_db(db)
    rows = db.execute_sql(_GRID_SQL.format(p=db.param), (contract_id, to_db(start, pg), to_db(end, pg))).fetchall()
    # Positional (SegmentRecord's field order): keywords cost more, times 1,008. A segment
    # with two live screen snapshots (nothing stops a second upload) comes twice: once is shown.
    seen: set[str] = set()
    return [
        SegmentRecord(
            r[0],
            from_db(r[1]),
            r[2],
            (),
            None,
            None,
            r[3],
            r[4],
            bool(r[5]),
            r[6] is not None,
            r[8],
            None,
            r[7],
        )
        for r in rows
        if not (r[0] in seen or seen.add(r[0]))
    ]


def records_between(
    contract_id: int,
    start: datetime,
    end: datetime,
    minutes: bool = True,
    minutes_for: tuple[datetime, datetime] | None = None,
) -> list[SegmentRecord]:
    """Billed segments of the contract starting in ``[start, end)``, deleted ones included.

    ``minutes=False`` gives the stored activity level and sums (what the export and the
    report need) instead of the ten per-minute counts (the day view's meters);
    ``minutes_for`` gives the counts only of segments starting in that range (a day view
    reads its whole week for the weekly limit but shows one day's meters).
    """
    low, high = minutes_for if minutes_for is not None else (start, end)
    seg = DiarySegment
    db = seg._meta.database
    # Raw rows (db.execute): peewee's per-column python_value conversion of 11 columns x
    # 1,008 rows cost more than the query; only the start needs converting.
    rows = db.execute(
        seg.select(
            seg.id,
            seg.uuid,
            seg.start,
            seg.logged_seconds,
            seg.minutes if minutes else peewee.SQL("NULL"),
            seg.active_minutes,
            seg.sum_keys,
            seg.sum_clicks,
            seg.sum_scrolls,
            seg.app_name,
            seg.window_title,
            seg.memo,
            seg.label,
            seg.manual,
            seg.deleted_at,
        )
        .where(
            (seg.contract == contract_id) & (seg.start >= start) & (seg.start < end) & (seg.billed == True)  # noqa: E712
        )
        .order_by(seg.start)
    ).fetchall()
    if not rows:
        return []
    shots: dict[tuple[int, str], str] = {}
    snap = DiarySnapshot
    query = db.execute(
        snap.select(snap.segment, snap.kind, snap.uuid)
        .join(seg)
        .where(
            (seg.contract == contract_id)
            & (seg.start >= start)
            & (seg.start < end)
            & (seg.billed == True)  # noqa: E712
            & snap.deleted_at.is_null()
            & snap.sha256.is_null(False)
        )
    )
    for seg_id, kind, uid in query.fetchall():
        shots[(seg_id, kind)] = uid
    records = []
    for seg_id, uid, t, logged, raw, active, keys, clicks, scrolls, app, title, memo, label, manual, deleted_at in rows:
        t = from_db(t)
        records.append(
            SegmentRecord(
                uid,
                t,
                logged,
                _minutes(raw) if minutes and low <= t < high else (),
                app,
                title,
                memo,
                label,
                bool(manual),
                deleted_at is not None,
                shots.get((seg_id, "screen")),
                shots.get((seg_id, "camera")),
                active,
                (keys, clicks, scrolls),
            )
        )
    return records


@functools.lru_cache(maxsize=4096)
def _minutes(raw: str) -> tuple[tuple[int, int, int], ...]:
    """A segment's ``minutes`` JSON as ten count tuples, remembered per text: a day is viewed
    again and again, and most idle minutes read alike."""
    return tuple(tuple(c) for c in json.loads(raw))[: rules.MINUTES_PER_SEGMENT]
