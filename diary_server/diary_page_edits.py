"""Edits made on the diary server's Work Diary pages, applied through ``sync_service``.

Every change goes through the public functions of :mod:`diary_server.sync_service`
(:func:`~diary_server.sync_service.edit_segments` for memos and labels,
:func:`~diary_server.sync_service.push` for deletions), so it obeys the same server-side
rules as a Team app's upload and enters the changes feed the Team app pulls. This module
adds what a page needs around them: the form's input checked first, and a whole selection
refused with one clear message (nothing changes): each edit is one transaction, so a refusal
half-way (a lock reached between the check and the write) rolls everything back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from core import rules
from core.diary import DeletionPlan
from diary_server import sync_service
from diary_server.contracts import active_labels
from diary_server.diary_models import DiarySegment, DiarySnapshot
from diary_server.models import Contract, User, diary_db
from ui import diary_store
from ui.diary_store import Refused

#: A refused edit (``status`` 409 a rule, 403 not this party's, 422 bad input; ``message``
#: for people): the shared diary blueprint's own refusal, so the pages answer it as is.
PageRefusal = Refused


def _uuid(value: str) -> str:
    value = value.lower()
    if not sync_service.UUID_RE.match(value):
        raise PageRefusal(422, f"“{value[:40]}” is not a segment of this diary.")
    return value


def parse_ids(raw: Sequence[str] | str) -> list[str]:
    """Segment UUIDs from a form (repeated fields or one comma-separated value)."""
    return diary_store.parse_ids(raw, _uuid)


def _segments(contract: Contract, ids: Sequence[str]) -> list[DiarySegment]:
    rows = list(
        DiarySegment.select()
        .where(
            (DiarySegment.contract == contract.id) & DiarySegment.uuid.in_(list(ids)) & (DiarySegment.billed == True)  # noqa: E712
        )
        .order_by(DiarySegment.start)
    )
    if len(rows) != len(ids):
        raise PageRefusal(422, "Some of the selected segments are not in this contract's diary; reload the page.")
    return rows


# --- memo and label ----------------------------------------------------------------------


def set_memo_label(
    user: User, contract: Contract, ids: Sequence[str], memo: str | None, label: str | None, now: datetime
) -> sync_service.BulkEdit:
    """Set the memo (the freelancer only) and/or the Activity label of segments ``ids``.

    ``None`` keeps each segment's own value, ``""`` clears it. Returns which changed, and
    which kept a later edit made elsewhere.
    """
    if memo is None and label is None:
        raise PageRefusal(422, "Type a memo or choose an Activity label to apply to the selection.")
    if memo is not None:
        if user.id != contract.freelancer_id:
            raise PageRefusal(403, "Only the freelancer edits memos; you can set Activity labels.")
        memo = memo.strip()
        if len(memo) > sync_service.MAX_MEMO:
            raise PageRefusal(422, f"Keep the memo under {sync_service.MAX_MEMO} characters.")
    if label and label not in active_labels(contract):
        raise PageRefusal(422, f"“{label[:60]}” is not one of this contract's Activity labels.")
    try:
        return sync_service.edit_segments(user, contract, list(ids), now, memo=memo, label=label)
    except sync_service.SyncError as exc:
        raise PageRefusal(exc.status, exc.message) from None


def _item(row: DiarySegment, **changes) -> dict:
    """A segment as the push protocol carries it, at its stored version (so its logged time
    and counts stay as they are), with ``changes`` applied."""
    item = {
        "uuid": row.uuid,
        "contract_id": row.contract_id,
        "start": row.start,
        "version": row.version,
        "logged_seconds": row.logged_seconds,
        "minutes": json.loads(row.minutes or "[]"),
        "app_name": row.app_name,
        "window_title": row.window_title,
        "manual": row.manual,
        "memo": row.memo,
        "memo_edited_at": row.memo_edited_at,
        "label": row.label,
        "label_edited_at": row.label_edited_at,
        "deleted_at": row.deleted_at,
    }
    item.update(changes)
    return item


# --- deletions ---------------------------------------------------------------------------


def _check_deletable(user: User, contract: Contract, rows: list[DiarySegment], now: datetime) -> None:
    if user.id != contract.freelancer_id:
        raise PageRefusal(403, "Only the freelancer deletes snapshots.")
    for row in rows:
        if row.deleted_at is not None:
            raise PageRefusal(409, f"The segment at {sync_service.when_utc(row.start)} is already deleted.")
        if not rules.can_delete_snapshot(row.start, now):
            end = rules.week_end(row.start) - rules.MINUTE
            raise PageRefusal(
                409,
                f"The work week of {rules.week_start(row.start):%a %d %b} ended on "
                f"{end:%a %d %b} 23:59 UTC: its snapshots can no longer be deleted.",
            )


def _live_snapshots(rows: list[DiarySegment], kinds: tuple[str, ...]) -> list[DiarySnapshot]:
    return list(
        DiarySnapshot.select().where(
            DiarySnapshot.segment.in_([r.id for r in rows])
            & DiarySnapshot.kind.in_(list(kinds))
            & DiarySnapshot.deleted_at.is_null()
        )
    )


def plan_deletion(user: User, contract: Contract, ids: Sequence[str], now: datetime) -> DeletionPlan:
    """Check a deletion without doing it; refuses as :func:`delete_snapshots` would."""
    rows = _segments(contract, ids)
    _check_deletable(user, contract, rows, now)
    shots = sum(1 for s in _live_snapshots(rows, ("screen",)) if s.sha256)
    minutes = sum(rules.billable_minutes(r.logged_seconds) for r in rows)
    return DeletionPlan([r.uuid for r in rows], len(rows), minutes, shots)


def _push_all(user: User, segments: list[dict], tombstones: list[dict], now: datetime) -> None:
    """One :func:`sync_service.push`; any refused item refuses the whole edit."""
    result = sync_service.push(user, segments, tombstones, now)
    refused = [r for r in result["results"] + result["snapshot_results"] if r["status"] == "refused"]
    if refused:
        code = refused[0]["code"]
        raise PageRefusal(409 if code in ("week_ended", "week_locked") else 422, refused[0]["message"])


def delete_snapshots(user: User, contract: Contract, ids: Sequence[str], now: datetime) -> DeletionPlan:
    """Delete the snapshots of segments ``ids`` and with them the segments' time (all or
    nothing), as the Team app's upload of the same deletion would."""
    with diary_db.atomic():
        plan = plan_deletion(user, contract, ids, now)
        rows = _segments(contract, plan.ids)
        by_id = {r.id: r for r in rows}
        items = [_item(r, deleted_at=now) for r in rows]
        tombstones = [
            {"uuid": s.uuid, "segment_uuid": by_id[s.segment_id].uuid, "kind": s.kind, "deleted_at": now}
            for s in _live_snapshots(rows, ("screen", "camera"))
        ]
        _push_all(user, items, tombstones, now)
    return plan


def delete_camera_snapshot(user: User, contract: Contract, segment_id: str, now: datetime) -> None:
    """Delete a segment's camera snapshot alone; its time stays."""
    with diary_db.atomic():
        rows = _segments(contract, [segment_id])
        _check_deletable(user, contract, rows, now)
        cams = _live_snapshots(rows, ("camera",))
        if not cams:
            raise PageRefusal(422, "This segment has no camera snapshot to delete.")
        tomb = {"uuid": cams[0].uuid, "segment_uuid": rows[0].uuid, "kind": "camera", "deleted_at": now}
        _push_all(user, [], [tomb], now)
