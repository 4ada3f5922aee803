"""The sync outbox: what is waiting to reach the diary server, and what needs attention.

Rows are written by ``models.segments.enqueue_upload`` in the same transaction as the change
(capture writes through :func:`capture_hook`, edits in ``models/segments.py``); only the
worker removes them, and only after the diary acknowledged the exact state it was sent
(``seq`` unchanged), so nothing is ever dropped.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core import rules
from models.capture_store import CaptureSegment
from models.local import local_db
from models.segments import OUTBOX_SNAPSHOT, enqueue_upload, queue_segment

_ts = CaptureSegment.start.db_value
_dt = CaptureSegment.start.python_value


def capture_hook(review_seconds: Callable[[], int] = lambda: 0):
    """The capture sink's in-transaction hook: every capture write bumps the segment's version
    and queues it to be pushed at the segment's end (a segment still being logged is pushed
    once, not after every minute; a stop, an edit or the next start makes it due at once:
    :func:`release_segments`); a new snapshot is queued to upload once its review window has
    passed (``review_seconds()``: 0 when snapshots are not reviewed) and its segment went."""

    def hook(update, segment_id: int, image_ids: list[int]) -> None:
        now = datetime.now(UTC)  # bookkeeping (created_at) only; never decides anything
        remote, start = local_db.execute_sql(
            "SELECT remote, start FROM capture_segment WHERE id = ?", (segment_id,)
        ).fetchone()
        if remote:
            _take_over(update, segment_id)
        end = _dt(start) + timedelta(seconds=rules.SEGMENT_SECONDS)
        queue_segment(segment_id, now, bump_version=True, not_before=end)
        if not image_ids:
            return
        delay = timedelta(seconds=review_seconds() or 0)
        marks = ",".join("?" * len(image_ids))
        for image_id, image_uuid, taken_at in local_db.execute_sql(
            f"SELECT id, uuid, taken_at FROM capture_image WHERE id IN ({marks}) AND path IS NOT NULL",  # noqa: S608
            image_ids,
        ).fetchall():
            enqueue_upload(OUTBOX_SNAPSHOT, image_uuid, image_id, now, not_before=_dt(taken_at) + delay)

    return hook


def _take_over(update, segment_id: int) -> None:
    """This computer logs a contract and 10 minutes whose row is another computer's segment
    (copied in by the pull): the capture write just added to that row. The row becomes this
    computer's own segment, with only what this computer logged and a new UUID; the other
    computer's copy stays on the diary, which marks the later one a duplicate (not billed)."""
    local_db.execute_sql(
        "UPDATE capture_segment SET uuid = ?, remote = 0, version = 0, logged_seconds = ?, logged_until = ?,"
        " memo = NULL, memo_edited_at = NULL, label = NULL, label_edited_at = NULL, deleted_at = NULL,"
        " duplicate_of = NULL, manual = 0 WHERE id = ?",
        (
            str(uuid_module.uuid4()),
            min(float(rules.SEGMENT_SECONDS), max(0.0, update.add_seconds)),
            _ts(update.logged_until),
            segment_id,
        ),
    )
    if update.snapshot is None:  # the window info was the other computer's
        local_db.execute_sql(
            "UPDATE capture_segment SET app_name = NULL, window_title = NULL WHERE id = ?", (segment_id,)
        )
    local_db.execute_sql("DELETE FROM capture_minute WHERE segment_id = ?", (segment_id,))
    if update.minute_counts:
        local_db.cursor().executemany(
            "INSERT INTO capture_minute (segment_id, minute, keys, clicks, scrolls) VALUES (?, ?, ?, ?, ?)",
            [(segment_id, m, c.keys, c.clicks, c.scrolls) for m, c in sorted(update.minute_counts.items())],
        )


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    uuid: str
    local_id: int
    seq: int
    attempts: int


#: When a snapshot's segment, still waiting for its end, will be pushed ('' when it does not
#: wait): the diary takes a snapshot only once it has the segment, so the snapshot waits too.
_SEGMENT_WAITS = (
    "COALESCE((SELECT s.not_before FROM capture_image i JOIN sync_outbox s"
    " ON s.kind = 'segment' AND s.local_id = i.segment_id AND s.state = 'pending'"
    " WHERE o.kind = 'snapshot' AND i.id = o.local_id), '')"
)
#: When a pending item ``o`` becomes due ('' when it is due whatever the time).
_DUE_AT = f"MAX(COALESCE(o.not_before, ''), COALESCE(o.next_attempt_at, ''), {_SEGMENT_WAITS})"


def due(kind: str, now: datetime, limit: int) -> list[Item]:
    """Pending items of ``kind`` whose review window and retry delay have passed (and, for a
    snapshot, whose segment is not waiting for its end), oldest first."""
    rows = local_db.execute_sql(
        "SELECT o.id, o.kind, o.uuid, o.local_id, o.seq, o.attempts FROM sync_outbox o"  # noqa: S608
        f" WHERE o.state = 'pending' AND o.kind = ? AND {_DUE_AT} <= ? ORDER BY o.id LIMIT ?",
        (kind, _ts(now), limit),
    ).fetchall()
    return [Item(*row) for row in rows]


