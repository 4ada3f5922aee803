"""What happens around logging: the switch, memos, snapshot review, reminders, idle, the limit.

The capture loop only records; this controller turns its events into what the freelancer
sees (fragments pushed over the page's WebSocket, desktop notifications) and applies the
rules the UI owns. Loop events are handed to one worker thread (``screen_worker``), so
the loop never waits on rendering, the database or a notification server. Time comes from
the same Clock port as the loop's, so the test clock moves everything at once. The current
memo lives in ``current_memo``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core import rules
from desktop import current_memo, resume, weekly_limit
from desktop.idle import IdleTracker
from desktop.memory import release_free_memory
from desktop.notify import Notice
from desktop.refusals import StartRefused
from desktop.screen_state import Review, UiState
from desktop.screen_worker import ScreenWorker
from models import segments as seg_store
from models.local import Contract, local_db
from sync import outbox
from tracker.events import LoggingStarted, LoggingStopped, SegmentUpdated, SnapshotTaken
from tracker.ports import OK, STARTING

log = logging.getLogger(__name__)


class TimeLoggingController:
    def __init__(
        self,
        *,
        loop,
        clock,
        preferences: Callable[[], Any],  # the saved Preferences (web/preferences.py), read fresh
        contract_lookup: Callable[[int], Contract | None],
        on_change: Callable[[set[str]], None],
        notify: Callable[[Notice], None] | None = None,
        data_dir=None,
    ) -> None:
        """``on_change(parts)`` is called on the worker thread with the names of the screen
        parts that changed ("panel", "prompts", "status"); the web layer re-renders and
        pushes them. ``notify(notice)`` shows a desktop notification when the page is not in front."""
        self.loop = loop
        self.clock = clock
        self._prefs = preferences
        self._contract = contract_lookup
        self._on_change = on_change
        self._notify = notify or (lambda notice: None)
        self.data_dir = data_dir
        self.state = UiState()
        self._lock = threading.RLock()
        self._worker = ScreenWorker(self._handle, on_change, name="logging-ui")
        self._contract_id: int | None = None
        self._stopped = True  # set when the loop says it stopped, cleared when logging starts
        self._idle = IdleTracker()
        self._last_reminder: datetime | None = None
        self._warned_week: tuple[int, datetime] | None = None
        self._unsubscribe = loop.subscribe(self._worker.put)
        #: Called after every edit the freelancer makes here (memo, delete, keep, idle), so the
        #: sync worker uploads it at once; set by the composition root.
        self.after_edit: Callable[[], None] = lambda: None
        #: Called on the worker thread after each loop event is handled (e.g. the tray icon).
        self.watchers: list[Callable[[], None]] = []

    # --- lifecycle ------------------------------------------------------------------------

    def start_worker(self) -> TimeLoggingController:
        self._worker.start()
        return self

    def shutdown(self) -> None:
        """Stop logging (storing the last interval) and the worker."""
        if self.loop.running:
            self.loop.stop("app closed")
        opened = local_db.is_closed()  # (a caller's own connection stays open)
        if opened:
            local_db.connect()
        try:
            resume.mark_off()  # quitting is a stop on purpose: the next start begins off
        finally:
            if opened:
                local_db.close()
        self._worker.stop(10)
        self._unsubscribe()

    def refresh(self, *parts: str) -> None:
        """Re-render and push screen parts that changed elsewhere (e.g. the sync worker's
        upload state), on this controller's worker so rendering stays on one thread."""
        self._worker.refresh(parts)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every event so far has been handled (the test clock uses this)."""
        self._worker.drain(timeout)

    # --- the switch -------------------------------------------------------------------------

    @property
    def logging(self) -> bool:
        return self.loop.running and not self._stopped

    def status(self):
        """The loop's status, except that logging counts as off from the moment the loop said
        it stopped: its thread may still be finishing while the screen is rendered, and a push
        showing "on" after the switch answered "off" would undo the user's click."""
        status = self.loop.status()
        if status.logging and self._stopped:
            return replace(status, logging=False, contract_id=None, segment=None, logged_seconds=0.0, activity_level=0)
        if not status.logging and not self._stopped and self.loop.running:
            # Switched on, the loop thread still starting its sources: on, as the switch said,
            # and the sources "starting" rather than "not running (logging is off)"; the
            # LoggingStarted event re-renders the status line with what they really say.
            starting = {k: STARTING for k in ("capture", "input", "window") if getattr(status, k) != OK}
            return replace(status, logging=True, contract_id=self._contract_id, **starting)
        return status

    @property
    def contract_id(self) -> int | None:
        return self._contract_id if self.logging else None

    def start(self, contract_id: int | None) -> None:
        if contract_id is None:
            raise StartRefused("Select the contract you are working on first.")
        contract = self._contract(contract_id)
        if contract is None:
            raise StartRefused("That contract is not in your list any more; refresh the list.")
        if contract.status != "active":
            raise StartRefused(
                f"“{contract.title}” is {contract.status}: time can only be logged on an active contract."
            )
        now = self.clock.now()
        limit_reached = self._limit_reached(contract, now)
        if limit_reached:
            raise StartRefused(limit_reached)
        with self._lock:
            self._contract_id = contract_id
            self._idle.restart(now)
            self._last_reminder = now
            self.state.stop_message = None
            self.state.limit_message = None
            self.state.resume_message = None
            if self.state.limit_warning and self.state.limit_warning[0] != contract_id:
                self.state.limit_warning = None
        # Neither start nor stop waits for the loop thread (starting the sources, storing the
        # last interval and the stop's snapshot): the switch answers at once, and the loop's
        # LoggingStarted/LoggingStopped events re-render the screen when it is done.
        self.loop.start(contract_id, wait=False)
        resume.mark_on(contract_id, now)
        # Only now: the previous run (if still storing its stop) has finished, and its late
        # LoggingStopped, handled on the worker meanwhile, must not turn this run off.
        self._stopped = False

    def stop(self, reason: str = "switched off") -> None:
        self._stopped = True
        resume.mark_off()
        self.loop.stop(reason, wait=False)

    def resume_after_unclean_stop(self, tz) -> str | None:
        """At start: switch logging back on if the app died while it was on (see desktop/resume.py)."""
        message = resume.resume_after_unclean_stop(self, tz)
        if message:
            with self._lock:
                self.state.resume_message = message
            self._notify(Notice("Team app", message))
            self._on_change({"panel", "prompts", "status"})
        return message

    def wait_stopped(self, timeout: float = 30.0) -> bool:
        """Wait until a stop has stored everything (tests and the test clock use this)."""
        return self.loop.wait_stopped(timeout)

    # --- memo -------------------------------------------------------------------------------

    def memo(self) -> tuple[str, str]:
        return current_memo.current()

    def set_memo(self, memo: str, label: str, contract: Contract | None) -> None:
        """Remember the memo and label; they apply to the current segment and the next ones."""
        now = self.clock.now()
        current_memo.save(memo, label, contract, self.loop.status(), now)
        with self._lock:
            self.state.reminder_at = None
            self._last_reminder = now
        self.after_edit()

    def fill_memo(self, update, segment_id: int, image_ids) -> None:
        """Sink hook, inside the segment's write transaction: a new segment gets the memo."""
        current_memo.fill_new_segment(update, segment_id, self._contract, self.clock.now())

    # --- snapshot review --------------------------------------------------------------------

    def answer_review(self, image_id: int, delete: bool) -> str | None:
        """Keep or delete a snapshot from its prompt; returns a message for the screen."""
        with self._lock:
            self.state.reviews.pop(image_id, None)
        message = None
        if delete:
            seg_store.delete_snapshot(image_id, self.data_dir, self.clock.now())
            message = "Snapshot deleted: that segment's time and activity will not be billed."
        else:
            outbox.release_snapshot(image_id)
        self.after_edit()
        # Keep changes nothing on the panel: pushing it would only replace the switch under
        # the user's next click.
        self._on_change({"panel", "prompts"} if delete else {"prompts"})
        return message

    def say(self, message: str | None = None, error: str | None = None) -> None:
        """Show the answer to an action until the next minute tick."""
        with self._lock:
            self.state.flash, self.state.flash_error = message, error

    def pending_reviews(self) -> list[Review]:
        now = self.clock.now()
        with self._lock:
            return [r for r in self.state.reviews.values() if r.deadline > now]

    # --- idle and reminders -----------------------------------------------------------------

    def answer_idle(self, keep: bool) -> str:
        with self._lock:
            idle, self.state.idle = self.state.idle, None
            contract_id = self._contract_id
        if idle is None or contract_id is None:
            return "Nothing to decide."
        if keep:
            self._on_change({"prompts"})
            return "Idle time kept."
        removed = seg_store.discard_interval(contract_id, idle[0], idle[1], self.clock.now())
        self.after_edit()
        self._on_change({"panel", "prompts"})
        minutes = removed // 60
        return f"Discarded {minutes} idle minute{'' if minutes == 1 else 's'}."

    def dismiss_reminder(self) -> None:
        with self._lock:
            self.state.reminder_at = None
        self._on_change({"prompts"})

    # --- loop events (on the worker) ----------------------------------------------------------

    def _handle(self, event) -> None:
        now = self.clock.now()
        prefs = self._prefs()
        changed = {"panel"}
        if isinstance(event, LoggingStarted):
            changed.add("status")  # (start() said it is on; a late event must not undo a stop)
        elif isinstance(event, LoggingStopped):
            with self._lock:
                if event.reason not in ("switched off", "app closed"):
                    self.state.stop_message = f"Logging stopped: {event.reason}."
            if not self.loop.running or self.loop.stop_requested:
                self._stopped = True  # else it is a late event of a run before the current one
                resume.mark_off()  # the weekly limit, a source failing: stopped, and said so
            changed |= {"status", "prompts"}
        elif isinstance(event, SnapshotTaken):
            # A grab that failed or came out blank has no image to review: the status line says why.
            if prefs.notifications and event.snapshot_id is not None and event.record.screen is not None:
                deadline = event.record.taken_at + timedelta(seconds=prefs.review_seconds)
                with self._lock:
                    self.state.reviews[event.snapshot_id] = Review(
                        event.snapshot_id, event.segment, event.contract_id, deadline
                    )
                self._notify(self._review_notice(event, prefs))
            changed |= {"prompts", "status"}  # the status line names a blank or frozen capture
        elif isinstance(event, SegmentUpdated):
            with self._lock:
                if self.state.flash or self.state.flash_error:
                    self.state.flash = self.state.flash_error = None
                    changed.add("prompts")
            changed |= self._after_minute(event, now, prefs)
        changed |= self._expire_reviews(now)
        self._on_change(changed)
        for watcher in self.watchers:
            watcher()
        # At most once a minute while logging (the loop's wake-ups): the snapshot's full-screen
        # buffers, and what the sync worker's uploads freed meanwhile, go back to the system.
        release_free_memory()

    def _review_notice(self, event: SnapshotTaken, prefs) -> Notice:
        record = event.record
        image = seg_store.image_by_id(event.snapshot_id)
        thumb = self.data_dir / image.thumb_path if image is not None and image.thumb_path and self.data_dir else None

        def answer(delete: bool) -> Callable[[], None]:
            def press() -> None:
                with local_db.connection_context():
                    try:
                        self.answer_review(event.snapshot_id, delete=delete)
                    except seg_store.EditRefused:
                        log.info("snapshot %s could not be deleted from the notification", event.snapshot_id)

            return press

        return Notice(
            "Snapshot taken",
            f"{record.app or 'Unknown application'}: {record.title or ''}\n"
            f"Uploads in {prefs.review_seconds} s unless you delete it (that segment's time goes too).",
            image=thumb,
            actions={"Delete": answer(True), "Keep": answer(False)},
        )

    def _expire_reviews(self, now: datetime) -> set[str]:
        with self._lock:
            expired = [i for i, r in self.state.reviews.items() if r.deadline <= now]
            for image_id in expired:
                del self.state.reviews[image_id]  # no answer means keep
        return {"prompts"} if expired else set()

    def _after_minute(self, event: SegmentUpdated, now: datetime, prefs) -> set[str]:
        changed: set[str] = set()
        # Idle: the newest minute with input, from the per-minute counts.
        active = [event.segment + timedelta(minutes=i + 1) for i, c in enumerate(event.minute_counts) if c.total > 0]
        with self._lock:
            came_back = self._idle.minute(active, now, prefs.idle_minutes)
            if came_back is not None:
                self.state.idle = came_back
                self._notify(Notice("Welcome back", "You were idle. Keep or discard that time in Team."))
                changed.add("prompts")
            # Reminders.
            if (
                prefs.reminder_minutes
                and self._last_reminder is not None
                and now - self._last_reminder >= timedelta(minutes=prefs.reminder_minutes)
            ):
                self._last_reminder = now
                self.state.reminder_at = now
                memo, _ = self.memo()
                self._notify(Notice("What are you working on?", f"Current memo: {memo or '(none)'}"))
                changed.add("prompts")
        # Weekly limit.
        contract = self._contract(event.contract_id)
        if contract is not None and contract.weekly_limit_hours:
            changed |= self._check_limit(contract, now)
        return changed

    def _week_minutes(self, contract: Contract, now: datetime) -> int:
        week = rules.week_start(now)
        return seg_store.billable_minutes_between(contract.id, week, week + rules.WEEK)

    def _limit_reached(self, contract: Contract, now: datetime) -> str | None:
        if not contract.weekly_limit_hours:
            return None
        return weekly_limit.reached(self._week_minutes(contract, now), contract.weekly_limit_hours, contract.title)

    def _check_limit(self, contract: Contract, now: datetime) -> set[str]:
        used = self._week_minutes(contract, now)
        reached = weekly_limit.reached(used, contract.weekly_limit_hours, contract.title)
        if reached:
            with self._lock:
                self.state.limit_message = (contract.id, reached)
            self._stopped = True
            self.loop.stop("weekly limit reached")
            self._notify(Notice("Weekly limit reached", reached))
            return {"prompts", "status"}
        week = rules.week_start(now)
        message = weekly_limit.warning(used, contract.weekly_limit_hours)
        if message and self._warned_week != (contract.id, week):
            self._warned_week = (contract.id, week)
            with self._lock:
                self.state.limit_warning = (contract.id, message)
            self._notify(Notice("Weekly limit almost reached", message))
            return {"prompts"}
        return set()
