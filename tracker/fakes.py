"""Fakes of every port, for unit tests and for running the loop without a desktop.

The fake clock advances only when the test says so (:meth:`FakeClock.advance_to`) and then
instantly, so a whole working day runs in milliseconds and no test sleeps.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core import rules
from tracker.ports import (
    OK,
    Counts,
    InputTally,
    Rect,
    SegmentState,
    SegmentUpdate,
    StorageFull,
    WindowInfo,
)

if TYPE_CHECKING:
    from PIL.Image import Image


class FakeClock:
    """Wall + monotonic time under test control.

    ``wait_until`` moves time forward by itself, but never past the limit set by
    :meth:`advance_to`; at the limit it blocks until the test raises it or stops the loop.
    :meth:`jump` changes wall time without elapsed time (a clock change), and
    :meth:`suspend` advances wall time only (what a resumed laptop sees).
    """

    def __init__(self, start: datetime) -> None:
        self._now = rules.to_utc(start)
        self._mono = 1000.0
        self._limit = self._now
        self._cond = threading.Condition()
        self._waiting = False

    def now(self) -> datetime:
        with self._cond:
            return self._now

    def monotonic(self) -> float:
        with self._cond:
            return self._mono

    def wait_until(self, deadline: datetime, stop: threading.Event) -> bool:
        with self._cond:
            while True:
                if stop.is_set():
                    self._waiting = False
                    return True
                if self._now >= deadline:
                    self._waiting = False
                    return False
                if self._limit > self._now:
                    self._tick(min(deadline, self._limit) - self._now)
                    continue
                self._waiting = True
                self._cond.notify_all()
                self._cond.wait(0.01)  # the stop event is not tied to the condition

    def _tick(self, delta: timedelta) -> None:
        self._now += delta
        self._mono += delta.total_seconds()

    # --- test controls ------------------------------------------------------------------

    def set(self, t: datetime) -> None:
        """Move time (wall and elapsed) forward with no loop running."""
        with self._cond:
            t = rules.to_utc(t)
            self._tick(t - self._now)
            self._limit = self._now

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    def advance_to(self, t: datetime, timeout: float = 10.0) -> None:
        """Let a running loop's time move to ``t``; return once it sleeps at ``t``."""
        t = rules.to_utc(t)
        with self._cond:
            self._limit = t
            self._waiting = False
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: self._waiting and self._now >= t, timeout):
                raise TimeoutError(f"loop did not reach {t} (now {self._now})")

    def wait_reached(self, t: datetime, timeout: float) -> bool:
        """True once a running loop sleeps at or after ``t``; False if that has not happened
        within ``timeout`` seconds (the caller decides whether the loop is still there)."""
        t = rules.to_utc(t)
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting and self._now >= t, timeout)

    def allow_until(self, t: datetime) -> None:
        """Let a running loop's time move up to ``t`` without waiting for it."""
        with self._cond:
            self._limit = rules.to_utc(t)
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Return once a running loop sleeps at the current limit."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._waiting, timeout):
                raise TimeoutError("loop did not go to sleep")

    def jump(self, delta: timedelta) -> None:
        """Wall clock set forward/back by ``delta``; no time elapses."""
        with self._cond:
            self._now += delta
            self._limit = max(self._limit + delta, self._now)

    def suspend(self, duration: timedelta) -> None:
        """Wall time passes but monotonic time does not (Linux/macOS suspend)."""
        self.jump(duration)


