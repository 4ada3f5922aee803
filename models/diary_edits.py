"""The Work Diary on the local cache: reading segments as records, and the diary's edits.

Reading: :func:`records_between` turns cache rows into :class:`ui.diary_view.SegmentRecord`
values (plain queries, no per-row ORM objects: a full week is 1,008 segments and 10,080
minute rows; the week grid reads the segments' stored activity summary, not the minutes).

Editing (what ``models/segments.py`` lacks): memo and/or label of a set of segments,
deleting the snapshots of a set of segments, deleting a camera snapshot alone, adding
manual time. Each checks the shared rules first and refuses with a clear message
(:class:`models.segments.EditRefused`) before anything changes; a refused edit changes
nothing, an accepted one is one transaction.

Upload: every change made here is queued for upload to the diary server in the same
transaction, through the sync outbox of ``models/segments.py``: deletions go through
:func:`models.segments.delete_snapshot`, which queues itself; the other edits call
:func:`models.segments.queue_segment` (through :func:`_queue_segment`) and record the edit times
of memo and label (``m0005_sync``), which decide which edit wins against one made on the
diary server. If the sync engineer changes how edits are queued, :func:`_queue_segment` is
the one place to follow.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core import rules
from core.diary import DeletionPlan
from dbkit.fields import from_db
from models import segments as seg_store
from models.capture_store import CaptureImage, CaptureSegment
from models.local import local_db
from models.segments import EditRefused

MAX_MANUAL = rules.WEEK
_ts = CaptureSegment.start.db_value


def _utc(value: str | None) -> datetime | None:
    return CaptureSegment.start.python_value(value)


@dataclass(slots=True)
class _Row:
    """The columns of a selected segment an edit checks (read with one plain query)."""

    id: int
    uuid: str
    start: datetime
    logged_seconds: float
    memo: str | None
    label: str | None
    deleted_at: str | None


def _segments(contract_id: int, ids: Sequence[int]) -> list[_Row]:
    marks = ",".join("?" * len(ids))
    rows = [
        _Row(r[0], r[1], from_db(r[2]), r[3], r[4], r[5], r[6])
        for r in local_db.execute_sql(
            "SELECT id, uuid, start, logged_seconds, memo, label, deleted_at FROM capture_segment"  # noqa: S608
            f" WHERE contract_id = ? AND id IN ({marks}) ORDER BY start",
            (contract_id, *ids),
        )
    ]
    if len(rows) != len(ids):
        raise EditRefused(
            "Some of the selected segments do not exist on this contract any more; reload the Work Diary."
        )
    return rows


def _day(t: datetime) -> str:
    return f"{rules.to_utc(t):%a %d %b}"


# --- the outbox (see the module docstring) -----------------------------------------------


def _queue_segment(segment: CaptureSegment | _Row, now: datetime, bump_version: bool = False) -> None:
    """Queue the segment's current state for upload; call inside the change's transaction.

    ``bump_version`` for changes of logged time (the higher version wins on the diary)."""
    seg_store.queue_segment(segment.id, now, bump_version, segment.uuid)


# --- memo and label ----------------------------------------------------------------------


def set_memo_label(
    contract_id: int,
    labels: Sequence[str],
    ids: Sequence[int],
    memo: str | None,
    label: str | None,
    now: datetime,
) -> int:
    """Set the memo and/or the Activity label of the segments ``ids``.

    ``None`` keeps each segment's own value; ``""`` clears it. Refused (nothing changes)
    when a segment is deleted, belongs elsewhere, or its week is locked for invoicing, or
    the label is not one of the contract's. Returns the number of segments changed.
    """
    if memo is None and label is None:
        raise EditRefused("Type a memo or choose an Activity label to apply to the selection.")
    if memo is not None:
        memo = seg_store.validate_memo(memo)
    if label and label not in labels:
        raise EditRefused(f"“{label}” is not one of this contract's Activity labels.")
    rows = _segments(contract_id, ids)
    for row in rows:
        if row.deleted_at is not None:
            raise EditRefused(
                f"The segment at {_day(row.start)} {rules.to_utc(row.start):%H:%M} UTC was deleted; "
                "deleted time has no memo. Leave it out of the selection."
            )
        if not rules.memo_editable(row.start, now):
            raise EditRefused(
                f"The week of {_day(rules.week_start(row.start))} was locked for invoicing on "
                f"{rules.week_lock_time(row.start):%a %d %b %H:%M} UTC: its memos and labels are read-only."
            )
    # One executemany per kind of change (memo, label, both) instead of an UPDATE per row.
    stamp = _ts(now)
    updates: dict[str, list[tuple]] = {}
    changed_rows = []
    for row in rows:
        new_memo = memo is not None and (row.memo or "") != memo
        new_label = label is not None and (row.label or "") != label
        if new_memo and new_label:
            updates.setdefault("memo = ?, memo_edited_at = ?, label = ?, label_edited_at = ?", []).append(
                (memo or None, stamp, label or None, stamp, stamp, row.id)
            )
        elif new_memo:
            updates.setdefault("memo = ?, memo_edited_at = ?", []).append((memo or None, stamp, stamp, row.id))
        elif new_label:
            updates.setdefault("label = ?, label_edited_at = ?", []).append((label or None, stamp, stamp, row.id))
        else:
            continue
        changed_rows.append(row)
    with local_db.atomic():
        cursor = local_db.cursor()
        for sets, args in updates.items():
            cursor.executemany(f"UPDATE capture_segment SET {sets}, updated_at = ? WHERE id = ?", args)  # noqa: S608
        for row in changed_rows:
            _queue_segment(row, now)
    return len(changed_rows)


# --- deletions ---------------------------------------------------------------------------


def plan_deletion(contract_id: int, ids: Sequence[int], now: datetime) -> DeletionPlan:
    """Check a deletion without doing it; refuses as :func:`delete_snapshots` would."""
    rows = _segments(contract_id, ids)
    for row in rows:
        if row.deleted_at is not None:
            raise EditRefused(
                f"The segment at {_day(row.start)} {rules.to_utc(row.start):%H:%M} UTC is already deleted."
            )
        if not rules.can_delete_snapshot(row.start, now):
            raise EditRefused(
                f"The work week of {_day(rules.week_start(row.start))} ended on "
                f"{_day(rules.week_end(row.start) - rules.MINUTE)} 23:59 UTC: its snapshots can no longer be deleted."
            )
    shots = (
        CaptureImage.select()
        .where(
            CaptureImage.segment.in_([r.id for r in rows])
            & (CaptureImage.kind == "screen")
            & CaptureImage.deleted_at.is_null()
            & CaptureImage.path.is_null(False)
        )
        .count()
    )
    minutes = sum(rules.billable_minutes(r.logged_seconds) for r in rows)
    return DeletionPlan([r.id for r in rows], len(rows), minutes, shots)


def delete_snapshots(contract_id: int, ids: Sequence[int], data_dir: Path, now: datetime) -> DeletionPlan:
    """Delete the snapshots of the segments ``ids`` and with them the segments' time.

    A segment's screen and camera snapshots both go (through
    :func:`models.segments.delete_snapshot`, which removes the files and queues the
    upload); a segment without a screen snapshot (manual time, a snapshot missed during a
    suspend) is marked deleted directly. All or nothing: one refused segment refuses all.
    """
    plan = plan_deletion(contract_id, ids, now)
    with local_db.atomic():
        for seg_id in plan.ids:
            images = list(
                CaptureImage.select().where((CaptureImage.segment == seg_id) & CaptureImage.deleted_at.is_null())
            )
            # Camera first: deleting the screen snapshot marks the segment deleted.
            for image in sorted(images, key=lambda i: i.kind != "camera"):
                seg_store.delete_snapshot(image.id, data_dir, now)
            row = CaptureSegment.get_by_id(seg_id)
            if row.deleted_at is None:
                CaptureSegment.update(deleted_at=now, updated_at=now).where(CaptureSegment.id == seg_id).execute()
                _queue_segment(row, now)
    return plan


def delete_camera_snapshot(contract_id: int, segment_id: int, data_dir: Path, now: datetime) -> None:
    """Delete a segment's camera snapshot alone; its time stays."""
    (row,) = _segments(contract_id, [segment_id])
    image = (
        CaptureImage.select()
        .where((CaptureImage.segment == row.id) & (CaptureImage.kind == "camera") & CaptureImage.deleted_at.is_null())
        .first()
    )
    if image is None:
        raise EditRefused("This segment has no camera snapshot to delete.")
    seg_store.delete_snapshot(image.id, data_dir, now)


