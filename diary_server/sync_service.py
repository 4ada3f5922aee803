"""The sync protocol's rules on the diary server: segment upsert, snapshot upload, tombstones,
memo and label edits, and the changes feed.

The server enforces the rules itself, whatever a Team app sends: no deletion after the work
week ends, no memo or label edit and no new time after the week locks, no new time on a
paused or ended contract, no segment in the future, and one billed segment per contract and
10 minutes (a second computer's copy is kept, marked as a duplicate and not billed).

Merging follows the conflict rules of ``models/reconcile.py`` (the same pure function):
a deletion wins over an edit; memo and label are last-writer-wins by edit time (ties: larger
value); capture data with the higher version wins. Every upload is keyed by the Team app's
UUID, so a retry after a lost response changes nothing. Every change adds a row to the
changes feed, whose id is the pull cursor; on PostgreSQL those rows are added under a
transaction-scoped advisory lock so ids become visible in order (a reader never skips one).
A feed row remembers the API session that wrote it (its *origin*), and a pull leaves out the
caller's own writes: the writer has their result from its push's answer already.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import peewee

from diary_server.diary_models import DiaryBlob, DiaryChange, DiarySegment, DiarySnapshot
from diary_server.models import ActivityLabel, Contract, User, diary_db
from models import text_rules
from models.database import is_postgres
from models.reconcile import Register
from models.rules import SEGMENT_SECONDS, WEEK, minute_summary, week_end, week_lock_time, week_start

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_BATCH = 500
MAX_MEMO = 1000
#: A segment may start at most this far after the server's clock (clock skew of a laptop).
FUTURE_SKEW = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 1, 1)
MAX_SNAPSHOT_BYTES = 700_000  # base64 of this still fits the 1 MB request limit
MAX_SIDE = 16_384
MAX_PIXELS = 40_000_000
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
_PG_CHANGES_LOCK = 727_002


class SyncError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Refusal(Exception):
    code: str
    message: str


# ---- helpers --------------------------------------------------------------------------------


def naive_utc(t: datetime | None) -> datetime | None:
    """Aware -> naive UTC (as stored); naive is taken as UTC. Out-of-range instants are refused."""
    if t is None:
        return None
    if not EARLIEST <= t.replace(tzinfo=None) <= LATEST:
        raise Refusal("invalid_time", "Times must lie between the years 2000 and 2100.")
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def newer(in_at, in_value, at, value) -> bool:
    """Does the incoming edit win? The same last-writer-wins rule as the Team app's
    (``models/reconcile.py``), so both sides converge."""
    return Register(in_value, aware(in_at)).key() > Register(value, aware(at)).key()


def _locked(start: datetime, now: datetime) -> bool:
    return aware(now) >= week_lock_time(aware(start))


def _week_over(start: datetime, now: datetime) -> bool:
    return aware(now) >= week_end(aware(start))


def accepts_time(contract: Contract, start: datetime) -> bool:
    """New time is accepted on an active contract, and before a pause or end on the others."""
    if contract.status == "active":
        return True
    if contract.status == "ended":
        return contract.ended_at is not None and start < contract.ended_at
    return start < contract.updated_at


def session_origin(token: str) -> int:
    """The feed's name for the API session of ``token``: 60 bits of the token's SHA-256.

    Derived, not looked up, so it costs no query per request, and never reused (SQLite may hand
    a deleted token's row id to the next sign-in; a random token's hash is not reused). Two
    sessions of one account share it with probability 2**-60. Only the token's hash is stored
    anywhere, and this is a part of that hash."""
    return int(hashlib.sha256(token.encode("utf-8")).hexdigest()[:15], 16)


def _record_changes(changes: list[tuple[int, str, str]], origin: int | None = None) -> None:
    if not changes:
        return
    db = diary_db.obj
    rows = [(*change, origin) for change in changes]
    if is_postgres(db):
        from psycopg2.extras import execute_values

        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_CHANGES_LOCK,))
        # One statement for the batch: psycopg2's executemany is one round trip per row.
        sql = "INSERT INTO diary_changes (contract_id, entity, uuid, origin) VALUES %s"
        execute_values(db.cursor(), sql, rows, page_size=500)
        return
    db.cursor().executemany("INSERT INTO diary_changes (contract_id, entity, uuid, origin) VALUES (?, ?, ?, ?)", rows)


def segment_json(seg: DiarySegment) -> dict:
    return {
        "uuid": seg.uuid,
        "contract_id": seg.contract_id,
        "start": aware(seg.start),
        "version": seg.version,
        "logged_seconds": seg.logged_seconds,
        "minutes": json.loads(seg.minutes),
        "app_name": seg.app_name,
        "window_title": seg.window_title,
        "manual": seg.manual,
        "memo": seg.memo,
        "memo_edited_at": aware(seg.memo_edited_at),
        "label": seg.label,
        "label_edited_at": aware(seg.label_edited_at),
        "deleted_at": aware(seg.deleted_at),
        "billed": seg.billed,
        "duplicate_of": seg.duplicate_of,
        "updated_at": aware(seg.updated_at),
    }


def snapshot_json(snap: DiarySnapshot, segment_uuid: str) -> dict:
    return {
        "uuid": snap.uuid,
        "segment_uuid": segment_uuid,
        "kind": snap.kind,
        "taken_at": aware(snap.taken_at),
        "mime": snap.mime,
        "size_bytes": snap.size_bytes,
        "width": snap.width,
        "height": snap.height,
        "sha256": snap.sha256,
        "deleted_at": aware(snap.deleted_at),
    }


def _lock_rows(query):
    return query.for_update() if is_postgres(diary_db.obj) else query


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
        contract_ids = {s["contract_id"] for s in segments}
        contracts = (
            {c.id: c for c in Contract.select().where(Contract.id.in_(list(contract_ids)))} if contract_ids else {}
        )
        labels: dict[int, set[str]] = {}
        if contracts:
            for lab in ActivityLabel.select().where(ActivityLabel.contract.in_(list(contracts))):
                labels.setdefault(lab.contract_id, set()).add(lab.name)
        # Who bills each (contract, 10 minutes) of the new items: one query for the batch.
        owners: dict[tuple[int, datetime], DiarySegment] = {}
        starts = set()
        for item in segments:
            if item["uuid"].lower() not in existing:
                with contextlib.suppress(Refusal):  # refused with its reason when the item is handled
                    starts.add(naive_utc(item["start"]))
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


def _values(seg: DiarySegment, columns: tuple[str, ...]) -> tuple:
    return tuple(getattr(seg, name) for name in columns)


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
    start = naive_utc(item["start"])
    if start.minute % 10 or start.second or start.microsecond:
        raise Refusal("invalid_segment", "A segment starts on a 10-minute boundary (UTC).")
    if start > now + FUTURE_SKEW:
        raise Refusal("in_future", "This segment lies in the future by the diary's clock; check this computer's clock.")
    minutes = item["minutes"]
    if current is not None and (current.contract_id != contract.id or current.start != start):
        raise Refusal("conflict", "This UUID already names another segment.")
    memo_at, label_at, deleted_at = (
        naive_utc(item.get("memo_edited_at")),
        naive_utc(item.get("label_edited_at")),
        naive_utc(item.get("deleted_at")),
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
        deleted_at = naive_utc(item["deleted_at"])
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


# ---- snapshot upload ------------------------------------------------------------------------


def verify_image(data: bytes, mime: str) -> tuple[int, int]:
    """Check that ``data`` is a real image of type ``mime`` within the pixel limits."""
    from PIL import Image, UnidentifiedImageError

    expected = IMAGE_TYPES.get(mime)
    if expected is None:
        raise SyncError(415, "unsupported_media_type", "Snapshots are PNG or JPEG images.")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, (width, height) = img.format, img.size
            if fmt != expected:
                raise SyncError(415, "wrong_type", f"The data is {fmt or 'not an image'}, not {mime}.")
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise SyncError(
                    422, "too_many_pixels", f"Snapshots are at most {MAX_SIDE} pixels a side and {MAX_PIXELS} pixels."
                )
            img.verify()
    except SyncError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise SyncError(415, "not_an_image", "The data is not a readable PNG or JPEG image.") from None
    return width, height


def upload_snapshot(user: User, uid: str, body: dict, now: datetime, origin: int | None = None) -> tuple[dict, bool]:
    """Store a snapshot; returns (its JSON, whether it was new). Idempotent by UUID.

    Cheap per request, since a Team app uploads one per segment: the data is decoded and hashed
    once, and the image checked (header and chunk checksums, no pixel decode) *before* the
    transaction, which on SQLite holds the write lock from its start, so concurrent uploads
    only queue for the writes. Inside it: one query for the segment's owner and an earlier
    upload of this UUID, the snapshot row, its content (once per SHA-256: ON CONFLICT DO NOTHING)
    and its feed row; the answer is built from the values written, not read back."""
    uid = uid.lower()
    try:
        data = base64.b64decode(body["data"], validate=True)
    except (binascii.Error, ValueError):
        raise SyncError(422, "invalid_data", "The snapshot data is not valid base64.") from None
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise SyncError(413, "too_large", f"Snapshots are at most {MAX_SNAPSHOT_BYTES} bytes.")
    sha = body["sha256"].lower()
    if hashlib.sha256(data).hexdigest() != sha:
        raise SyncError(
            422, "hash_mismatch", "The snapshot's SHA-256 does not match its data: it was damaged on the way."
        )
    try:
        taken_at = naive_utc(body["taken_at"])
    except Refusal as refusal:
        raise SyncError(422, refusal.code, refusal.message) from None
    width, height = verify_image(data, body["mime"])
    db = diary_db.obj
    p = db.param
    with diary_db.atomic():
        found = db.execute_sql(
            "SELECT s.id, s.uuid, s.contract_id, c.freelancer_id, n.id FROM diary_segments s"  # noqa: S608
            f" JOIN contracts c ON c.id = s.contract_id LEFT JOIN diary_snapshots n ON n.uuid = {p}"
            f" WHERE s.uuid = {p}",
            (uid, body["segment_uuid"].lower()),
        ).fetchone()
        if found is None or found[3] != user.id:
            raise SyncError(409, "segment_unknown", "Upload the segment of this snapshot first.")
        seg_id, seg_uuid, contract_id, _freelancer, snap_id = found
        if snap_id is not None:
            return _existing_snapshot(uid, seg_id, seg_uuid, sha), False
        try:
            with diary_db.atomic():  # savepoint: a concurrent upload of this UUID may win the race
                db.execute_sql(
                    "INSERT INTO diary_snapshots (uuid, segment_id, kind, taken_at, mime, size_bytes, width, height,"  # noqa: S608
                    f" sha256, created_at) VALUES ({', '.join([p] * 10)})",
                    (uid, seg_id, body["kind"], taken_at, body["mime"], len(data), width, height, sha, now),
                )
        except peewee.IntegrityError:
            return _existing_snapshot(uid, seg_id, seg_uuid, sha), False
        db.execute_sql(
            f"INSERT INTO diary_blobs (sha256, data, size_bytes) VALUES ({p}, {p}, {p})"  # noqa: S608
            " ON CONFLICT (sha256) DO NOTHING",
            (sha, data, len(data)),
        )
        _record_changes([(contract_id, "snapshot", uid)], origin)
    snap = {
        "uuid": uid,
        "segment_uuid": seg_uuid,
        "kind": body["kind"],
        "taken_at": aware(taken_at),
        "mime": body["mime"],
        "size_bytes": len(data),
        "width": width,
        "height": height,
        "sha256": sha,
        "deleted_at": None,
    }
    return snap, True


def _existing_snapshot(uid: str, seg_id: int, seg_uuid: str, sha: str) -> dict:
    """The answer to an upload of a UUID already stored: a retry gets the stored snapshot; the
    UUID on another segment, or other content for a live snapshot, is a conflict."""
    snap = DiarySnapshot.get(DiarySnapshot.uuid == uid)
    if snap.segment_id != seg_id:
        raise SyncError(409, "conflict", "This UUID already names a snapshot of another segment.")
    if snap.deleted_at is None and snap.sha256 != sha:
        raise SyncError(409, "conflict", "This snapshot was uploaded before with other content.")
    return snapshot_json(snap, seg_uuid)


def get_snapshot(user: User, uid: str) -> dict:
    snap = DiarySnapshot.get_or_none(DiarySnapshot.uuid == uid.lower())
    seg = _visible_segment(user, snap.segment_id) if snap else None
    if seg is None:
        raise SyncError(404, "not_found", "No such snapshot.")
    return snapshot_json(snap, seg.uuid)


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
            edited_at = min(naive_utc(body.get("edited_at")) or now, now)
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
    return f"{aware(t):%a %d %b %H:%M} UTC"


def _stored_time(value) -> datetime | None:
    """A DATETIME column read with plain SQL: text on SQLite, a datetime on PostgreSQL."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _replaces(value: str | None, stored: str | None, stored_at, now: datetime) -> bool | None:
    """Does an edit made now to ``value`` (None: not edited; "": cleared) change a stored one?
    None: nothing to change. False: it differs but an edit stamped later elsewhere stays
    (last writer wins, :func:`newer`)."""
    if value is None or (stored or "") == value:
        return None
    return newer(now, value or None, _stored_time(stored_at), stored)


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
    p = db.param
    now = naive_utc(now)
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
            start = _stored_time(start)
            if deleted_at is not None:
                message = f"The segment at {when_utc(start)} was deleted; deleted time has no memo. Leave it out."
                raise SyncError(409, "deleted", message)
            if _locked(start, now):
                raise SyncError(
                    409,
                    "week_locked",
                    f"The week of {week_start(aware(start)):%a %d %b} was locked for invoicing on "
                    f"{when_utc(week_lock_time(aware(start)))}: its memos and labels are read-only.",
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
                    (value or None, now, now, *ids),
                )
        _record_changes([(contract.id, "segment", uid) for uid in changed], origin)
    return BulkEdit(changed, kept)