def _earliest() -> str | None:
    row = local_db.execute_sql(
        f"SELECT MIN({_DUE_AT}) FROM sync_outbox o WHERE o.state = 'pending'"  # noqa: S608
    ).fetchone()
    return row[0] if row else None


def next_due_at(now: datetime) -> datetime | None:
    """When the earliest pending item not due yet becomes due (None: nothing waits)."""
    value = _earliest()
    return _dt(value) if value else None


def earliest_due(now: datetime) -> datetime | None:
    """When the outbox next has work: ``now`` if an item is due, None if nothing is pending."""
    value = _earliest()
    if value is None:
        return None
    return now if value == "" else _dt(value)


def release_segments() -> int:
    """Segments waiting for their end are due now: logging stopped, the app quits or starts."""
    cur = local_db.execute_sql(
        "UPDATE sync_outbox SET not_before = NULL WHERE kind = 'segment' AND not_before IS NOT NULL"
    )
    return cur.rowcount


def done(item: Item) -> bool:
    """The diary has this item's state: remove it unless it changed meanwhile (then it stays)."""
    cur = local_db.execute_sql("DELETE FROM sync_outbox WHERE id = ? AND seq = ?", (item.id, item.seq))
    return cur.rowcount == 1


def done_many(items: list[Item]) -> int:
    """:func:`done` for a whole batch in one statement; returns how many rows left the outbox."""
    if not items:
        return 0
    cur = local_db.cursor()
    cur.executemany("DELETE FROM sync_outbox WHERE id = ? AND seq = ?", [(i.id, i.seq) for i in items])
    return cur.rowcount


def retry_later(item: Item, at: datetime, reason: str) -> None:
    local_db.execute_sql(
        "UPDATE sync_outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ? WHERE id = ?",
        (_ts(at), reason, item.id),
    )


def park(item: Item, code: str, message: str) -> None:
    """Refused by the diary: keep it, with the reason, until the user retries or edits it."""
    local_db.execute_sql(
        "UPDATE sync_outbox SET state = 'attention', attempts = attempts + 1, error_code = ?, error = ?"
        " WHERE id = ? AND seq = ?",
        (code, message, item.id, item.seq),
    )


def retry_all_parked() -> int:
    """The Retry button: every item that needed attention is tried again at once."""
    cur = local_db.execute_sql(
        "UPDATE sync_outbox SET state = 'pending', next_attempt_at = NULL, attempts = 0 WHERE state = 'attention'"
    )
    local_db.execute_sql("UPDATE sync_outbox SET next_attempt_at = NULL WHERE state = 'pending'")
    return cur.rowcount


@dataclass(frozen=True)
class Problem:
    kind: str
    uuid: str
    code: str
    message: str
    segment_start: datetime | None


@dataclass(frozen=True)
class Counts:
    pending: int
    attention: int
    problems: list[Problem]
    #: (lock time, items) of the earliest week whose time still waits and locks within two days
    lock_warning: tuple[datetime, int] | None


LOCK_WARNING = timedelta(days=2)


def counts(now: datetime, max_problems: int = 5) -> Counts:
    pending, attention = local_db.execute_sql(
        "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'attention'), 0) FROM sync_outbox"
    ).fetchone()
    problems = [
        Problem(kind, uuid, code or "", message or "", _dt(start) if start else None)
        for kind, uuid, code, message, start in local_db.execute_sql(
            "SELECT o.kind, o.uuid, o.error_code, o.error, s.start FROM sync_outbox o"
            " LEFT JOIN capture_segment s ON o.kind = 'segment' AND s.id = o.local_id"
            " WHERE o.state = 'attention' ORDER BY o.id LIMIT ?",
            (max_problems,),
        ).fetchall()
    ]
    warning = None
    oldest = local_db.execute_sql(
        "SELECT MIN(s.start) FROM sync_outbox o JOIN capture_segment s ON o.kind = 'segment' AND s.id = o.local_id"
    ).fetchone()[0]
    if oldest:
        lock = rules.week_lock_time(_dt(oldest))
        if now < lock <= now + LOCK_WARNING:
            week = rules.week_start(_dt(oldest))
            waiting = local_db.execute_sql(
                "SELECT COUNT(*) FROM sync_outbox o JOIN capture_segment s ON o.kind = 'segment' AND s.id = o.local_id"
                " WHERE s.start >= ? AND s.start < ?",
                (_ts(week), _ts(week + rules.WEEK)),
            ).fetchone()[0]
            warning = (lock, waiting)
    return Counts(int(pending), int(attention), problems, warning)


def release_snapshot(image_id: int) -> None:
    """The freelancer pressed Keep: upload the snapshot now instead of after the review window
    (and its segment with it, which would otherwise wait for its end)."""
    local_db.execute_sql(
        "UPDATE sync_outbox SET not_before = NULL WHERE state = 'pending' AND ((kind = ? AND local_id = ?)"
        " OR (kind = 'segment' AND local_id = (SELECT segment_id FROM capture_image WHERE id = ?)))",
        (OUTBOX_SNAPSHOT, image_id, image_id),
    )
