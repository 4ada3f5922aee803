"""The diary server's segments as :class:`models.diary_view.SegmentRecord` values.

The shared view-model (``models/diary_view.py``) renders both programs' Work Diary from
these records; this module is the diary server's side of that contract: two queries per
range (segments, then their live snapshots), tuples rather than ORM objects, since a full
week is 1,008 segments. Only billed segments are shown: a second computer's copy of the same
10 minutes is kept unbilled (``duplicate_of``) and would double the time on the page.
Record ids are the segments' UUIDs, which the edit functions of ``sync_service`` take.
"""

from __future__ import annotations

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
    rows = list(
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
        .tuples()
    )
    if not rows:
        return []
    shots: dict[tuple[int, str], str] = {}
    snap = DiarySnapshot
    query = (
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
        .tuples()
    )
    for seg_id, kind, uid in query:
        shots[(seg_id, kind)] = uid
    records = []
    per_segment = rules.MINUTES_PER_SEGMENT
    for seg_id, uid, t, logged, raw, app, title, memo, label, manual, deleted_at in rows:
        counts = [tuple(c) for c in json.loads(raw or "[]")][:per_segment]
        active = sum(1 for c in counts if c[0] + c[1] + c[2] > 0)
        sums = (sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts))
        records.append(
            SegmentRecord(
                id=uid,
                start=t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC),
                logged_seconds=logged,
                minutes=tuple(counts) if minutes else (),
                app_name=app,
                window_title=title,
                memo=memo,
                label=label,
                manual=bool(manual),
                deleted=deleted_at is not None,
                screen_id=shots.get((seg_id, "screen")),
                camera_id=shots.get((seg_id, "camera")),
                activity=active,
                sums=sums,
            )
        )
    return records
