"""Two steps of a sync round, apart from the worker's thread and retry logic: applying the
diary's answers to a segment push, and pulling the changes feed."""

from __future__ import annotations

from datetime import datetime

from models.capture_store import CaptureSegment
from models.local import get_state, local_db, set_state
from models.remote_segments import apply_remote_segments, parse_time
from sync import outbox
from sync.contracts import store_contracts
from sync.diary_client import DiaryClient
from sync.sync_state import CURSOR_KEY, ITEM_RETRY, LOCKED_KEY, PULL_LIMIT, RETRYABLE_CODES, RoundResult

_ts = CaptureSegment.start.db_value


def segment_results(items: list[outbox.Item], by_uuid: dict[str, dict], result: RoundResult, now: datetime) -> None:
    """Apply a batch's answers in one transaction: acknowledged items leave the outbox in one
    statement, the diary's states are merged in one pass (see :func:`apply_remote_segments`)."""
    acked: list[outbox.Item] = []
    merged: list[dict] = []
    for item in items:
        answer = by_uuid.get(item.uuid.lower())
        if answer is None:
            outbox.retry_later(item, now + ITEM_RETRY, "The diary did not answer for this segment.")
            continue
        remote = answer.get("segment")
        if answer["status"] in ("ok", "duplicate"):
            if remote:
                merged.append(remote)
            if answer["status"] == "duplicate":
                result.duplicates += 1
            acked.append(item)
            result.pushed += 1
            continue
        code, message = answer.get("code") or "refused", answer.get("message") or "Refused by the diary."
        if code in RETRYABLE_CODES:
            outbox.retry_later(item, now + ITEM_RETRY, message)
            continue
        if code == "week_locked" and remote:
            apply_remote_segments([remote], rollback=True)
            message += " Your change was undone here."
        outbox.park(item, code, message)
        result.parked += 1
    apply_remote_segments(merged)
    outbox.done_many(acked)


def pull_changes(client: DiaryClient, diary_url: str, result: RoundResult) -> None:
    key = f"{CURSOR_KEY}:{diary_url}"
    cursor = int(get_state(key) or 0)
    while True:
        page = client.sync_changes(cursor, PULL_LIMIT)
        with local_db.atomic():
            result.pulled += apply_remote_segments(page.get("segments", []), import_missing=True)
            if page.get("contracts"):
                store_contracts(diary_url, page["contracts"], complete=False)
                result.contracts_changed = True
            if page.get("locked_before"):
                set_state(f"{LOCKED_KEY}:{diary_url}", page["locked_before"])
            for snap in page.get("snapshots", []):
                if snap.get("deleted_at"):
                    local_db.execute_sql(
                        "UPDATE capture_image SET deleted_at = COALESCE(deleted_at, ?) WHERE uuid = ?",
                        (_ts(parse_time(snap["deleted_at"])), snap["uuid"]),
                    )
            cursor = int(page["cursor"])
            set_state(key, str(cursor))
        if not page.get("more"):
            return
