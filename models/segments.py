"""Reading and editing logged segments in the local cache (totals, memos, deletions, idle time).

The capture engine writes segments through its sink; this module is what the UI does with
them afterwards. Deletions and edits keep the rows (marked), and every edit writes its sync
outbox row (:func:`enqueue_upload`) in the same transaction, so the sync worker tells the
diary server about it exactly once, whatever happens in between.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peewee

from core import rules, text_rules
from core.refusal import Refused
from models.capture_store import CaptureImage, CaptureMinute, CaptureSegment, UTCDateTimeField
from models.local import BaseModel, local_db

MEMO_MAX_LENGTH = 1000


class EditRefused(Refused, ValueError):
    """An edit the rules do not allow (e.g. deleting after the work week ended)."""

    code = "edit_refused"


billable = rules.billable_minutes


def _live(contract_id: int):
    return (CaptureSegment.contract_id == contract_id) & CaptureSegment.deleted_at.is_null()


def billable_minutes_between(contract_id: int, start: datetime, end: datetime) -> int:
    # Plain SQL: the main screen sums three ranges per render, and peewee's query building
    # cost more than SQLite's work.
    field = CaptureSegment.start
    rows = local_db.execute_sql(
        "SELECT logged_seconds FROM capture_segment"
        " WHERE contract_id = ? AND deleted_at IS NULL AND start >= ? AND start < ?",
        (contract_id, field.db_value(start), field.db_value(end)),
    )
    return sum(billable(seconds) for (seconds,) in rows)


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

    @property
    def week_billed(self) -> int:
        """This week's minutes within the limit: what is shown as "of 40:00" and billed."""
        return rules.minutes_within_weekly_limit(0, self.week_minutes, self.limit_hours)

    @property
    def week_over(self) -> int:
        """Minutes logged past the limit (the minute in which logging stopped): not billed."""
        return self.week_minutes - self.week_billed

    @property
    def today_billed(self) -> int:
        """Today's minutes without those past the limit: they are the week's last ones, so
        they were logged today if any were (the screen never shows today above the week)."""
        return max(0, self.today_minutes - self.week_over)


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
    # Raw SQL, like the sums above: it is read on every render of the main screen.
    image = next(
        iter(
            CaptureImage.raw(
                "SELECT i.* FROM capture_image i JOIN capture_segment s ON s.id = i.segment_id"
                " WHERE s.contract_id = ? AND i.kind = 'screen' AND i.path IS NOT NULL"
                " AND i.deleted_at IS NULL AND s.deleted_at IS NULL"
                " ORDER BY i.taken_at DESC LIMIT 1",
                contract_id,
            )
        ),
        None,
    )
    if image is None:
        return None
    seg = next(iter(CaptureSegment.raw("SELECT * FROM capture_segment WHERE id = ?", image.segment_id)))
    image.segment = seg
    return seg, image


def image_by_id(image_id: int) -> CaptureImage | None:
    return CaptureImage.get_or_none(CaptureImage.id == image_id)


def duplicate_count() -> int:
    """Live segments the diary keeps unbilled because another computer of the account logged
    the same 10 minutes (``duplicate_of``, a column the model leaves out): the status line
    counts them."""
    sql = "SELECT COUNT(*) FROM capture_segment WHERE duplicate_of IS NOT NULL AND deleted_at IS NULL"
    return local_db.execute_sql(sql).fetchone()[0]


# --- the sync outbox (written here so every edit and its upload row share a transaction) ----


class SyncOutbox(BaseModel):
    """One row per segment or snapshot whose state waits to reach the diary (migration
    ``m0005_sync``). Written by :func:`enqueue_upload` and read by ``sync/outbox.py`` with
    plain SQL (the sync round); declared so the schema test compares it with its migration."""

    kind = peewee.CharField(max_length=10)  # OUTBOX_SEGMENT or OUTBOX_SNAPSHOT
    uuid = peewee.CharField(max_length=36)
    local_id = peewee.IntegerField()
    seq = peewee.IntegerField(default=1)
    not_before = UTCDateTimeField(null=True)
    next_attempt_at = UTCDateTimeField(null=True)
    attempts = peewee.IntegerField(default=0)
    state = peewee.CharField(max_length=10, default="pending")  # pending or attention
    error_code = peewee.TextField(null=True)
    error = peewee.TextField(null=True)
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "sync_outbox"
        indexes = ((("kind", "uuid"), True),)


OUTBOX_SEGMENT = "segment"
OUTBOX_SNAPSHOT = "snapshot"


