"""The sync protocol's shared parts on the diary server: limits, errors, time helpers, JSON shapes."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import overload

from core.reconcile import Register
from core.refusal import Refused
from core.rules import can_delete_snapshot, memo_editable
from dbkit.database import is_postgres
from diary_server.diary_models import DiarySegment, DiarySnapshot
from diary_server.models import Contract, diary_db

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_BATCH = 500
MAX_MEMO = 1000
#: A segment may start at most this far after the server's clock (clock skew of a laptop).
FUTURE_SKEW = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_SNAPSHOT_BYTES = 700_000  # base64 of this still fits the 1 MB request limit
MAX_SIDE = 16_384
MAX_PIXELS = 40_000_000
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
_PG_CHANGES_LOCK = 727_002


class SyncError(Refused):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, status=status, code=code)


class Refusal(Refused):
    """One pushed item refused (the rest of the batch goes on): reported in its result."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


# ---- helpers --------------------------------------------------------------------------------


@overload
def request_time(t: datetime) -> datetime: ...
@overload
def request_time(t: None) -> None: ...
def request_time(t: datetime | None) -> datetime | None:
    """A time a request sent, as aware UTC. The protocol's times carry their offset; one
    without is read as UTC, as the API always has (external input, not our own datetimes).
    Instants outside 2000-2100 are refused."""
    if t is None:
        return None
    out_of_range = Refusal("invalid_time", "Times must lie between the years 2000 and 2100.")
    try:
        t = t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)
    except OverflowError:  # 0001-01-01T00:00:00+00:01 is before year 1 in UTC
        raise out_of_range from None
    if not EARLIEST <= t <= LATEST:
        raise out_of_range
    return t


def newer(in_at, in_value, at, value) -> bool:
    """Does the incoming edit win? The same last-writer-wins rule as the Team app's
    (``core/reconcile.py``), so both sides converge."""
    return Register(in_value, in_at).key() > Register(value, at).key()


def _locked(start: datetime, now: datetime) -> bool:
    """The core's lock rule (memos, labels and new time end at the week's lock)."""
    return not memo_editable(start, now)


def _week_over(start: datetime, now: datetime) -> bool:
    """The core's deletion rule (deletions end with the work week)."""
    return not can_delete_snapshot(start, now)


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
        "start": seg.start,
        "version": seg.version,
        "logged_seconds": seg.logged_seconds,
        "minutes": json.loads(seg.minutes),
        "app_name": seg.app_name,
        "window_title": seg.window_title,
        "manual": seg.manual,
        "memo": seg.memo,
        "memo_edited_at": seg.memo_edited_at,
        "label": seg.label,
        "label_edited_at": seg.label_edited_at,
        "deleted_at": seg.deleted_at,
        "billed": seg.billed,
        "duplicate_of": seg.duplicate_of,
        "updated_at": seg.updated_at,
    }


def snapshot_json(snap: DiarySnapshot, segment_uuid: str) -> dict:
    return {
        "uuid": snap.uuid,
        "segment_uuid": segment_uuid,
        "kind": snap.kind,
        "taken_at": snap.taken_at,
        "mime": snap.mime,
        "size_bytes": snap.size_bytes,
        "width": snap.width,
        "height": snap.height,
        "sha256": snap.sha256,
        "deleted_at": snap.deleted_at,
    }


def _lock_rows(query):
    return query.for_update() if is_postgres(diary_db.obj) else query
