"""The capture loop: one thread per logging run, and the small API the UI uses.

::

    loop = CaptureLoop(clock=SystemClock(), sink=SqliteCaptureSink(data_dir),
                       **real_sources(camera=settings.camera))
    unsubscribe = loop.subscribe(on_event)      # SegmentUpdated, SnapshotTaken, ...
    loop.start(contract_id)                     # logging ON
    loop.status()                               # CaptureStatus: logging?, health per source
    loop.stop()                                 # logging OFF (takes a pending snapshot)

The thread sleeps on the clock between wake-ups (whole minutes, the snapshot instant, the
stop) and does nothing else: an idle logger costs one short wake-up a minute.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from core import rules
from tracker.capture_check import BLANK_SCREEN, CaptureCheck, Shot
from tracker.events import Event, EventBus, Listener, LoggingStopped
from tracker.ports import (
    OK,
    CameraSource,
    CaptureSink,
    Clock,
    InputCounter,
    ScreenSource,
    SnapshotRecord,
    WindowSource,
)
from tracker.session import MAX_INTERVAL_SECONDS, CaptureSession
from tracker.snapshot import CAMERA_OFF, Preferences, take_snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureStatus:
    """What the UI shows: whether logging is on, the current segment, and per part of the
    capture either ``"OK"`` or a sentence saying what is wrong and what to do."""

    logging: bool
    contract_id: int | None
    segment: datetime | None
    logged_seconds: float
    activity_level: int
    capture: str
    input: str
    window: str
    camera: str
    storage: str
    #: Logged minutes held in memory because the disk is full (shown in the totals too).
    unsaved_minutes: int = 0

    @property
    def healthy(self) -> bool:
        return all(v == OK for v in (self.capture, self.input, self.window, self.storage)) and self.camera in (
            OK,
            CAMERA_OFF,
        )

    def health(self) -> dict[str, str]:
        return {
            "capture": self.capture,
            "input": self.input,
            "window": self.window,
            "camera": self.camera,
            "storage": self.storage,
        }


class CaptureLoop:
    """Runs logging for one contract at a time on a background thread."""

    def __init__(
        self,
        *,
        clock: Clock,
        sink: CaptureSink,
        screen: ScreenSource,
        inputs: InputCounter,
        window: WindowSource,
        camera: CameraSource | None = None,
        preferences: Preferences | None = None,
        rng: random.Random | None = None,
        max_interval_seconds: float = MAX_INTERVAL_SECONDS,
    ) -> None:
        """``max_interval_seconds``: the longest interval between wake-ups that is still
        logged (longer means suspend or a clock change); only a sped-up clock needs more."""
        self._max_interval = max_interval_seconds
        self._clock = clock
        self._sink = sink
        self._screen = screen
        self._inputs = inputs
        self._window = window
        self._camera = camera
        self._prefs = preferences or Preferences()
        self._rng = rng or random.Random()
        self._bus = EventBus()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._stop_reason = "stopped"
        self._session: CaptureSession | None = None
        self._contract_id: int | None = None
        self._error: str | None = None
        #: What the last snapshots showed was wrong (blank, frozen): the status line says it
        #: until a good snapshot comes (tracker.capture_check).
        self._capture_flag: str | None = None
        self._check = CaptureCheck()

    # --- API for the UI -----------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event (on the loop thread; keep it quick).
        Returns a function that unsubscribes."""
        return self._bus.subscribe(listener)

    @property
    def preferences(self) -> Preferences:
        return self._prefs

    def set_preferences(self, prefs: Preferences) -> None:
        """Takes effect at the next snapshot, even while logging."""
        self._prefs = replace(prefs)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stop_requested(self) -> bool:
        """The current run was asked to stop (it may still be storing its last interval)."""
        return self._stop.is_set()

    def start(self, contract_id: int, *, wait: bool = True) -> None:
        """Turn logging on for ``contract_id`` (stopping a run for another contract, or a run
        that was asked to stop and is still storing its last interval). With ``wait=False`` it
        returns as soon as the loop thread exists: starting the sources (X connections, the
        input listener) takes tens of milliseconds that the UI need not wait for."""
        with self._lock:
            if self.running:
                if not self._stop.is_set() and self._contract_id == contract_id:
                    return
                self._stop_locked("switched contract")
            self._stop = threading.Event()
            self._stop_reason = "stopped"
            self._error = None
            self._session = None  # until the new run's session is ready
            self._contract_id = contract_id
            ready = threading.Event()
            self._thread = threading.Thread(
                target=self._run,
                args=(contract_id, self._stop, ready),
                name="capture-loop",
                daemon=True,
            )
            self._thread.start()
        if wait:
            ready.wait(10)

    def stop(self, reason: str = "stopped", *, wait: bool = True) -> None:
        """Turn logging off; returns once the last interval (and, if its instant had not come,
        the segment's snapshot) is stored. With ``wait=False`` it only asks the loop to stop
        (the UI answers at once; :meth:`wait_stopped` waits for the rest). From a listener (on
        the loop thread) it only asks."""
        if self._thread is threading.current_thread():
            self._request_stop(reason)  # the caller of _stop_locked may hold the lock, joining us
            return
        with self._lock:
            if wait:
                self._stop_locked(reason)
            else:
                self._request_stop(reason)

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until a stop asked for has finished storing; True when the loop is not running."""
        thread = self._thread
        if thread is not None and self._stop.is_set():
            thread.join(timeout)
        return not (thread is not None and thread.is_alive())

    def status(self) -> CaptureStatus:
        session = self._session if self.running else None
        seg = session.segment if session else None
        camera = CAMERA_OFF
        if self._prefs.camera_enabled and self._camera is not None:
            camera = self._camera.health()
        return CaptureStatus(
            logging=session is not None,
            contract_id=session.contract_id if session else None,
            segment=seg.start if seg else None,
            logged_seconds=seg.logged if seg else 0.0,
            activity_level=rules.activity_level(c.total for c in seg.minutes) if seg else 0,
            capture=self._error or self._capture_flag or self._screen.health(),
            input=self._inputs.health(),
            window=self._window.health(),
            camera=camera,
            storage=session.storage_status if session else OK,
            unsaved_minutes=session.unsaved_minutes if session else 0,
        )

    # --- thread -------------------------------------------------------------------------

    def _request_stop(self, reason: str) -> None:
        if self._thread is not None and not self._stop.is_set():  # a stop asked for keeps its reason
            self._stop_reason = reason
            self._stop.set()

    def _stop_locked(self, reason: str) -> None:
        thread = self._thread
        if thread is None:
            return
        self._request_stop(reason)
        if thread is threading.current_thread():
            return  # stop() from a listener: the loop finishes as soon as the listener returns
        thread.join()
        self._thread = None

    def _snapshot(self, at: datetime) -> SnapshotRecord:
        record = take_snapshot(at, self._screen, self._window, self._camera, self._prefs)
        seg = self._session.segment if self._session is not None else None
        counted = any(c.total for c in seg.minutes) if seg is not None else False
        shot = Shot(
            blank=record.screen_status == BLANK_SCREEN,
            sha256=record.screen.sha256 if record.screen is not None else None,
            input_counted=counted or self._inputs_seen(),
        )
        verdict = self._check.judge(shot)
        if verdict is not None:
            self._capture_flag = verdict
            if record.screen_status != verdict:  # frozen: the image stays, its row says why
                record = replace(record, screen_status=verdict)
        elif record.screen is not None:
            self._capture_flag = None
        return record

    def _inputs_seen(self) -> bool:
        peek = getattr(self._inputs, "peek", None)
        try:
            return bool(peek is not None and peek().total)
        except Exception:  # a source without a usable peek: the segment's counts decide
            return False

    def _run(self, contract_id: int, stop: threading.Event, ready: threading.Event) -> None:
        started: list = []
        session = None
        try:
            # Sources are started on this thread: X connections stay with one thread.
            for source in (self._inputs, self._window, self._screen):
                try:
                    source.start()
                    started.append(source)
                except Exception as exc:  # health() of that source says why
                    log.warning("capture source %s did not start: %s", type(source).__name__, exc)
            session = CaptureSession(
                contract_id,
                clock=self._clock,
                sink=self._sink,
                inputs=self._inputs,
                take_snapshot=self._snapshot,
                rng=self._rng,
                emit=self._emit,
                max_interval_seconds=self._max_interval,
            )
            session.begin()
            self._session = session
            ready.set()
            while not self._clock.wait_until(session.next_wake(), stop):
                session.wake()
                if session.stop_reason is not None:
                    self._request_stop(session.stop_reason)
                    break
            session.finish(self._stop_reason)
        except Exception as exc:
            log.exception("capture loop failed")
            self._error = f"capture stopped by an internal error: {exc}"
            self._emit(LoggingStopped(contract_id, self._clock.now(), self._error))
        finally:
            ready.set()
            release = getattr(self._sink, "release_thread", None)
            if release is not None:
                try:
                    release()
                except Exception:
                    log.exception("releasing the sink failed")
            for source in reversed(started):
                try:
                    source.stop()
                except Exception:
                    log.exception("stopping %s failed", type(source).__name__)

    def _emit(self, event: Event) -> None:
        self._bus.emit(event)
