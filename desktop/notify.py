"""Desktop notifications (snapshot review, reminders, idle, the weekly limit).

They are shown only when the Team app's page is not in front (the page tells the server
when it is hidden or shown); otherwise the prompt in the window is enough. Sending happens
on its own thread through desktop-notifier, so a slow or missing notification server never
delays logging or the UI.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    image: Path | None = None
    #: Button label -> what pressing it does (e.g. "Delete" -> delete that snapshot).
    actions: dict[str, Callable[[], None]] = field(default_factory=dict)


class Presence:
    """Whether a Team page is visible right now (reported by the page itself)."""

    def __init__(self) -> None:
        self._visible: dict[str, bool] = {}
        self._lock = threading.Lock()

    def report(self, page_id: str, visible: bool) -> None:
        with self._lock:
            self._visible[page_id[:64]] = visible
            if len(self._visible) > 50:  # forget pages long gone
                self._visible.pop(next(iter(self._visible)))

    def in_front(self) -> bool:
        with self._lock:
            return any(self._visible.values())


class DesktopNotifier:
    """Sends notices with desktop-notifier on a background thread; never raises."""

    def __init__(self, app_name: str, icon: Path | None = None, backend_factory: Callable | None = None):
        self._app_name = app_name
        self._icon = icon
        self._backend_factory = backend_factory
        self._queue: queue.Queue = queue.Queue(maxsize=50)
        self._thread: threading.Thread | None = None
        self.status = "not used yet"

    def send(self, notice: Notice) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            log.warning("notification queue full; dropping %r", notice.title)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(5)

    def _backend(self):
        if self._backend_factory is not None:
            return self._backend_factory()
        from desktop_notifier import DesktopNotifierSync, Icon

        icon = Icon(path=self._icon) if self._icon and self._icon.exists() else None
        return (
            DesktopNotifierSync(app_name=self._app_name, app_icon=icon)
            if icon
            else DesktopNotifierSync(app_name=self._app_name)
        )

    def _run(self) -> None:
        try:
            backend = self._backend()
        except Exception as exc:  # no D-Bus, no notification server, missing library
            self.status = f"desktop notifications are unavailable: {exc}"
            log.info(self.status)
            backend = None
        while True:
            notice = self._queue.get()
            if notice is None:
                return
            if backend is None:
                continue
            try:
                self._deliver(backend, notice)
                self.status = "OK"
            except Exception as exc:  # the notification server went away; the window prompt remains
                self.status = f"desktop notifications failed: {exc}"
                log.info(self.status)

    def _deliver(self, backend, notice: Notice) -> None:
        if self._backend_factory is not None:
            backend.send(notice)
            return
        from desktop_notifier import Attachment, Button

        buttons = [Button(title=label, on_pressed=action) for label, action in notice.actions.items()]
        attachment = Attachment(path=notice.image) if notice.image and notice.image.exists() else None
        backend.send(title=notice.title, message=notice.body, buttons=buttons, attachment=attachment)