class FakeScreen:
    """Monitors of given sizes; ``grab`` returns a flat image of the region with its top
    row numbering the grab (a screen that changes, as a real one does while you work).
    ``frozen`` returns the very same image every time, ``blank`` an all-black one (what a
    broken capture returns: ``tracker.capture_check``)."""

    def __init__(
        self,
        monitors: list[Rect] | None = None,
        fail: str | None = None,
        *,
        frozen: bool = False,
        blank: bool = False,
    ) -> None:
        self._monitors = monitors or [Rect(0, 0, 160, 90)]
        self.fail = fail
        self.frozen = frozen
        self.blank = blank
        self.grabs: list[Rect | None] = []
        self.started = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def monitors(self) -> list[Rect]:
        return list(self._monitors)

    def grab(self, region: Rect | None) -> Image:
        from PIL import Image as PILImage

        self.grabs.append(region)
        if self.fail:
            raise RuntimeError(self.fail)
        if region is None:
            left = min(m.left for m in self._monitors)
            top = min(m.top for m in self._monitors)
            right = max(m.left + m.width for m in self._monitors)
            bottom = max(m.top + m.height for m in self._monitors)
            size = (right - left, bottom - top)
        else:
            size = (region.width, region.height)
        if self.blank:
            return PILImage.new("RGB", size)
        image = PILImage.new("RGB", size, (200, 120, 40))
        if not self.frozen:
            n = len(self.grabs)  # in binary along the top row: survives the palette step
            for bit in range(min(16, size[0])):
                image.putpixel((bit, 0), (255, 255, 255) if n >> bit & 1 else (0, 0, 0))
        return image

    def health(self) -> str:
        return self.fail or OK


class FakeInput:
    """Counters the test (or a thread standing in for a listener) bumps directly."""

    def __init__(self) -> None:
        self._tally = InputTally()
        self.running = False

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def add(self, keys: int = 0, clicks: int = 0, scrolls: int = 0) -> None:
        self._tally.add(keys, clicks, scrolls)

    def take(self) -> Counts:
        return self._tally.take()

    def health(self) -> str:
        return OK


class FakeWindow:
    def __init__(self, info: WindowInfo | None = None, pointer: tuple[int, int] | None = None):
        self.info = info
        self.pointer_at = pointer
        self.reads = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def active_window(self) -> WindowInfo | None:
        self.reads += 1
        return self.info

    def pointer(self) -> tuple[int, int] | None:
        return self.pointer_at

    def health(self) -> str:
        return OK


class FakeCamera:
    """A camera that yields a flat frame, or none with a status message."""

    def __init__(self, available: bool = True) -> None:
        self.available = available
        self.grabs = 0

    def grab(self) -> Image | None:
        from PIL import Image as PILImage

        self.grabs += 1
        return PILImage.new("RGB", (64, 48), (10, 200, 10)) if self.available else None

    def health(self) -> str:
        return OK if self.available else "no camera found at index 0"


class MemorySink:
    """Keeps segments and updates in memory, with the same semantics as the SQLite sink."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.updates: list[SegmentUpdate] = []
        self.segments: dict[tuple[int, datetime], dict] = {}
        self._until: datetime | None = None
        #: Set to a directory to make every write fail as on a full disk.
        self.full: str | None = None
        #: Set to a directory to report writes going into a reserve.
        self.low: str | None = None

    def segment_state(self, contract_id: int, segment: datetime) -> SegmentState | None:
        with self._lock:
            row = self.segments.get((contract_id, segment))
            if row is None:
                return None
            return SegmentState(row["seconds"], row["snapshot"] is not None, tuple(row["minutes"]))

    def logged_until(self) -> datetime | None:
        with self._lock:
            return self._until

    def low_space(self) -> str | None:
        return self.low

    def record(self, update: SegmentUpdate) -> int | None:
        if self.full is not None:
            raise StorageFull(self.full)
        with self._lock:
            self.updates.append(update)
            row = self.segments.setdefault(
                (update.contract_id, update.segment),
                {"seconds": 0.0, "minutes": [Counts() for _ in range(10)], "snapshot": None},
            )
            row["seconds"] = rules.clamp_logged_seconds(row["seconds"] + update.add_seconds)
            for minute, counts in update.minute_counts.items():
                row["minutes"][minute] = row["minutes"][minute] + counts
            if update.snapshot is not None:
                row["snapshot"] = update.snapshot
            if self._until is None or update.logged_until > self._until:
                self._until = update.logged_until
            return len(self.updates) if update.snapshot is not None else None

    # helpers for assertions
    def seconds(self, contract_id: int, segment: datetime) -> float:
        return self.segments[(contract_id, segment)]["seconds"]

    def snapshots(self) -> list:
        return [u.snapshot for u in self.updates if u.snapshot is not None]