def enqueue_upload(kind: str, uuid: str, local_id: int, now: datetime, not_before: datetime | None = None) -> None:
    """Queue (or re-queue) the upload of a segment's or snapshot's current state.

    One row per object: a later change bumps ``seq`` (so an upload in flight does not clear
    it) and gives an item that needed attention a fresh start. Call inside the change's
    transaction. ``not_before``: not to be sent before then. Without it a segment is due now
    (an edit does not wait for the end of the segment), a snapshot keeps its review window.
    """
    ts = CaptureSegment.start.db_value
    local_db.execute_sql(
        "INSERT INTO sync_outbox (kind, uuid, local_id, seq, not_before, created_at) VALUES (?, ?, ?, 1, ?, ?)"
        " ON CONFLICT (kind, uuid) DO UPDATE SET seq = sync_outbox.seq + 1,"
        "  attempts = CASE WHEN sync_outbox.state = 'attention' THEN 0 ELSE sync_outbox.attempts END,"
        "  next_attempt_at = CASE WHEN sync_outbox.state = 'attention' THEN NULL"
        "   ELSE sync_outbox.next_attempt_at END,"
        "  state = 'pending', error_code = NULL, error = NULL,"
        "  not_before = CASE WHEN excluded.not_before IS NULL AND excluded.kind = ? THEN sync_outbox.not_before"
        "   ELSE excluded.not_before END",
        (kind, uuid, local_id, ts(not_before) if not_before else None, ts(now), OUTBOX_SNAPSHOT),
    )


def queue_segment(
    segment_id: int,
    now: datetime,
    bump_version: bool = False,
    uuid: str | None = None,
    not_before: datetime | None = None,
) -> None:
    """Queue the segment's current state for upload (capture writes, edits, deletions); call
    inside the change's transaction. ``bump_version`` for changes of logged time (the higher
    version wins on the diary); ``uuid`` when the caller has it (one query less);
    ``not_before`` when it may wait (a capture write: the segment's end), else it is due now."""
    if bump_version:
        local_db.execute_sql("UPDATE capture_segment SET version = version + 1 WHERE id = ?", (segment_id,))
    if uuid is None:
        row = local_db.execute_sql("SELECT uuid FROM capture_segment WHERE id = ?", (segment_id,)).fetchone()
        if row is None:
            return
        uuid = row[0]
    enqueue_upload(OUTBOX_SEGMENT, uuid, segment_id, now, not_before)


#: app_state key (plus ":<diary URL>") of the diary's lock boundary, written by each sync pull.
LOCKED_BEFORE_KEY = "sync_locked_before"


def diary_locked_before() -> datetime | None:
    """Time before this instant is locked for invoicing, as the signed-in diary said in its last
    changes-feed answer (None before the first pull). The diary's word counts even when this
    computer's clock says the week is still open."""
    from models.local import Account, get_state

    account = Account.select(Account.diary_url).first()
    value = get_state(f"{LOCKED_BEFORE_KEY}:{account.diary_url}") if account else None
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def validate_memo(memo: str) -> str:
    memo = memo.strip()
    if len(memo) > MEMO_MAX_LENGTH:
        raise EditRefused(
            f"Memos are at most {MEMO_MAX_LENGTH} characters; this one has {len(memo)}. Shorten it and save again."
        )
    found = text_rules.bad_character(memo, multiline=True)
    if found:
        raise EditRefused(f"The memo contains a control character ({found}) that cannot be saved; remove it.")
    return memo


def apply_memo(contract_id: int, from_segment: datetime, memo: str | None, label: str | None, now: datetime) -> int:
    """Set memo and label on the segment starting ``from_segment`` and any later ones.

    Returns how many rows changed. Segments whose week is locked are left alone.
    """
    if not rules.memo_editable(from_segment, now):
        return 0
    locked = diary_locked_before()
    if locked is not None and from_segment < locked:
        return 0  # the diary says this week is locked (its clock may be ahead of this computer's)
    memo, label = memo or None, label or None
    changed = 0
    with local_db.atomic():
        rows = CaptureSegment.select(
            CaptureSegment.id, CaptureSegment.uuid, CaptureSegment.memo, CaptureSegment.label
        ).where((CaptureSegment.contract_id == contract_id) & (CaptureSegment.start >= from_segment))
        ts = CaptureSegment.start.db_value
        for row in list(rows):
            # Edit times (columns of m0005_sync) say which edit wins against the diary's.
            sets, args = ["updated_at = ?"], [ts(now)]
            if row.memo != memo:
                sets.append("memo = ?, memo_edited_at = ?")
                args += [memo, ts(now)]
            if row.label != label:
                sets.append("label = ?, label_edited_at = ?")
                args += [label, ts(now)]
            sql = f"UPDATE capture_segment SET {', '.join(sets)} WHERE id = ?"  # noqa: S608 (fixed column names)
            local_db.execute_sql(sql, (*args, row.id))
            if len(sets) > 1:
                enqueue_upload(OUTBOX_SEGMENT, row.uuid, row.id, now)
            changed += 1
    return changed


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
        enqueue_upload(OUTBOX_SNAPSHOT, image.uuid, image.id, now, not_before=now)  # a tombstone waits for nothing
        if image.kind == "screen":
            CaptureSegment.update(deleted_at=now, updated_at=now).where(CaptureSegment.id == seg.id).execute()
            enqueue_upload(OUTBOX_SEGMENT, seg.uuid, seg.id, now)
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
            queue_segment(seg.id, now, bump_version=True)
    return int(removed)
