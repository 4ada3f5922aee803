"""The logging controller's one worker thread, so that the capture loop never waits on the screen.

The loop's events (a minute logged, a snapshot, a stop), other threads' requests to re-render
parts of the screen, and drain markers go into one queue and are handled in order on one
thread: rendering stays on one thread, and a slow database, template or notification server
delays only this queue. Each item is handled inside its own cache connection, and an item
that fails is logged and skipped: the screen must never take logging down.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

from models.local import local_db

log = logging.getLogger(__name__)


class ScreenWorker:
    def __init__(self, handle: Callable[[Any], None], refresh: Callable[[set[str]], None], name: str) -> None:
        """``handle(event)`` takes each loop event; ``refresh(parts)`` re-renders screen parts."""
        self._handle = handle
        self._refresh = refresh
        self._name = name
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def put(self, event: Any) -> None:
        """Queue a loop event (the loop's subscriber)."""
        self._queue.put(event)

    def refresh(self, parts: Iterable[str]) -> None:
        self._queue.put(frozenset(parts))

    def drain(self, timeout: float) -> None:
        """Wait until every item queued so far has been handled."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Handle what is queued, then end the thread."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            if isinstance(item, frozenset):  # refresh(): screen parts another thread changed
                try:
                    with local_db.connection_context():
                        self._refresh(set(item))
                except Exception:
                    log.exception("refreshing %s failed", sorted(item))
                continue
            try:
                with local_db.connection_context():
                    self._handle(item)
            except Exception:  # the UI must never take logging down
                log.exception("handling %r failed", item)
