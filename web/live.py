"""Pushing HTML fragments to every open page over its WebSocket.

Each page keeps one socket; the hub gives each a bounded queue. A page that stops reading
(a frozen tab) loses old pushes rather than blocking logging: on reconnect it receives the
whole current state again, so nothing it shows can stay stale.
"""

from __future__ import annotations

import queue
import threading

QUEUE_SIZE = 200


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: set[queue.Queue] = set()

    def connect(self) -> queue.Queue:
        q: queue.Queue = queue.Queue(QUEUE_SIZE)
        with self._lock:
            self._queues.add(q)
        return q

    def disconnect(self, q: queue.Queue) -> None:
        with self._lock:
            self._queues.discard(q)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._queues)

    def publish(self, html: str) -> None:
        with self._lock:
            targets = list(self._queues)
        for q in targets:
            try:
                q.put_nowait(html)
            except queue.Full:  # a page that does not read; it re-syncs when it reconnects
                try:
                    q.get_nowait()
                    q.put_nowait(html)
                except (queue.Empty, queue.Full):
                    pass
