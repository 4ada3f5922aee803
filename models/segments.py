"""Reading and editing logged segments in the local cache (totals, memos, deletions, idle time).

The capture engine writes segments through its sink; this module is what the UI does with
them afterwards. Deletions and edits keep the rows (marked), so the sync worker can tell
the diary server about them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models import rules
from models.capture_store import CaptureImage, CaptureMinute, CaptureSegment
from models.local import local_db

MEMO_MAX_LENGTH = 1000


class EditRefused(ValueError):
    """An edit the rules do not allow (e.g. deleting after the work week ended)."""


billable = rules.billable_minutes


def _live(contract_id: int):
    return (CaptureSegment.contract_id == contract_id) & CaptureSegment.deleted_at.is_null()


def billable_minutes_between(contract_id: int, start: datetime, end: datetime) -> int:
    rows = CaptureSegment.select(CaptureSegment.logged_seconds).where(
        _live(contract_id) & (CaptureSegment.start >= start) & (CaptureSegment.start < end)
    )
    return sum(billable(r.logged_seconds) for r in rows)


@dataclass(frozen=True)
class Totals:
    today_minutes: int
    week_minutes: int
    limit_hours: int | None

    @staticmethod
    def text(minutes: int) -> str:
        return f"{minutes // 60}:{minutes % 60:02d}"

    @property
    def limit_minutes(self) -> int | None:
        return self.limit_hours * 60 if self.limit_hours else None

    @property
    def limit_ratio(self) -> float | None:
        return None if not self.limit_minutes else min(1.0, self.week_minutes / self.limit_minutes)


def totals(contract_id: int, now: datetime, limit_hours: int | None, tz=UTC) -> Totals:
    """Today (in the display time zone) and this work week (UTC, as billed)."""
    local_now = now.astimezone(tz)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    week = rules.week_start(now)
    return Totals(
        billable_minutes_between(contract_id, day_start, day_start + timedelta(days=1)),
        billable_minutes_between(contract_id, week, week + rules.WEEK),
        limit_hours,
    )


def segment(contract_id: int, start: datetime) -> CaptureSegment | None:
    return CaptureSegment.get_or_none((CaptureSegment.contract_id == contract_id) & (CaptureSegment.start == start))


def minute_counts(segment_row: CaptureSegment) -> list[tuple[int, int, int]]:
    counts = [(0, 0, 0)] * rules.MINUTES_PER_SEGMENT
    for m in CaptureMinute.select().where(CaptureMinute.segment == segment_row.id):
        counts[m.minute] = (m.keys, m.clicks, m.scrolls)
    return counts


def screen_image(segment_id: int) -> CaptureImage | None:
    return (
        CaptureImage.select()
        .where((CaptureImage.segment == segment_id) & (CaptureImage.kind == "screen"))
        .order_by(CaptureImage.id.desc())
        .first()
    )


def last_snapshot(contract_id: int) -> tuple[CaptureSegment, CaptureImage] | None:
    row = (
        CaptureImage.select(CaptureImage, CaptureSegment)
        .join(CaptureSegment)
        .where(
            (CaptureSegment.contract_id == contract_id)
            & (CaptureImage.kind == "screen")
            & CaptureImage.path.is_null(False)
            & CaptureImage.deleted_at.is_null()
            & CaptureSegment.deleted_at.is_null()
        )
        .order_by(CaptureImage.taken_at.desc())
        .first()
    )
    return (row.segment, row) if row else None


def image_by_id(image_id: int) -> CaptureImage | None:
    return CaptureImage.get_or_none(CaptureImage.id == image_id)


def validate_memo(memo: str) -> str:
    memo = memo.strip()
    if len(memo) > MEMO_MAX_LENGTH:
        raise EditRefused(
            f"Memos are at most {MEMO_MAX_LENGTH} characters; this one has {len(memo)}. Shorten it and save again."
        )
    return memo


def apply_memo(contract_id: int, from_segment: datetime, memo: str | None, label: str | None, now: datetime) -> int:
    """Set memo and label on the segment starting ``from_segment`` and any later ones.

    Returns how many rows changed. Segments whose week is locked are left alone.
    """
    if not rules.memo_editable(from_segment, now):
        return 0
    return (
        CaptureSegment.update(memo=memo or None, label=label or None, updated_at=now)
        .where((CaptureSegment.contract_id == contract_id) & (CaptureSegment.start >= from_segment))
        .execute()
    )


def delete_snapshot(image_id: int, data_dir: Path, now: datetime) -> CaptureSegment:
    """Delete a snapshot. A screen snapshot takes its segment's time and activity with it
    (not billed); a camera snapshot goes alone. Files are removed at once; rows are marked
    so the deletion can be uploaded. Refused after the segment's work week ended."""
    image = CaptureImage.get_or_none(CaptureImage.id == image_id)
    if image is None:
        raise EditRefused("That snapshot does not exist any more.")
    seg = CaptureSegment.get_by_id(image.segment_id)
    if not rules.can_delete_snapshot(seg.start, now):
        raise EditRefused("The work week of this snapshot has ended; it can no longer be deleted.")
    with local_db.atomic():
        for path in (image.path, image.thumb_path):
            if path:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(data_dir / path)
        CaptureImage.update(deleted_at=now, path=None, thumb_path=None).where(CaptureImage.id == image.id).execute()
        if image.kind == "screen":
            CaptureSegment.update(deleted_at=now, updated_at=now).where(CaptureSegment.id == seg.id).execute()
    return CaptureSegment.get_by_id(seg.id)


def discard_interval(contract_id: int, start: datetime, end: datetime, now: datetime) -> int:
    """Remove the logged time in ``[start, end)`` (idle time the user discarded).

    Idle minutes had no input, so only seconds are taken away; returns the seconds removed.
    """
    removed = 0.0
    with local_db.atomic():
        for piece in rules.split_by_segment(start, end):
            seg = segment(contract_id, piece.segment)
            if seg is None:
                continue
            take = min(seg.logged_seconds, piece.seconds)
            if take <= 0:
                continue
            removed += take
            CaptureSegment.update(logged_seconds=seg.logged_seconds - take, updated_at=now).where(
                CaptureSegment.id == seg.id
            ).execute()
    return int(removed)
