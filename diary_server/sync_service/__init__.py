"""The sync protocol's rules on the diary server: segment upsert, snapshot upload, tombstones,
memo and label edits, and the changes feed (one module each, re-exported here).

The server enforces the rules itself, whatever a Team app sends: no deletion after the work
week ends, no memo or label edit and no new time after the week locks, no new time on a
paused or ended contract, no segment in the future, and one billed segment per contract and
10 minutes (a second computer's copy is kept, marked as a duplicate and not billed).

Merging follows the conflict rules of ``core/reconcile.py`` (the same pure function):
a deletion wins over an edit; memo and label are last-writer-wins by edit time (ties: larger
value); capture data with the higher version wins. Every upload is keyed by the Team app's
UUID, so a retry after a lost response changes nothing. Every change adds a row to the
changes feed, whose id is the pull cursor; on PostgreSQL those rows are added under a
transaction-scoped advisory lock so ids become visible in order (a reader never skips one).
A feed row remembers the API session that wrote it (its *origin*), and a pull leaves out the
caller's own writes: the writer has their result from its push's answer already.
"""

from __future__ import annotations

from diary_server.sync_service.common import (
    _PG_CHANGES_LOCK,
    EARLIEST,
    FUTURE_SKEW,
    IMAGE_TYPES,
    LATEST,
    MAX_BATCH,
    MAX_MEMO,
    MAX_PIXELS,
    MAX_SIDE,
    MAX_SNAPSHOT_BYTES,
    UUID_RE,
    Refusal,
    SyncError,
    accepts_time,
    newer,
    request_time,
    segment_json,
    session_origin,
    snapshot_json,
)
from diary_server.sync_service.edits import BulkEdit, edit_segment, edit_segments, get_segment, when_utc
from diary_server.sync_service.feed import changes, locked_before
from diary_server.sync_service.snapshots import get_snapshot, upload_snapshot, verify_image
from diary_server.sync_service.upsert import push

__all__ = [
    "EARLIEST",
    "FUTURE_SKEW",
    "IMAGE_TYPES",
    "LATEST",
    "MAX_BATCH",
    "MAX_MEMO",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MAX_SNAPSHOT_BYTES",
    "UUID_RE",
    "_PG_CHANGES_LOCK",
    "BulkEdit",
    "Refusal",
    "SyncError",
    "accepts_time",
    "changes",
    "edit_segment",
    "edit_segments",
    "get_segment",
    "get_snapshot",
    "locked_before",
    "newer",
    "push",
    "request_time",
    "segment_json",
    "session_origin",
    "snapshot_json",
    "upload_snapshot",
    "verify_image",
    "when_utc",
]
