"""Honest capture status: pure rules that tell a working screen capture from one that only
looks like it works.

Two failures produce images that are worse than none, because they would be uploaded as proof
of work that they do not show:

- **blank**: every pixel black. What a grab returns through XWayland on a Wayland session, on
  macOS without the Screen Recording permission, or with the screen locked. Such an image is
  **not stored and not uploaded** (there is nothing on it); the segment keeps its time and
  activity, and its screen row records :data:`BLANK_SCREEN` instead of a file (as for a failed
  grab), so the Work Diary shows a segment without a snapshot rather than a black picture.
- **frozen**: byte-for-byte the same image as the previous :data:`FROZEN_REPEATS` snapshots
  while input was counted in every one of those segments. Someone typing and clicking for that
  long changes something on the screen, so the capture is returning a stale frame. The image is
  **kept and uploaded** after its review as usual (it is what capture returned, and a very still
  screen is possible), but its screen row and the status line carry :data:`FROZEN_SCREEN`.

Nothing here loses logged time: the rules only change what a snapshot row says.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

#: How many earlier snapshots, each with input counted, an identical image must follow to be
#: called frozen (so the fourth identical snapshot in a row, 40 minutes of work, is flagged).
FROZEN_REPEATS = 3

BLANK_SCREEN = (
    "Screen capture returns a blank image: the snapshot was all black, so it was not stored or "
    "uploaded (the segment's time is kept). On Wayland, sign in to an X11 ('Xorg') session; on "
    "macOS, allow Team in System Settings > Privacy & Security > Screen Recording and restart it; "
    "unlock the screen if it was locked."
)
FROZEN_SCREEN = (
    "Screen capture returns the same image again and again while you work: the last snapshots are "
    "identical although keys and clicks were counted. Restart the Team app; if it stays, sign in to "
    "an X11 ('Xorg') session or check the screen-recording permission, and delete snapshots that do "
    "not show your work."
)


@dataclass(frozen=True)
class Shot:
    """What the rules need to know of one snapshot: no pixels, only a verdict and a hash."""

    blank: bool
    sha256: str | None  # None when there is no image (a failed grab)
    input_counted: bool  # keys, clicks or scrolls were counted in the snapshot's segment


class CaptureCheck:
    """Remembers the last few snapshots and judges each new one.

    ``judge`` returns None for a good snapshot, else the sentence for the status line and the
    snapshot's row. A failed grab (no hash) neither flags nor resets the history: it says so
    itself."""

    def __init__(self, repeats: int = FROZEN_REPEATS) -> None:
        if repeats < 1:
            raise ValueError("repeats must be at least 1")
        self._repeats = repeats
        self._recent: deque[Shot] = deque(maxlen=repeats)

    def judge(self, shot: Shot) -> str | None:
        if shot.blank:
            return BLANK_SCREEN
        if shot.sha256 is None:
            return None
        previous = list(self._recent)
        self._recent.append(shot)
        if (
            shot.input_counted
            and len(previous) == self._repeats
            and all(p.sha256 == shot.sha256 and p.input_counted for p in previous)
        ):
            return FROZEN_SCREEN
        return None

    def reset(self) -> None:
        self._recent.clear()
