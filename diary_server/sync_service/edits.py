"""Reading and editing segments: the API's single edit and the Work Diary pages' bulk edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.rules import week_lock_time, week_start
from dbkit.database import is_postgres
from dbkit.fields import from_db, to_db
from diary_server.diary_models import DiarySegment
from diary_server.models import ActivityLabel, Contract, User, diary_db
from diary_server.sync_service.common import (
    Refusal,
    SyncError,
    _locked,
    _record_changes,
    newer,
    request_time,
    segment_json,
)

# ---- reading and editing segments ------------------------------------------------------------


def _visible_segment(user: User, segment_id: int | None = None, uid: str | None = None) -> DiarySegment | None:
    query = DiarySegment.select(DiarySegment, Contract).join(Contract)
    query = (
        query.where(DiarySegment.id == segment_id)
        if segment_id is not None
        else query.where(DiarySegment.uuid == (uid or "").lower())
    )
    seg = query.first()
    if seg is None or user.id not in (seg.contract.client_id, seg.contract.freelancer_id):
        return None
    return seg


def get_segment(user: User, uid: str) -> dict:
    seg = _visible_segment(user, uid=uid)
    if seg is None:
        raise SyncError(404, "not_found", "No such segment.")
    return segment_json(seg)


def edit_segment(user: User, uid: str, body: dict, now: datetime, origin: int | None = None) -> dict:
    """A memo (the freelancer) or Activity label (either party) edited on the diary's side."""
    with diary_db.atomic():
        seg = _visible_segment(user, uid=uid)
        if seg is None:
            raise SyncError(404, "not_found", "No such segment.")
        if "memo" in body and user.id != seg.contract.freelancer_id:
            raise SyncError(403, "forbidden", "Only the freelancer edits memos.")
        if seg.deleted_at is not None:
            raise SyncError(409, "deleted", "This segment was deleted.")
        if _locked(seg.start, now):
            raise SyncError(409, "week_locked", "This work week is locked for invoicing; memos and labels are final.")
        try:
            edited_at = min(request_time(body.get("edited_at")) or now, now)
        except Refusal as refusal:
            raise SyncError(422, refusal.code, refusal.message) from None
        changes: dict = {}
        if "memo" in body:
            memo = (body["memo"] or "").strip() or None
            if newer(edited_at, memo, seg.memo_edited_at, seg.memo):
                changes.update(memo=memo, memo_edited_at=edited_at)
        if "label" in body:
            label = (body["label"] or "").strip() or None
            allowed = {lab.name for lab in ActivityLabel.select().where(ActivityLabel.contract == seg.contract_id)}
            if label is not None and label not in allowed:
                raise SyncError(422, "unknown_label", f"“{label}” is not one of this contract's Activity labels.")
            if newer(edited_at, label, seg.label_edited_at, seg.label):
                changes.update(label=label, label_edited_at=edited_at)
        if changes:
            changes["updated_at"] = now
            DiarySegment.update(**changes).where(DiarySegment.id == seg.id).execute()
            _record_changes([(seg.contract_id, "segment", seg.uuid)], origin)
            for name, value in changes.items():
                setattr(seg, name, value)
        return segment_json(seg)


def when_utc(t: datetime) -> str:
    """An instant as the diary's messages name it: ``Mon 23 Nov 09:00 UTC``."""
    return f"{t.astimezone(UTC):%a %d %b %H:%M} UTC"


def _replaces(value: str | None, stored: str | None, stored_at, now: datetime) -> bool | None:
    """Does an edit made now to ``value`` (None: not edited; "": cleared) change a stored one?
    None: nothing to change. False: it differs but an edit stamped later elsewhere stays
    (last writer wins, :func:`newer`)."""
    if value is None or (stored or "") == value:
        return None
    return newer(now, value or None, from_db(stored_at), stored)


