"""Sending a batch so that one bad item cannot hold back the rest: a pure algorithm over two
callbacks, so it is tested without a diary.

If the diary refuses the whole batch (4xx) or fails on it (5xx), each half is sent on its own,
down to single items. A single item it refuses is parked (``park``); a single item it still
fails on is returned as "crashing" (the caller decides, once it knows the diary answers other
requests, whether the item or the diary is at fault). 429 and 503 are about the server, not
the items: they end the round at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sync.sync_errors import Refused, ServerBusy

T = TypeVar("T")
Outcome = tuple[bool, list[T], ServerBusy | None]


def send_isolating(
    items: Sequence[T], send: Callable[[Sequence[T]], None], park: Callable[[T, Refused], None]
) -> Outcome[T]:
    """``send`` the items; returns whether the diary answered for any of them, the single items
    it failed on, and its last failure."""
    try:
        send(items)
    except Refused as exc:
        if len(items) == 1:
            park(items[0], exc)
            return True, [], None
        return _halves(items, send, park)
    except ServerBusy as exc:
        if exc.status in (429, 503) or exc.status < 500:
            raise
        if len(items) == 1:
            return False, list(items), exc
        try:
            went, crashing, error = _halves(items, send, park)
        except ServerBusy as busy:  # the diary is in trouble after all: report the first failure
            raise exc from busy
        return went, crashing, error or exc
    return True, [], None


def _halves(items: Sequence[T], send: Callable[[Sequence[T]], None], park: Callable[[T, Refused], None]) -> Outcome[T]:
    middle = len(items) // 2
    crashing: list[T] = []
    went, error = False, None
    for half in (items[:middle], items[middle:]):
        half_went, half_crashing, half_error = send_isolating(half, send, park)
        went, crashing, error = went or half_went, crashing + half_crashing, half_error or error
    return went, crashing, error
