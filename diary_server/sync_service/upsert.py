"""Segment upsert and snapshot tombstones: what a Team app's push does on the diary server."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime

import peewee

from core import text_rules
from core.rules import SEGMENT_SECONDS, minute_summary
from dbkit.database import is_postgres
from dbkit.fields import UTCDateTimeField
from diary_server.contract_reads import contracts_by_id, label_names_by_contract
from diary_server.diary_models import DiaryBlob, DiarySegment, DiarySnapshot
from diary_server.models import Contract, User, diary_db
from diary_server.sync_service.common import (
    FUTURE_SKEW,
    MAX_BATCH,
    Refusal,
    SyncError,
    _lock_rows,
    _locked,
    _record_changes,
    _week_over,
    accepts_time,
    newer,
    request_time,
    segment_json,
    snapshot_json,
)

# ---- segment upsert -------------------------------------------------------------------------


def push(user: User, segments: list[dict], tombstones: list[dict], now: datetime, origin: int | None = None) -> dict:
    """Apply a batch; every item gets its own result (one bad item never refuses the others).
    ``origin`` (see :func:`session_origin`) marks the feed rows as the caller's own.

    The whole batch is decided in memory first (rows loaded in one query per table), then
    written with one statement per kind of write (new rows, changed rows, feed rows): building
    a peewee query per item cost more than the database itself.
    """
    if len(segments) > MAX_BATCH or len(tombstones) > MAX_BATCH:
        raise SyncError(413, "too_large", f"Send at most {MAX_BATCH} segments and {MAX_BATCH} tombstones a batch.")
    changes: list[tuple[int, str, str]] = []
    with diary_db.atomic():
        uuids = {s["uuid"].lower() for s in segments}
        existing = (
            {s.uuid: s for s in _lock_rows(DiarySegment.select().where(DiarySegment.uuid.in_(list(uuids))))}
            if uuids
            else {}
        )
        contracts = contracts_by_id(list({s["contract_id"] for s in segments}))  # (plain SQL: cheaper)
        labels = label_names_by_contract(list(contracts))
        # Who bills each (contract, 10 minutes) of the new items: one query for the batch.
        owners: dict[tuple[int, datetime], DiarySegment] = {}
        starts = set()
        for item in segments:
            if item["uuid"].lower() not in existing:
                with contextlib.suppress(Refusal):  # refused with its reason when the item is handled
                    starts.add(request_time(item["start"]))
        if starts and contracts:
            query = DiarySegment.select().where(
                DiarySegment.contract.in_(list(contracts))
                & DiarySegment.start.in_(list(starts))
                & (DiarySegment.billed == True)  # noqa: E712
            )
            owners = {(o.contract_id, o.start): o for o in query}
        planned: list[tuple[str, DiarySegment | None, Refusal | None]] = []
        new_rows: dict[str, DiarySegment] = {}  # uuid -> row to insert (id None until written)
        changed_rows: dict[int, DiarySegment] = {}  # id -> existing row with new values
        for item in segments:
            uid = item["uuid"].lower()
            try:
                seg, changed = _upsert(user, item, existing.get(uid), contracts, labels, now, owners)
            except Refusal as refusal:
                current = existing.get(uid)
                mine = (
                    current is not None
                    and contracts.get(current.contract_id) is not None
                    and (contracts[current.contract_id].freelancer_id == user.id)
                )
                planned.append((uid, current if mine else None, refusal))
                continue
            existing[uid] = seg
            if changed:
                if seg.id is None:
                    new_rows[uid] = seg
                else:
                    changed_rows[seg.id] = seg
                changes.append((seg.contract_id, "segment", seg.uuid))
            planned.append((uid, seg, None))
        _write_updates(list(changed_rows.values()))
        _write_inserts(list(new_rows.values()))
        tomb_results = [_tombstone(user, t, now, changes) for t in tombstones]
        _record_changes(list(dict.fromkeys(changes)), origin)
    results = []
    for uid, seg, refusal in planned:
        if refusal is not None:
            results.append(
                {
                    "uuid": uid,
                    "status": "refused",
                    "code": refusal.code,
                    "message": refusal.message,
                    "segment": segment_json(seg) if seg is not None else None,
                }
            )
        else:
            status = "ok" if seg.billed else "duplicate"
            results.append({"uuid": uid, "status": status, "code": None, "message": None, "segment": segment_json(seg)})
    return {"results": results, "snapshot_results": tomb_results}


#: The columns a push writes, in the order of the bulk statements below.
_SEGMENT_COLUMNS = (
    "uuid",
    "contract_id",
    "start",
    "version",
    "logged_seconds",
    "minutes",
    "active_minutes",
    "sum_keys",
    "sum_clicks",
    "sum_scrolls",
    "app_name",
    "window_title",
    "manual",
    "memo",
    "memo_edited_at",
    "label",
    "label_edited_at",
    "deleted_at",
    "billed",
    "duplicate_of",
    "created_at",
    "updated_at",
)
_UPDATED_COLUMNS = (*_SEGMENT_COLUMNS[3:18], "updated_at")
_TIME_COLUMNS = frozenset(
    name for name in _SEGMENT_COLUMNS if isinstance(DiarySegment._meta.fields.get(name), UTCDateTimeField)
)


def _values(seg: DiarySegment, columns: tuple[str, ...]) -> tuple:
    """The row's values for plain SQL: times as the field stores them (:mod:`dbkit.fields`)."""
    fields = DiarySegment._meta.fields
    return tuple(
        fields[name].db_value(getattr(seg, name)) if name in _TIME_COLUMNS else getattr(seg, name) for name in columns
    )


