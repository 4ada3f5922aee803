"""The snapshot moment: screen (desktop or active screen), active window, optional camera.

Each part is independent: a failing camera or window source leaves a status string in the
record and the screen snapshot still happens; nothing here raises. An all-black screen grab is
not encoded: the record carries ``BLANK_SCREEN`` instead (see ``tracker.capture_check``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.capture import CAMERA_OFF
from tracker import imaging
from tracker.capture_check import BLANK_SCREEN
from tracker.ports import OK, CameraSource, ScreenSource, SnapshotRecord, WindowSource
from tracker.privacy import DEFAULT_HIDDEN_TITLE_PATTERNS, redact_title

log = logging.getLogger(__name__)


class Scope(StrEnum):
    """Which part of the screen a snapshot shows (a user preference)."""

    DESKTOP = "desktop"  # all monitors, stitched as they are arranged
    ACTIVE_SCREEN = "active_screen"  # the monitor holding the active window, else the pointer


@dataclass
class Preferences:
    """What the user chose; may be changed while logging (read at each snapshot)."""

    scope: Scope = Scope.DESKTOP
    camera_enabled: bool = False
    hidden_title_patterns: Sequence[str] = field(default_factory=lambda: list(DEFAULT_HIDDEN_TITLE_PATTERNS))
    screen_quality: int = imaging.SCREEN_QUALITY


def take_snapshot(
    at: datetime,
    screen: ScreenSource,
    window: WindowSource,
    camera: CameraSource | None,
    prefs: Preferences,
) -> SnapshotRecord:
    """Grab and encode everything for one snapshot moment ``at``."""
    app: str | None = None
    title: str | None = None
    rect = None
    try:
        info = window.active_window()
        if info is not None:
            app = info.app or None
            title = redact_title(info.title, prefs.hidden_title_patterns) or None
            rect = info.rect
    except Exception as exc:  # a source bug must not cost the snapshot
        log.warning("active window lookup failed: %s", exc)

    screen_img = None
    try:
        region = None
        if prefs.scope == Scope.ACTIVE_SCREEN:
            point = rect.center if rect is not None else window.pointer()
            region = imaging.choose_monitor(screen.monitors(), point)
        raw = screen.grab(region)
        if imaging.is_blank(raw):  # nothing on it to keep: the row says why instead
            screen_status = BLANK_SCREEN
        else:
            screen_img = imaging.encode_screen(raw, prefs.screen_quality)
            screen_status = screen.health()
    except Exception as exc:
        log.warning("screen snapshot failed: %s", exc)
        screen_status = f"screen snapshot failed: {exc}"
        if screen.health() != OK:
            screen_status = screen.health()

    cam_img = None
    if not prefs.camera_enabled or camera is None:
        camera_status = CAMERA_OFF
    else:
        try:
            frame = camera.grab()
            if frame is not None:
                cam_img = imaging.encode(frame, imaging.CAMERA_QUALITY)
            camera_status = camera.health()
        except Exception as exc:
            log.warning("camera snapshot failed: %s", exc)
            camera_status = f"camera snapshot failed: {exc}"

    return SnapshotRecord(
        taken_at=at,
        screen=screen_img,
        screen_status=screen_status,
        camera=cam_img,
        camera_status=camera_status,
        app=app,
        title=title,
    )
