"""Snapshot uploads and tombstones, the second half of a sync round (segments go first: the
diary refuses a snapshot whose segment it does not have yet).

Kept apart from :mod:`sync.worker` so that the round reads as a list of steps; the worker
builds one :class:`SnapshotPush` per round with its clock, data dir and settings.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from models.local import local_db
from models.segments import OUTBOX_SNAPSHOT
from sync import outbox
from sync.diary_client import DiaryClient, DiaryError
from sync.payloads import NOT_SENT, image_rows, iso_time, upload_one
from sync.sync_errors import Refused
from sync.sync_state import ITEM_RETRY, MAX_BATCHES_PER_ROUND, RETRYABLE_CODES, RoundResult


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass
class SnapshotPush:
    clock: Clock
    data_dir: Path
    batch_size: int
    upload_streams: int

    def run(self, client: DiaryClient, result: RoundResult) -> None:
        self._push_snapshots(client, result)

    def _push_snapshots(self, client: DiaryClient, result: RoundResult) -> None:
        for _ in range(MAX_BATCHES_PER_ROUND):
            items = outbox.due(OUTBOX_SNAPSHOT, self.clock.now(), self.batch_size)
            if not items:
                return
            rows = image_rows([i.local_id for i in items])
            tombstones: list[tuple[outbox.Item, dict]] = []
            uploads: list[tuple[outbox.Item, dict]] = []
            nothing: list[outbox.Item] = []
            for item in items:
                row = rows.get(item.local_id)
                if row is None or (row["deleted_at"] is None and row["path"] is None):
                    nothing.append(item)  # nothing to upload (a failed capture attempt)
                elif row["deleted_at"] is not None:
                    tombstones.append(
                        (
                            item,
                            {
                                "uuid": row["uuid"],
                                "segment_uuid": row["segment_uuid"],
                                "kind": row["kind"],
                                "deleted_at": iso_time(row["deleted_at"]),
                            },
                        )
                    )
                else:
                    uploads.append((item, row))
            if nothing:
                with local_db.atomic():
                    outbox.done_many(nothing)
            self._upload_all(client, uploads, result)
            if tombstones:
                answer = client.sync_push([], [t for _, t in tombstones])
                by_uuid = {r["uuid"]: r for r in answer.get("snapshot_results", [])}
                with local_db.atomic():
                    for item, _ in tombstones:
                        self._simple_result(item, by_uuid.get(item.uuid.lower()), result)

    def _upload_all(self, client: DiaryClient, uploads: list[tuple[outbox.Item, dict]], result: RoundResult) -> None:
        """Upload a batch's snapshots over ``upload_streams`` keep-alive connections at once.

        A lone stream leaves both ends idle in turn (the diary waits while this side reads and
        encodes the next file, then this side waits while the diary verifies and stores), so
        two overlap that. The threads only read files and talk HTTP (each holds one encoded
        snapshot, so memory stays flat); the outcomes are written here, in one transaction per
        batch. Each upload is idempotent by UUID, so whatever the diary stored before a network
        failure is acknowledged and the rest is simply sent again in a later round."""
        if not uploads:
            return
        halted = threading.Event()  # a round-ending failure: start no further uploads

        def upload(pair: tuple[outbox.Item, dict]) -> DiaryError | OSError | None:
            if halted.is_set():
                return NOT_SENT
            outcome = upload_one(client, self.data_dir, pair[1])
            if isinstance(outcome, DiaryError) and not isinstance(outcome, Refused):
                halted.set()
            return outcome

        if self.upload_streams <= 1 or len(uploads) == 1:
            outcomes = [upload(pair) for pair in uploads]
        else:
            with ThreadPoolExecutor(self.upload_streams, thread_name_prefix="sync-upload") as pool:
                outcomes = list(pool.map(upload, uploads))
        acked: list[outbox.Item] = []
        failure: DiaryError | None = None
        with local_db.atomic():
            for (item, _row), outcome in zip(uploads, outcomes, strict=True):
                if outcome is None:
                    acked.append(item)
                elif isinstance(outcome, OSError):
                    outbox.park(item, "file_missing", f"The snapshot file cannot be read ({outcome.strerror}).")
                    result.parked += 1
                elif isinstance(outcome, Refused):
                    if outcome.code in RETRYABLE_CODES:
                        outbox.retry_later(item, self.clock.now() + ITEM_RETRY, str(outcome))
                    else:
                        outbox.park(item, outcome.code, str(outcome))
                        result.parked += 1
                elif outcome is not NOT_SENT and failure is None:
                    failure = outcome
            outbox.done_many(acked)
        result.uploaded += len(acked)
        if failure is not None:
            raise failure

    def _simple_result(self, item: outbox.Item, answer: dict | None, result: RoundResult) -> None:
        if answer is not None and answer["status"] == "ok":
            outbox.done(item)
            result.uploaded += 1
        elif answer is None or (answer.get("code") in RETRYABLE_CODES):
            outbox.retry_later(item, self.clock.now() + ITEM_RETRY, (answer or {}).get("message") or "no answer")
        else:
            outbox.park(item, answer.get("code") or "refused", answer.get("message") or "Refused by the diary.")
            result.parked += 1