def _write_updates(rows: list[DiarySegment]) -> None:
    """Changed rows of a batch in one prepared statement (all columns a push may change)."""
    if not rows:
        return
    db = diary_db.obj
    sets = ", ".join(f"{name} = {db.param}" for name in _UPDATED_COLUMNS)
    sql = f"UPDATE diary_segments SET {sets} WHERE id = {db.param}"  # noqa: S608 (fixed column names)
    values = [(*_values(seg, _UPDATED_COLUMNS), seg.id) for seg in rows]
    if is_postgres(db):
        from psycopg2.extras import execute_batch

        execute_batch(db.cursor(), sql, values, page_size=100)  # 100 statements a round trip
    else:
        db.cursor().executemany(sql, values)


def _insert_rows(rows: list[DiarySegment]) -> None:
    db = diary_db.obj
    columns = ", ".join(_SEGMENT_COLUMNS)
    values = [_values(seg, _SEGMENT_COLUMNS) for seg in rows]
    with peewee.__exception_wrapper__:  # driver errors -> peewee's (IntegrityError is caught above)
        _insert_values(db, columns, values)


def _insert_values(db, columns: str, values: list[tuple]) -> None:
    if is_postgres(db):
        from psycopg2.extras import execute_values

        execute_values(db.cursor(), f"INSERT INTO diary_segments ({columns}) VALUES %s", values, page_size=500)  # noqa: S608
    else:
        marks = ", ".join("?" * len(_SEGMENT_COLUMNS))
        db.cursor().executemany(f"INSERT INTO diary_segments ({columns}) VALUES ({marks})", values)  # noqa: S608


def _write_inserts(rows: list[DiarySegment]) -> None:
    """New rows of a batch in one statement. If another request billed one of their
    (contract, 10 minutes) since the batch looked (the partial unique index refuses the
    second billed row), the rows go in one by one and the late ones become duplicates."""
    if not rows:
        return
    try:
        with diary_db.atomic():  # savepoint
            _insert_rows(rows)
        return
    except peewee.IntegrityError:
        pass
    for seg in rows:
        try:
            with diary_db.atomic():
                _insert_rows([seg])
            continue
        except peewee.IntegrityError:
            if not seg.billed:
                raise
        owner = DiarySegment.get(
            (DiarySegment.contract == seg.contract_id)
            & (DiarySegment.start == seg.start)
            & (DiarySegment.billed == True)  # noqa: E712
        )
        seg.billed, seg.duplicate_of = False, owner.uuid
        for other in rows:  # this batch's later copies of the slot now point at the real owner
            if other.duplicate_of == seg.uuid:
                other.duplicate_of = owner.uuid
        _insert_rows([seg])


