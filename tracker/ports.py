"""The ports the capture loop talks to, and the small value types that cross them.

The loop never touches mss, pynput, X11, OpenCV or SQLite directly: it sees only these
Protocols, each with a real implementation (``tracker.sources``, ``models.capture_store``)
and a fake (``tracker.fakes``). That is what lets unit tests drive a whole 8-hour day with a
fake clock in milliseconds, and lets each OS get its own backend behind the same shape.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from core.capture import (  # noqa: F401  (the ports' value types, re-exported for the engine's modules)
    OK,
    STARTING,
    Counts,
    EncodedImage,
    SegmentState,
    SegmentUpdate,
    SnapshotRecord,
    StorageFull,
)

if TYPE_CHECKING:  # only for annotations: PIL is imported by whoever makes images
    from PIL.Image import Image


class InputTally:
    """The three counters every input counter keeps, shared by listener threads and the
    loop. ``add`` and ``take`` hold one lock, so a count added while the loop takes the
    minute's counts lands either in this minute or in the next, never in neither (the
    unit tests hammer this from several threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys = 0
        self._clicks = 0
        self._scrolls = 0

    def add(self, keys: int = 0, clicks: int = 0, scrolls: int = 0) -> None:
        with self._lock:
            self._keys += keys
            self._clicks += clicks
            self._scrolls += scrolls

    def take(self) -> Counts:
        """The counts since the previous ``take``, reset in the same critical section."""
        with self._lock:
            counts = Counts(self._keys, self._clicks, self._scrolls)
            self._keys = self._clicks = self._scrolls = 0
        return counts

    def peek(self) -> Counts:
        """The counts since the last ``take``, without resetting (idle detection, benches)."""
        with self._lock:
            return Counts(self._keys, self._clicks, self._scrolls)


@dataclass(frozen=True)
class Rect:
    """A rectangle in virtual-desktop pixels (monitors may have negative origins)."""

    left: int
    top: int
    width: int
    height: int

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height

    @property
    def center(self) -> tuple[int, int]:
        return self.left + self.width // 2, self.top + self.height // 2


@dataclass(frozen=True)
class WindowInfo:
    """The active window at one instant: app name and title (as the OS reports them) and,
    for choosing the active screen only, where it is. Nothing else about windows is kept."""

    app: str
    title: str
    rect: Rect | None = None


class Clock(Protocol):
    """Time, for the loop. ``now`` is wall time (aware, UTC); ``monotonic`` only measures
    elapsed time, so the loop can tell a real minute from a wall-clock jump or a suspend."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def wait_until(self, deadline: datetime, stop: threading.Event) -> bool:
        """Block until wall time reaches ``deadline`` or ``stop`` is set.

        Returns True if ``stop`` was set. Must not busy-poll: an idle logger should cost
        nothing between its few wake-ups.
        """
        ...


class ScreenSource(Protocol):
    """Screen pixels. ``grab(None)`` is the whole desktop (all monitors as arranged);
    ``grab(rect)`` is that part of it. The image is RGB, or a zero-copy BGR view made by
    ``tracker.imaging.from_bgrx`` (read its pixels through ``imaging.to_rgb``)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def monitors(self) -> list[Rect]: ...

    def grab(self, region: Rect | None) -> Image: ...

    def health(self) -> str: ...


class InputCounter(Protocol):
    """Counts keystrokes, clicks and scroll actions, from listener threads."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def take(self) -> Counts:
        """Return the counts since the previous ``take`` and reset them, atomically."""
        ...

    def health(self) -> str: ...


class WindowSource(Protocol):
    """The active application and window title, read only when a snapshot is taken."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def active_window(self) -> WindowInfo | None: ...

    def pointer(self) -> tuple[int, int] | None: ...

    def health(self) -> str: ...


class CameraSource(Protocol):
    """One still frame on demand (the device is opened only for that frame)."""

    def grab(self) -> Image | None:
        """A frame, or None when there is no camera (``health`` then says why)."""
        ...

    def health(self) -> str: ...


class CaptureSink(Protocol):
    """Where the loop's results go (SQLite + files in the app; a list in tests)."""

    def segment_state(self, contract_id: int, segment: datetime) -> SegmentState | None: ...

    def logged_until(self) -> datetime | None:
        """The latest instant ever logged (any contract): time before it is never logged
        again, so a clock set back cannot produce overlapping segments."""
        ...

    def record(self, update: SegmentUpdate) -> int | None:
        """Store ``update`` all or nothing; raises :class:`StorageFull` on a full disk.

        Returns the id of the screen snapshot row written, None if the update carried none."""
        ...

    def low_space(self) -> str | None:
        """The directory whose disk is full while writes still succeed (into a reserve)."""
        ...
