"""Idle time, from the per-minute counts alone: when no input came for the preferred number of
minutes, and, once input comes again, the interval the freelancer may keep or discard. A small
state machine with no clock of its own, so a fake clock drives it in tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class IdleTracker:
    last_active: datetime | None = None
    idle_since: datetime | None = None

    def restart(self, now: datetime) -> None:
        """Logging (re)starts: the user is active now."""
        self.last_active, self.idle_since = now, None

    def minute(self, active: Iterable[datetime], now: datetime, idle_minutes: int) -> tuple[datetime, datetime] | None:
        """Take a minute tick: ``active`` are the ends of minutes that had input. Returns the idle
        interval (start, end) when input came back after one, else None. ``idle_minutes`` 0
        means idle detection is off."""
        came_back = None
        newest = max(active, default=None)
        if newest is not None and (self.last_active is None or newest > self.last_active):
            if self.idle_since is not None and idle_minutes:
                came_back = (self.idle_since, newest - timedelta(minutes=1))
                self.idle_since = None
            self.last_active = newest
        if (
            idle_minutes
            and self.idle_since is None
            and self.last_active is not None
            and now - self.last_active >= timedelta(minutes=idle_minutes)
        ):
            self.idle_since = self.last_active
        return came_back