def _upsert(user, item, current, contracts, labels, now, owners) -> tuple[DiarySegment, bool]:
    """Decide one item against the row it names (or None): the row with its new values, and
    whether anything changed. Writes nothing (see :func:`push`)."""
    contract = contracts.get(item["contract_id"])
    if contract is None or contract.freelancer_id != user.id:
        raise Refusal("not_found", "No such contract among yours.")
    for field in ("memo", "label", "app_name", "window_title"):
        problem = text_rules.text_problem(field, item.get(field) or "")
        if problem:
            raise Refusal("invalid_text", problem)
    start = request_time(item["start"])
    if start.minute % 10 or start.second or start.microsecond:
        raise Refusal("invalid_segment", "A segment starts on a 10-minute boundary (UTC).")
    if start > now + FUTURE_SKEW:
        raise Refusal("in_future", "This segment lies in the future by the diary's clock; check this computer's clock.")
    minutes = item["minutes"]
    if current is not None and (current.contract_id != contract.id or current.start != start):
        raise Refusal("conflict", "This UUID already names another segment.")
    memo_at, label_at, deleted_at = (
        request_time(item.get("memo_edited_at")),
        request_time(item.get("label_edited_at")),
        request_time(item.get("deleted_at")),
    )
    memo = (item.get("memo") or "").strip() or None
    label = (item.get("label") or "").strip() or None
    new_capture = current is None or item["version"] > current.version
    if new_capture:
        if _locked(start, now):
            raise Refusal("week_locked", "This work week is locked for invoicing; its time can no longer change.")
        if not accepts_time(contract, start):
            raise Refusal(
                "contract_not_active",
                f"The contract is {contract.status}: it takes no time logged after that.",
            )
    if current is None:
        if label is not None and label not in labels.get(contract.id, set()):
            raise Refusal("unknown_label", f"“{label}” is not one of this contract's Activity labels.")
        if deleted_at is not None and _week_over(start, now):
            raise Refusal("week_ended", "This work week has ended; its snapshots can no longer be deleted.")
        return _new_row(contract, start, item, memo, memo_at, label, label_at, deleted_at, now, owners), True
    changes: dict = {}
    if new_capture:
        changes.update(
            version=item["version"],
            logged_seconds=min(float(SEGMENT_SECONDS), item["logged_seconds"]),
            minutes=json.dumps(minutes),
            **_summary(minutes),
            app_name=item.get("app_name"),
            window_title=item.get("window_title"),
            manual=item.get("manual", False),
        )
    if newer(memo_at, memo, current.memo_edited_at, current.memo):
        if memo != current.memo and _locked(start, now):
            raise Refusal("week_locked", "This work week is locked for invoicing; its memos can no longer change.")
        changes.update(memo=memo, memo_edited_at=memo_at)
    if newer(label_at, label, current.label_edited_at, current.label):
        if label != current.label:
            if _locked(start, now):
                raise Refusal("week_locked", "This work week is locked for invoicing; its labels can no longer change.")
            if label is not None and label not in labels.get(contract.id, set()):
                raise Refusal("unknown_label", f"“{label}” is not one of this contract's Activity labels.")
        changes.update(label=label, label_edited_at=label_at)
    if deleted_at is not None and (current.deleted_at is None or deleted_at < current.deleted_at):
        if current.deleted_at is None and _week_over(start, now):
            raise Refusal("week_ended", "This work week has ended; its snapshots can no longer be deleted.")
        changes.update(deleted_at=deleted_at)
    if not changes:
        return current, False
    changes["updated_at"] = now
    for name, value in changes.items():
        setattr(current, name, value)
    return current, True