# --- manual time -------------------------------------------------------------------------


def add_manual_time(
    contract_id: int,
    *,
    allowed: bool,
    labels: Sequence[str],
    start: datetime,
    end: datetime,
    memo: str,
    label: str | None,
    now: datetime,
) -> list[int]:
    """Add manual time ``[start, end)`` with a memo; returns the new segment ids.

    Billed, shown as manual, never protected. Refused unless the contract allows manual
    time, the range is non-empty, lies before the segment the app may be logging now,
    within one work week that has not ended, and overlaps no logged time (of any contract).
    """
    if not allowed:
        raise EditRefused("This contract does not allow manual time. Ask your client to allow it.")
    start, end = rules.to_utc(start), rules.to_utc(end)
    if end <= start:
        raise EditRefused("The end of the manual time must be after its start.")
    if end - start > MAX_MANUAL:
        raise EditRefused("Add at most a week of manual time at once.")
    if end > rules.segment_start(now):
        raise EditRefused(
            "Manual time must end before the current 10-minute segment (the app may be logging it); "
            "add future time when it is past."
        )
    if rules.week_start(start) != rules.week_start(end - rules.MINUTE):
        raise EditRefused("Manual time must lie within one work week (Monday 00:00 to Sunday 23:59 UTC).")
    if not rules.can_delete_snapshot(start, now):
        raise EditRefused("That work week has ended: manual time can only be added until its end (Sunday 23:59 UTC).")
    memo = seg_store.validate_memo(memo or "")
    if not memo:
        raise EditRefused("Manual time needs a memo saying what you worked on.")
    if label and label not in labels:
        raise EditRefused(f"“{label}” is not one of this contract's Activity labels.")
    pieces = rules.split_by_segment(start, end)
    taken = list(
        CaptureSegment.select(CaptureSegment.start, CaptureSegment.contract_id).where(
            CaptureSegment.start.in_([p.segment for p in pieces])
            & CaptureSegment.deleted_at.is_null()
            & (CaptureSegment.logged_seconds > 0)
        )
    )
    if taken:
        first = min(t.start for t in taken)
        raise EditRefused(
            f"Time is already logged at {_day(first)} {rules.to_utc(first):%H:%M} UTC; "
            "manual time cannot overlap logged time. Choose another range."
        )
    deleted = (
        CaptureSegment.select(CaptureSegment.start)
        .where(
            (CaptureSegment.contract_id == contract_id)
            & CaptureSegment.start.in_([p.segment for p in pieces])
            & CaptureSegment.deleted_at.is_null(False)
        )
        .order_by(CaptureSegment.start)
        .first()
    )
    if deleted is not None:
        raise EditRefused(
            f"You deleted the segment at {_day(deleted.start)} {rules.to_utc(deleted.start):%H:%M} UTC; "
            "deleted time cannot be logged again as manual time."
        )
    ids = []
    with local_db.atomic():
        for p in pieces:
            existing = CaptureSegment.get_or_none(
                (CaptureSegment.contract_id == contract_id) & (CaptureSegment.start == p.segment)
            )
            if existing is not None:  # an empty row (idle time discarded): it becomes the manual time
                CaptureSegment.update(
                    logged_seconds=min(p.seconds, rules.SEGMENT_SECONDS),
                    logged_until=p.end,
                    manual=True,
                    memo=memo,
                    label=label or None,
                    app_name=None,
                    window_title=None,
                    updated_at=now,
                ).where(CaptureSegment.id == existing.id).execute()
                row = CaptureSegment.get_by_id(existing.id)
                _queue_segment(row, now, bump_version=True)
            else:
                row = CaptureSegment.create(
                    uuid=str(uuid.uuid4()),
                    contract_id=contract_id,
                    start=p.segment,
                    logged_seconds=min(p.seconds, rules.SEGMENT_SECONDS),
                    logged_until=p.end,
                    memo=memo,
                    label=label or None,
                    manual=True,
                    updated_at=now,
                )
                _queue_segment(row, now)
            ids.append(row.id)
    return ids


def labels_of(contract) -> list[str]:
    """The Activity labels of a local contract copy (its JSON list), tolerant of bad JSON."""
    try:
        labels = json.loads(contract.activity_labels or "[]")
    except ValueError:
        return []
    return [str(x) for x in labels]
