"""The diary server's segments as :class:`models.diary_view.SegmentRecord` values.

The shared view-model (``models/diary_view.py``) renders both programs' Work Diary from
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
from datetime import UTC, datetime

from diary_server.diary_models import DiarySegment, DiarySnapshot
from models import rules
from models.diary_view import SegmentRecord


def _naive(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def records_between(contract_id: int, start: datetime, end: datetime, minutes: bool = True) -> list[SegmentRecord]:
    """Billed segments of the contract starting in ``[start, end)``, deleted ones included.

    ``minutes=False`` folds the per-minute counts into the activity level and the sums
    (what the week grid and the export need) instead of carrying ten tuples a segment.
    """
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
            seg.minutes,
            seg.app_name,
            seg.window_title,
            seg.memo,
            seg.label,
            seg.manual,
            seg.deleted_at,
        )
        .where(
            (seg.contract == contract_id)
            & (seg.start >= _naive(start))
            & (seg.start < _naive(end))
            & (seg.billed == True)  # noqa: E712
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
            & (seg.start >= _naive(start))
            & (seg.start < _naive(end))
            & (seg.billed == True)  # noqa: E712
            & snap.deleted_at.is_null()
            & snap.sha256.is_null(False)
        )
    )
    for seg_id, kind, uid in query.fetchall():
        shots[(seg_id, kind)] = uid
    records = []
    for seg_id, uid, t, logged, raw, app, title, memo, label, manual, deleted_at in rows:
        counts, active, sums = _minutes(raw or "[]")
        records.append(
            SegmentRecord(
                uid,
                _start(t) if isinstance(t, str) else _utc(t),
                logged,
                counts if minutes else (),
                app,
                title,
                memo,
                label,
                bool(manual),
                deleted_at is not None,
                shots.get((seg_id, "screen")),
                shots.get((seg_id, "camera")),
                active,
                sums,
            )
        )
    return records


@functools.lru_cache(maxsize=4096)
def _minutes(raw: str) -> tuple[tuple[tuple[int, int, int], ...], int, tuple[int, int, int]]:
    """A segment's ``minutes`` JSON as (counts, active minutes, summed counts), remembered per
    text: the week grid reads 1,008 of them per view and per edit answer, and the same week is
    viewed and edited again and again. (A stored summary column, as the Team app's cache has,
    would spare the first parse too.)"""
    counts = tuple(tuple(c) for c in json.loads(raw))[: rules.MINUTES_PER_SEGMENT]
    active = keys = clicks = scrolls = 0
    for c in counts:  # one pass, not four sums over generators
        keys += c[0]
        clicks += c[1]
        scrolls += c[2]
        if c[0] + c[1] + c[2] > 0:
            active += 1
    return counts, active, (keys, clicks, scrolls)


@functools.lru_cache(maxsize=4096)
def _start(text: str) -> datetime:
    """A start as SQLite returns it (naive UTC text), remembered: a week's 1,008 starts are
    read on every view of it."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _utc(t: datetime) -> datetime:
    """A start as PostgreSQL returns it (a naive UTC datetime)."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