def _summary(minutes: list) -> dict:
    """The stored summary of a segment's minutes (migration m0008)."""
    active, keys, clicks, scrolls = minute_summary(minutes)
    return {"active_minutes": active, "sum_keys": keys, "sum_clicks": clicks, "sum_scrolls": scrolls}


def _new_row(contract, start, item, memo, memo_at, label, label_at, deleted_at, now, owners) -> DiarySegment:
    """A new segment (not written yet): billed, or a duplicate when the slot already has its
    billed segment (stored earlier, or earlier in this batch)."""
    owner = owners.get((contract.id, start))
    seg = DiarySegment(
        id=None,
        uuid=item["uuid"].lower(),
        contract=contract.id,
        start=start,
        version=item["version"],
        logged_seconds=min(float(SEGMENT_SECONDS), item["logged_seconds"]),
        minutes=json.dumps(item["minutes"]),
        **_summary(item["minutes"]),
        app_name=item.get("app_name"),
        window_title=item.get("window_title"),
        manual=item.get("manual", False),
        memo=memo,
        memo_edited_at=memo_at,
        label=label,
        label_edited_at=label_at,
        deleted_at=deleted_at,
        billed=owner is None,
        duplicate_of=owner.uuid if owner is not None else None,
        created_at=now,
        updated_at=now,
    )
    if owner is None:
        owners[(contract.id, start)] = seg
    return seg


def _owned_segment(user: User, segment_uuid: str) -> DiarySegment | None:
    seg = (
        DiarySegment.select(DiarySegment, Contract)
        .join(Contract)
        .where(DiarySegment.uuid == segment_uuid.lower())
        .first()
    )
    if seg is None or seg.contract.freelancer_id != user.id:
        return None
    return seg


def _tombstone(user: User, item: dict, now: datetime, changes: list) -> dict:
    uid = item["uuid"].lower()
    try:
        deleted_at = request_time(item["deleted_at"])
        seg = _owned_segment(user, item["segment_uuid"])
        if seg is None:
            raise Refusal("segment_unknown", "Upload the segment of this snapshot first.")
        snap = _lock_rows(DiarySnapshot.select().where(DiarySnapshot.uuid == uid)).first()
        if snap is not None and snap.segment_id != seg.id:
            raise Refusal("conflict", "This UUID already names a snapshot of another segment.")
        if snap is not None and snap.deleted_at is not None:
            return {
                "uuid": uid,
                "status": "ok",
                "code": None,
                "message": None,
                "snapshot": snapshot_json(snap, seg.uuid),
            }
        if _week_over(seg.start, now):
            raise Refusal("week_ended", "This work week has ended; its snapshots can no longer be deleted.")
        if snap is None:
            snap_id = DiarySnapshot.insert(
                uuid=uid, segment=seg.id, kind=item["kind"], deleted_at=deleted_at, created_at=now
            ).execute()
            snap = DiarySnapshot.get_by_id(snap_id)
        else:
            DiarySnapshot.update(deleted_at=deleted_at).where(DiarySnapshot.id == snap.id).execute()
            snap.deleted_at = deleted_at
            _drop_blob_if_unused(snap.sha256)
        changes.append((seg.contract_id, "snapshot", uid))
        return {"uuid": uid, "status": "ok", "code": None, "message": None, "snapshot": snapshot_json(snap, seg.uuid)}
    except Refusal as refusal:
        return {"uuid": uid, "status": "refused", "code": refusal.code, "message": refusal.message, "snapshot": None}


def _drop_blob_if_unused(sha: str | None) -> None:
    """A deleted snapshot's content leaves the diary (unless a live snapshot has the same bytes)."""
    if not sha:
        return
    live = DiarySnapshot.select().where((DiarySnapshot.sha256 == sha) & DiarySnapshot.deleted_at.is_null())
    if not live.exists():
        DiaryBlob.delete().where(DiaryBlob.sha256 == sha).execute()
