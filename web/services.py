"""What the Team app's routes and app.py share, as one typed object on ``app.extensions``.

It used to be a dict of string keys read in some forty places, with three clocks; a
misspelt key was a KeyError at run time and an editor could not say what any value was.
The factory fills it (some parts only once logging is wired, some only by app.py) and
:func:`services` reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    import peewee

    from desktop.notify import Presence
    from desktop.time_logging import TimeLoggingController
    from settings_load import Settings
    from sync.credentials import TokenStore
    from sync.worker import SyncWorker
    from tracker.loop import CaptureLoop
    from tracker.ports import CameraSource, Clock
    from web.live import Hub

EXTENSION = "teamapp"


@dataclass
class TeamServices:
    settings: Settings
    #: The one clock (the capture loop's Clock port: aware UTC; the test clock in tests).
    clock: Clock
    token_store: TokenStore
    #: Makes the diary client for a URL (tests route it to an in-process diary server).
    client_factory: Callable[..., Any]
    notifier: Any = None
    db: peewee.Database | None = None
    #: What start-up recovery found wrong with the database, in the user's words.
    db_damage: str | None = None
    #: Shown on the main screen and printed at start (damage, orphaned snapshot files).
    storage_notice: str | None = None
    loop: CaptureLoop | None = None
    controller: TimeLoggingController | None = None
    hub: Hub | None = None
    camera: CameraSource | None = None
    presence: Presence | None = None
    #: Set by app.py when it runs the sync worker / an embedded diary.
    sync_worker: SyncWorker | None = None
    embedded_diary: bool = False
    shutdown: Callable[[], object] = lambda: None

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)


def services(app: Flask | None = None) -> TeamServices:
    return (app or current_app).extensions[EXTENSION]
