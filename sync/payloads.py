"""Local rows as the sync protocol's JSON: the segments a push sends and the snapshot bodies
an upload sends (control characters in window titles replaced: nobody can fix those)."""

from __future__ import annotations

import base64
from pathlib import Path

from core.text_rules import without_controls
from models.capture_store import CaptureSegment
from models.local import local_db
from sync import outbox
from sync.diary_client import DiaryClient, DiaryError

_dt = CaptureSegment.start.python_value


def iso_time(value: str | None) -> str | None:
    return _dt(value).isoformat() if value else None


#: An upload not started because another one ended the round (it stays queued as it was).
NOT_SENT = DiaryError("not sent")


def upload_one(client: DiaryClient, data_dir: Path, row: dict) -> DiaryError | OSError | None:
    """Read one snapshot file (once) and upload it; the failure, if any, is returned, not raised,
    so the caller records every upload of a batch (see :meth:`SyncWorker._upload_all`)."""
    try:
        data = (data_dir / row["path"]).read_bytes()
    except OSError as exc:
        return exc
    body = {
        "segment_uuid": row["segment_uuid"],
        "kind": row["kind"],
        "taken_at": iso_time(row["taken_at"]),
        "mime": row["mime"],
        "sha256": row["sha256"],
        "data": base64.b64encode(data).decode("ascii"),
    }
    del data
    try:
        client.upload_snapshot(row["uuid"], body)
    except DiaryError as exc:
        return exc
    return None


def segment_payloads(items: list[outbox.Item]) -> dict[int, dict]:
    ids = [i.local_id for i in items]
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    minutes: dict[int, list[list[int]]] = {i: [[0, 0, 0] for _ in range(10)] for i in ids}
    for seg_id, minute, keys, clicks, scrolls in local_db.execute_sql(
        f"SELECT segment_id, minute, keys, clicks, scrolls FROM capture_minute WHERE segment_id IN ({marks})",  # noqa: S608
        ids,
    ).fetchall():
        minutes[seg_id][minute] = [keys, clicks, scrolls]
    out = {}
    for row in local_db.execute_sql(
        "SELECT id, uuid, contract_id, start, version, logged_seconds, app_name, window_title, manual, memo,"  # noqa: S608
        f" memo_edited_at, label, label_edited_at, deleted_at FROM capture_segment WHERE id IN ({marks})",
        ids,
    ).fetchall():
        (
            sid,
            uuid,
            contract_id,
            start,
            version,
            seconds,
            app,
            title,
            manual,
            memo,
            memo_at,
            label,
            label_at,
            deleted,
        ) = row
        out[sid] = {
            "uuid": uuid,
            "contract_id": contract_id,
            "start": iso_time(start),
            "version": max(1, version),
            "logged_seconds": min(600.0, max(0.0, seconds)),
            "minutes": minutes[sid],
            "app_name": without_controls(app),
            "window_title": without_controls(title),
            "manual": bool(manual),
            "memo": memo,
            "memo_edited_at": iso_time(memo_at),
            "label": label,
            "label_edited_at": iso_time(label_at),
            "deleted_at": iso_time(deleted),
        }
    return out


def image_rows(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cols = ("id", "uuid", "kind", "taken_at", "path", "mime", "sha256", "deleted_at", "segment_uuid")
    rows = local_db.execute_sql(
        "SELECT i.id, i.uuid, i.kind, i.taken_at, i.path, i.mime, i.sha256, i.deleted_at, s.uuid"  # noqa: S608
        f" FROM capture_image i JOIN capture_segment s ON s.id = i.segment_id WHERE i.id IN ({marks})",
        ids,
    ).fetchall()
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}