# ---- the changes feed ----------------------------------------------------------------------


def locked_before(now: datetime) -> datetime:
    """Time logged before this instant lies in weeks locked for invoicing (by this diary's
    clock): the start of the oldest work week that is still open."""
    this_week = week_start(aware(now))
    return this_week if aware(now) >= week_lock_time(this_week - WEEK) else this_week - WEEK


def changes(user: User, since: int, limit: int, now: datetime | None = None, origin: int | None = None) -> dict:
    """Segments, snapshots and contracts changed after cursor ``since`` on the user's contracts
    (current state of each, once), oldest change first; ``cursor`` is where the next pull
    starts. ``locked_before`` (given ``now``) says which weeks are locked: a lock writes no
    row, so each pull carries the boundary.

    Rows written by the session ``origin`` (the caller's own pushes and uploads) are left out,
    but the cursor still moves past them: the caller has their result from its own answers,
    and a Team app that pushed 10,000 segments would otherwise pull them all straight back.
    Writes of the same account's other sessions (another computer), of the pages and of the
    other party are in the feed as before.

    The feed's newest id is read first and only rows up to it are read: ids become visible in
    order (see :func:`_record_changes`), so every row up to it is visible to the second query,
    and a page that ends with left-out rows can move the cursor to it without skipping a row
    committed in between."""
    field = Contract.client if user.role == "client" else Contract.freelancer
    mine = Contract.select(Contract.id).where(field == user.id)
    newest = DiaryChange.select(peewee.fn.MAX(DiaryChange.id)).scalar()
    if newest is None or newest <= since:
        rows, more, cursor = [], False, since
    else:
        wanted = (DiaryChange.id > since) & (DiaryChange.id <= newest) & DiaryChange.contract.in_(mine)
        if origin is not None:
            wanted &= DiaryChange.origin.is_null() | (DiaryChange.origin != origin)
        rows = list(DiaryChange.select().where(wanted).order_by(DiaryChange.id).limit(limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = rows[-1].id if more else newest
    seg_uuids = list(dict.fromkeys(r.uuid for r in rows if r.entity == "segment"))
    snap_uuids = list(dict.fromkeys(r.uuid for r in rows if r.entity == "snapshot"))
    segments = []
    if seg_uuids:
        by_uuid = {s.uuid: s for s in DiarySegment.select().where(DiarySegment.uuid.in_(seg_uuids))}
        segments = [segment_json(by_uuid[u]) for u in seg_uuids if u in by_uuid]
    snapshots = []
    if snap_uuids:
        query = (
            DiarySnapshot.select(DiarySnapshot, DiarySegment.uuid)
            .join(DiarySegment)
            .where(DiarySnapshot.uuid.in_(snap_uuids))
        )
        found = {s.uuid: s for s in query}
        snapshots = [snapshot_json(found[u], found[u].segment.uuid) for u in snap_uuids if u in found]
    contract_ids = list(dict.fromkeys(r.contract_id for r in rows if r.entity == "contract"))
    contracts = []
    if contract_ids:
        from diary_server.contracts import contracts_json

        found_contracts = list(Contract.select().where(Contract.id.in_(contract_ids)).order_by(Contract.id))
        contracts = contracts_json(found_contracts, now or datetime.now(UTC).replace(tzinfo=None))
    return {
        "cursor": cursor,
        "more": more,
        "segments": segments,
        "snapshots": snapshots,
        "contracts": contracts,
        "locked_before": locked_before(now) if now is not None else None,
    }
