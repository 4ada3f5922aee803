"""The Work Diary's value types, shared by the cache, both programs' stores and the views:
one segment as both programs know it, a deletion's plan, who is looking, and hours as H:MM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FREELANCER = "freelancer"
CLIENT = "client"

#: Cell states, in the order they win when several apply.
DELETED, MANUAL, OVER, IDLE, LOGGED = "deleted", "manual", "over", "idle", "logged"
STATE_TEXT = {
    DELETED: "Deleted",
    MANUAL: "Manual time",
    OVER: "Over the weekly limit",
    IDLE: "No activity",
    LOGGED: "Logged",
}
#: How the client sees a deletion: as time removed, nothing more.
REMOVED = "removed"


@dataclass(slots=True)
class SegmentRecord:
    """One 10-minute segment as both programs know it.

    Not frozen: a week view builds 1,008 of them per request, and a frozen dataclass's
    ``__init__`` costs a ``object.__setattr__`` per field; treat them as read-only anyway.
    ``minutes`` holds up to ten ``(keys, clicks, scrolls)`` tuples (minute 0 first);
    ``screen_id``/``camera_id`` identify snapshot images that still exist (None: none, or
    deleted). ``id`` is whatever the caller's edit endpoints take back (a row id, a UUID).
    """

    id: int | str
    start: datetime
    logged_seconds: float
    minutes: tuple[tuple[int, int, int], ...] = ()
    app_name: str | None = None
    window_title: str | None = None
    memo: str | None = None
    label: str | None = None
    manual: bool = False
    deleted: bool = False
    screen_id: int | str | None = None
    camera_id: int | str | None = None
    #: Without per-minute ``minutes`` (the week grid needs none): the activity level and the
    #: segment's (keys, clicks, scrolls) sums, as the caller's database computed them.
    activity: int | None = None
    sums: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class DeletionPlan:
    """What deleting the snapshots of a selection would do: the confirmation's numbers
    (``ids``: the segments', as the program names them)."""

    ids: list
    segments: int
    minutes: int
    snapshots: int

    @property
    def text(self) -> str:
        shots = f"{self.snapshots} screen snapshot{'s' if self.snapshots != 1 else ''}"
        return (
            f"Delete {shots} and remove {hm(self.minutes)} of logged time ({self.segments} segment"
            f"{'s' if self.segments != 1 else ''}) from this week? Deleted time is not billed; "
            "this cannot be undone."
        )


def hm(minutes: int) -> str:
    """``125`` -> ``"2:05"``."""
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"
