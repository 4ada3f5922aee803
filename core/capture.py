"""What the capture engine produces and the cache stores: plain values, no behaviour.

They sit below both ``tracker/`` (which makes them) and ``models/`` (which stores them), so the
cache needs nothing of the capture engine. Counts only, never which key or what was clicked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: Health value of a source that works.
OK = "OK"
#: Health value shown in the moment between the switch and the loop starting the sources.
STARTING = "starting"
#: The camera status of a snapshot when camera snapshots are switched off.
CAMERA_OFF = "camera snapshots are off (enable them in Preferences)"


@dataclass
class Counts:
    """Input events in some interval: counts only, never which key or what was clicked."""

    keys: int = 0
    clicks: int = 0
    scrolls: int = 0

    @property
    def total(self) -> int:
        return self.keys + self.clicks + self.scrolls

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.keys + other.keys, self.clicks + other.clicks, self.scrolls + other.scrolls)


@dataclass(frozen=True)
class EncodedImage:
    """An image ready to store: encoded bytes plus what the database records about it."""

    data: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str
    mime: str = "image/jpeg"


@dataclass(frozen=True)
class SnapshotRecord:
    """What one segment's snapshot moment produced."""

    taken_at: datetime
    screen: EncodedImage | None
    screen_status: str
    camera: EncodedImage | None
    camera_status: str
    app: str | None
    title: str | None


@dataclass
class SegmentUpdate:
    """One write of the loop: seconds and per-minute counts to add to a segment, possibly
    with its snapshot. A sink applies it in one transaction."""

    contract_id: int
    segment: datetime
    add_seconds: float
    logged_until: datetime
    minute_counts: dict[int, Counts] = field(default_factory=dict)
    snapshot: SnapshotRecord | None = None


@dataclass(frozen=True)
class SegmentState:
    """What the sink already holds for a segment (so a restart never takes a second
    snapshot or over-fills a segment)."""

    logged_seconds: float
    has_snapshot: bool
    minute_counts: tuple[Counts, ...] = ()


class StorageFull(Exception):
    """The sink could not write because the disk holding ``directory`` is full."""

    def __init__(self, directory: str) -> None:
        super().__init__(f"the disk is full ({directory})")
        self.directory = directory
