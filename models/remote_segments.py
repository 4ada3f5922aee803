"""The diary's copies of segments merged into the Team app's cache, by the rules of
``core/reconcile.py``: what the sync worker does with a push's answers and the pulled feed.
It is data access on the cache (one module, raw SQL where it runs per pulled segment), so it
lives with the cache, not with the HTTP side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

from core.reconcile import Register, SegmentState, merge
from models.capture_store import CaptureSegment
from models.local import local_db

_ts = CaptureSegment.start.db_value
_dt = CaptureSegment.start.python_value


@overload
def parse_time(value: str) -> datetime: ...
@overload
def parse_time(value: None) -> None: ...
def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _state(memo, memo_at, label, label_at, deleted) -> SegmentState:
    return SegmentState(memo=Register(memo, memo_at), label=Register(label, label_at), deleted_at=deleted)


_LOCAL_COLUMNS = (
    "id, uuid, memo, memo_edited_at, label, label_edited_at, deleted_at, duplicate_of, remote, version, contract_id"
)


def _local_rows(uuids: list[str]) -> dict[str, tuple]:
    rows: dict[str, tuple] = {}
    for i in range(0, len(uuids), 500):
        chunk = uuids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for row in local_db.execute_sql(
            f"SELECT {_LOCAL_COLUMNS} FROM capture_segment WHERE uuid IN ({marks})",  # noqa: S608
            chunk,
        ).fetchall():
            rows[row[1]] = row
    return rows


def apply_remote_segment(remote: dict, rollback: bool = False) -> bool:
    """One segment of the diary merged into the local copy (see :func:`apply_remote_segments`)."""
    return apply_remote_segments([remote], rollback=rollback) == 1


def apply_remote_segments(remotes: list[dict], rollback: bool = False, import_missing: bool = False) -> int:
    """Merge the diary's states of segments into the local copy (by the rules of
    ``core/reconcile.py``); with ``rollback`` the diary's memo and label replace ours (an edit it
    refused). With ``import_missing`` (the pull), a segment another computer of this account
    logged is copied in, marked remote, so the Work Diary shows the whole week; its snapshots
    are not downloaded (the Work Diary shows it without a picture). Returns how many changed.

    One query reads the local rows of the whole page and one statement writes the changes:
    the pull after a push of 10,000 segments reads them all back."""
    if not remotes:
        return 0
    local = _local_rows(list(dict.fromkeys(r["uuid"] for r in remotes)))
    updates: list[tuple] = []
    capture_updates: list[tuple] = []
    changed = 0
    for remote in remotes:
        row = local.get(remote["uuid"])
        if row is None:
            if import_missing and _import_remote(remote):
                changed += 1
            continue
        sid, _uuid, memo, memo_at, label, label_at, deleted, duplicate_of, is_remote, version, _cid = row
        mine = _state(memo, _dt(memo_at), label, _dt(label_at), _dt(deleted))
        theirs = _state(
            remote.get("memo"),
            parse_time(remote.get("memo_edited_at")),
            remote.get("label"),
            parse_time(remote.get("label_edited_at")),
            parse_time(remote.get("deleted_at")),
        )
        merged = merge(mine, theirs)
        if rollback:
            merged = SegmentState(memo=theirs.memo, label=theirs.label, deleted_at=merged.deleted_at)
        new_duplicate = None if remote.get("billed", True) else remote.get("duplicate_of")
        if is_remote and int(remote.get("version") or 0) > version:
            # Another computer's segment grew there: its capture data is theirs, so take it.
            capture_updates.append(_capture_values(remote, sid))
            changed += 1
        if merged == mine and new_duplicate == duplicate_of:
            continue
        updates.append(
            (
                merged.memo.value,
                _ts(merged.memo.edited_at) if merged.memo.edited_at else None,
                merged.label.value,
                _ts(merged.label.edited_at) if merged.label.edited_at else None,
                _ts(merged.deleted_at) if merged.deleted_at else None,
                new_duplicate,
                sid,
            )
        )
        changed += 1
    if updates:
        local_db.cursor().executemany(
            "UPDATE capture_segment SET memo = ?, memo_edited_at = ?, label = ?, label_edited_at = ?,"
            " deleted_at = ?, duplicate_of = ? WHERE id = ?",
            updates,
        )
    for values in capture_updates:
        _write_capture(values)
    return changed


def _capture_values(remote: dict, sid: int) -> tuple:
    start = parse_time(remote["start"])
    seconds = min(600.0, max(0.0, float(remote.get("logged_seconds") or 0)))
    return (
        sid,
        int(remote.get("version") or 1),
        seconds,
        _ts(start + timedelta(seconds=seconds)),
        remote.get("app_name"),
        remote.get("window_title"),
        1 if remote.get("manual") else 0,
        remote.get("minutes") or [],
    )


def _write_capture(values: tuple) -> None:
    sid, version, seconds, until, app, title, manual, minutes = values
    local_db.execute_sql(
        "UPDATE capture_segment SET version = ?, logged_seconds = ?, logged_until = ?, app_name = ?,"
        " window_title = ?, manual = ? WHERE id = ? AND remote = 1",
        (version, seconds, until, app, title, manual, sid),
    )
    local_db.execute_sql("DELETE FROM capture_minute WHERE segment_id = ?", (sid,))
    _write_minutes(sid, minutes)


def _write_minutes(sid: int, minutes: list) -> None:
    counts = [
        (sid, minute, int(c[0]), int(c[1]), int(c[2]))
        for minute, c in enumerate(minutes[:10])
        if len(c) == 3 and any(c)
    ]
    if counts:
        local_db.cursor().executemany(
            "INSERT INTO capture_minute (segment_id, minute, keys, clicks, scrolls) VALUES (?, ?, ?, ?, ?)", counts
        )


def _import_remote(remote: dict) -> bool:
    """Copy another computer's segment in (marked remote). Not copied: a duplicate (its slot's
    billed copy is the one shown), a deleted segment (nothing to show), and a segment whose
    contract and 10 minutes this computer logged itself (ours stays; the diary has both)."""
    if not remote.get("billed", True) or remote.get("deleted_at"):
        return False
    start = parse_time(remote["start"])
    taken = local_db.execute_sql(
        "SELECT 1 FROM capture_segment WHERE contract_id = ? AND start = ?", (remote["contract_id"], _ts(start))
    ).fetchone()
    if taken:
        return False
    memo_at, label_at = parse_time(remote.get("memo_edited_at")), parse_time(remote.get("label_edited_at"))
    _sid, version, seconds, until, app, title, manual, minutes = _capture_values(remote, 0)
    sid = local_db.execute_sql(
        "INSERT INTO capture_segment (uuid, contract_id, start, logged_seconds, logged_until, app_name, window_title,"
        " memo, label, manual, updated_at, version, memo_edited_at, label_edited_at, remote)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id",
        (
            remote["uuid"],
            remote["contract_id"],
            _ts(start),
            seconds,
            until,
            app,
            title,
            remote.get("memo"),
            remote.get("label"),
            manual,
            _ts(parse_time(remote.get("updated_at")) or start),
            version,
            _ts(memo_at) if memo_at else None,
            _ts(label_at) if label_at else None,
        ),
    ).fetchone()[0]
    _write_minutes(sid, minutes)
    return True