@dataclass(frozen=True)
class BulkEdit:
    """What :func:`edit_segments` did: the segments it changed, and those where a value differs
    but a later edit made elsewhere (another computer's clock ahead of the diary's) stays."""

    changed: list[str]
    kept: list[str]


def edit_segments(
    user: User,
    contract: Contract,
    uuids: list[str],
    now: datetime,
    *,
    memo: str | None = None,
    label: str | None = None,
    origin: int | None = None,
) -> BulkEdit:
    """Set one memo and/or Activity label on many billed segments of one contract (a
    selection on the Work Diary's pages): all or nothing, in one transaction, with the rules
    of :func:`edit_segment` and messages that name the refused segment. ``None`` leaves that
    field as each segment has it; ``""`` clears it.

    Plain SQL, one read and at most two updates and one feed insert whatever the selection's
    size: going through :func:`push` built the whole segment of each row twice over."""
    if memo is None and label is None:
        return BulkEdit([], [])
    if memo is not None and user.id != contract.freelancer_id:
        raise SyncError(403, "forbidden", "Only the freelancer edits memos; you can set Activity labels.")
    if user.id not in (contract.client_id, contract.freelancer_id):
        raise SyncError(404, "not_found", "No such contract.")
    memo = None if memo is None else (memo.strip() or "")
    label = None if label is None else (label.strip() or "")
    db = diary_db.obj
    p, pg = db.param, is_postgres(db)
    with diary_db.atomic():
        if label:
            known = db.execute_sql(
                f"SELECT 1 FROM activity_labels WHERE contract_id = {p} AND name = {p}",  # noqa: S608
                (contract.id, label),
            ).fetchone()
            if known is None:
                raise SyncError(422, "unknown_label", f"“{label}” is not one of this contract's Activity labels.")
        marks = ", ".join([p] * len(uuids))
        lock = " FOR UPDATE" if is_postgres(db) else ""
        rows = db.execute_sql(
            "SELECT id, uuid, start, memo, memo_edited_at, label, label_edited_at, deleted_at"  # noqa: S608
            f" FROM diary_segments WHERE contract_id = {p} AND billed AND uuid IN ({marks}) ORDER BY start{lock}",
            (contract.id, *uuids),
        ).fetchall()
        if len(rows) != len(set(uuids)):
            raise SyncError(
                422, "not_found", "Some of the selected segments are not in this contract's diary; reload the page."
            )
        memo_ids, label_ids, changed, kept = [], [], [], []
        for seg_id, uid, start, old_memo, memo_at, old_label, label_at, deleted_at in rows:
            start = from_db(start)
            if deleted_at is not None:
                message = f"The segment at {when_utc(start)} was deleted; deleted time has no memo. Leave it out."
                raise SyncError(409, "deleted", message)
            if _locked(start, now):
                raise SyncError(
                    409,
                    "week_locked",
                    f"The week of {week_start(start):%a %d %b} was locked for invoicing on "
                    f"{when_utc(week_lock_time(start))}: its memos and labels are read-only.",
                )
            new_memo = _replaces(memo, old_memo, memo_at, now)
            new_label = _replaces(label, old_label, label_at, now)
            if new_memo:
                memo_ids.append(seg_id)
            if new_label:
                label_ids.append(seg_id)
            if new_memo or new_label:
                changed.append(uid)
            if new_memo is False or new_label is False:
                kept.append(uid)
        for ids, column, value in ((memo_ids, "memo", memo), (label_ids, "label", label)):
            if ids:
                db.execute_sql(
                    f"UPDATE diary_segments SET {column} = {p}, {column}_edited_at = {p}, updated_at = {p}"  # noqa: S608
                    f" WHERE id IN ({', '.join([p] * len(ids))})",
                    (value or None, to_db(now, pg), to_db(now, pg), *ids),
                )
        _record_changes([(contract.id, "segment", uid) for uid in changed], origin)
    return BulkEdit(changed, kept)
