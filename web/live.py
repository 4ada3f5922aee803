"""Pushing HTML fragments to every open page over its WebSocket.

Each page keeps one socket and the hub keeps, per socket, the latest HTML of each screen part
not yet sent. A burst of changes (a test clock crossing an hour, a laptop waking up) therefore
reaches a page as one message with the newest state of each part, instead of a flood of
swaps that would replace the switch under the user's click; a slow page never makes the hub
grow, and nothing it shows can stay stale.
"""

from __future__ import annotations

import threading


class Connection:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[str, str] = {}

    def offer(self, parts: dict[str, str]) -> None:
        with self._cond:
            self._pending.update(parts)
            self._cond.notify()

    def take(self, timeout: float) -> str | None:
        """The pending parts as one message, or None when nothing came within ``timeout``."""
        with self._cond:
            if not self._pending and not self._cond.wait_for(lambda: bool(self._pending), timeout):
                return None
            message = "\n".join(self._pending.values())
            self._pending.clear()
            return message


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: set[Connection] = set()

    def connect(self) -> Connection:
        connection = Connection()
        with self._lock:
            self._connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def publish(self, parts: dict[str, str]) -> None:
        """``parts``: screen part name -> its HTML (marked for an out-of-band swap)."""
        with self._lock:
            targets = list(self._connections)
        for connection in targets:
            connection.offer(parts)
