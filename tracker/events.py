"""Events the loop emits to its listeners (the UI, a notifier), and a tiny fan-out.

Listeners are called on the loop's thread and must return quickly (hand work to another
thread or queue); an exception in one listener is logged and never stops logging.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.ports import Counts, SnapshotRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentUpdated:
    """A segment received time and counts (every minute, at snapshots and at the stop)."""

    contract_id: int
    segment: datetime
    logged_seconds: float
    billable_minutes: int
    activity_level: int
    minute_counts: tuple[Counts, ...]


@dataclass(frozen=True)
class SnapshotTaken:
    """The segment's snapshot moment happened. ``snapshot_id`` is what the sink returned
    (the database row id in the app), for the review prompt."""

    contract_id: int
    segment: datetime
    snapshot_id: Any
    record: SnapshotRecord


@dataclass(frozen=True)
class TimeJump:
    """Wall time moved differently from elapsed time (suspend, clock change): the interval
    since the previous wake-up was not logged."""

    at: datetime
    wall_seconds: float
    elapsed_seconds: float


@dataclass(frozen=True)
class LoggingStarted:
    contract_id: int
    at: datetime


@dataclass(frozen=True)
class LoggingStopped:
    contract_id: int
    at: datetime
    reason: str


Event = SegmentUpdated | SnapshotTaken | TimeJump | LoggingStarted | LoggingStopped
Listener = Callable[[Event], None]


class EventBus:
    """Subscribe/unsubscribe and emit, safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add ``listener``; returns a function that removes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not stop logging
                log.exception("capture event listener failed on %s", type(event).__name__)
