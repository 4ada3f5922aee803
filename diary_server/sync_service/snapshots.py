"""Snapshot upload: verified images stored once by content (blobs), keyed by the Team app's UUID."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from datetime import datetime

import peewee

from dbkit.fields import is_postgres_db, to_db
from diary_server.diary_models import DiarySnapshot
from diary_server.models import User, diary_db
from diary_server.sync_service.common import (
    IMAGE_TYPES,
    MAX_PIXELS,
    MAX_SIDE,
    MAX_SNAPSHOT_BYTES,
    Refusal,
    SyncError,
    _record_changes,
    request_time,
    snapshot_json,
)
from diary_server.sync_service.edits import _visible_segment

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
        taken_at = request_time(body["taken_at"])
    except Refusal as refusal:
        raise SyncError(422, refusal.code, refusal.message) from None
    width, height = verify_image(data, body["mime"])
    db = diary_db.obj
    p, pg = db.param, is_postgres_db(db)
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
                    (
                        uid,
                        seg_id,
                        body["kind"],
                        to_db(taken_at, pg),
                        body["mime"],
                        len(data),
                        width,
                        height,
                        sha,
                        to_db(now, pg),
                    ),
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
        "taken_at": taken_at,
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
