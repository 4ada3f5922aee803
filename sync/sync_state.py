"""The sync worker's settings and what a round leaves behind: the state keys in ``app_state``
that the status line reads, the backoff rule, and one round's result. Kept apart from the
worker so the status line (and tests) read them without the worker's HTTP side."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from models.segments import LOCKED_BEFORE_KEY
from sync import outbox
from sync.sync_errors import ServerBusy

BATCH = 200
#: Longest a round pushes before it pulls (and lets a stop request in).
MAX_BATCHES_PER_ROUND = 50
#: A worker without a listener (or whose listener cannot reach the diary) pulls this often.
IDLE_SECONDS = 15.0
#: While the listener holds a pull open, the worker's own pull is only a safety net.
SAFETY_NET_SECONDS = 600.0
#: The whole contract list is fetched again this often (changes come through the feed).
CONTRACT_REFRESH = timedelta(hours=1)
BACKOFF_BASE = 2.0
BACKOFF_CAP = 60.0  # a diary back from an outage is seen within a minute
#: An item-level "not yet" (e.g. a snapshot whose segment the diary does not have yet).
ITEM_RETRY = timedelta(seconds=30)
#: Refusals that a later attempt can fix by itself.
RETRYABLE_CODES = {"segment_unknown"}
#: A segment the diary fails on (HTTP 500) while other segments go through is tried this many
#: times, then parked under "needs attention" with the reason.
CRASH_ATTEMPTS = 5
PULL_LIMIT = 500
#: Snapshot uploads in flight at once (see :meth:`SyncWorker._upload_all`).
UPLOAD_STREAMS = 2

CURSOR_KEY = "sync_cursor"
OFFLINE_KEY = "sync_offline_since"
#: The HTTP status of the diary's last 5xx answer while it is failing (reached, not offline).
SERVER_ERROR_KEY = "sync_server_error"
PROBLEM_KEY = "sync_problem"
#: The diary's lock boundary (time before it is locked for invoicing), per diary URL.
LOCKED_KEY = LOCKED_BEFORE_KEY


def backoff_seconds(failures: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: 2, 4, 8 ... capped at 60 s, each times 0.5-1.0."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1)) * (0.5 + rng.random() / 2)


@dataclass
class RoundResult:
    pushed: int = 0
    uploaded: int = 0
    pulled: int = 0
    parked: int = 0
    duplicates: int = 0
    contracts_changed: bool = False
    failure: str | None = None
    delay: float = IDLE_SECONDS
    notes: list[str] = field(default_factory=list)
    #: Segments the diary failed on (5xx) when sent alone, and that failure.
    crashing: list[outbox.Item] = field(default_factory=list)
    crash_error: ServerBusy | None = None
