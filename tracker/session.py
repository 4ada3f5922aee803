"""One logging run (start..stop for a contract) as a synchronous state machine.

The loop thread calls :meth:`CaptureSession.begin`, then repeatedly sleeps until
:meth:`next_wake` and calls :meth:`wake`, and finally :meth:`finish` at the stop. Unit
tests call the same methods with a fake clock, so every rule below is tested without
threads or sleeping.

What a wake-up does: it takes the input counts of the interval since the previous wake-up
and credits that interval (cut at segment boundaries by :func:`core.rules.split_by_segment`)
to its segment, in one sink write per segment piece. Wake-ups happen only at whole
minutes (so at most the last minute of counts is at risk), at the segment's snapshot
instant and at the stop.

Time jumps: every credited interval must look like real elapsed time. If wall time went
backwards, advanced by more than a wake-up period, or disagrees with the monotonic clock
(suspend/resume, a manual clock change), the interval is not logged at all ("the gap is
simply not logged"). Time earlier than anything already logged is never logged again (the
sink's ``logged_until`` floor), so segments can neither overlap nor exceed ten minutes.
Time zones play no part: everything is UTC.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core import rules
from tracker.events import (
    Event,
    LoggingStarted,
    LoggingStopped,
    SegmentUpdated,
    SnapshotTaken,
    TimeJump,
)
from tracker.ports import (
    CaptureSink,
    Clock,
    Counts,
    InputCounter,
    SegmentUpdate,
    SnapshotRecord,
    StorageFull,
)

log = logging.getLogger(__name__)

#: Wake-ups are at most a minute apart; a longer interval means the process did not run
#: (suspend, a stopped process, a clock jump) and is not logged.
MAX_INTERVAL_SECONDS = 75.0
#: How far wall time and monotonic time may disagree over one interval before it counts as
#: a clock change (NTP slews far less than this).
JUMP_TOLERANCE_SECONDS = 2.0
#: Failed writes kept for retry (a day of minutes); older ones are dropped.
MAX_PENDING_WRITES = 1440
#: How many logged minutes may wait in memory because the disk is full: at this many the
#: run stops (a crash would lose them, and the user must free space anyway).
DISK_FULL_STOP_MINUTES = 30


@dataclass
class SegmentProgress:
    """The session's view of the segment it is logging into (what the status shows)."""

    start: datetime
    logged: float
    minutes: list[Counts]
    has_snapshot: bool
    snapshot_at: datetime | None = None


class CaptureSession:
    """Credits time and counts to segments and decides the snapshot moments."""

    def __init__(
        self,
        contract_id: int,
        *,
        clock: Clock,
        sink: CaptureSink,
        inputs: InputCounter,
        take_snapshot: Callable[[datetime], SnapshotRecord],
        rng: random.Random,
        emit: Callable[[Event], None],
        max_interval_seconds: float = MAX_INTERVAL_SECONDS,
    ) -> None:
        self.contract_id = contract_id
        self._max_interval = max_interval_seconds
        self._clock = clock
        self._sink = sink
        self._inputs = inputs
        self._take_snapshot = take_snapshot
        self._rng = rng
        self._emit = emit
        self._seg: SegmentProgress | None = None
        self._last: datetime | None = None
        self._mono = 0.0
        self._floor: datetime | None = None
        self.storage_status = "OK"
        self._pending: list[SegmentUpdate] = []
        self._full = False
        #: Set when the session itself must end the run (the disk stayed full); the loop
        #: stops with this reason.
        self.stop_reason: str | None = None

    # --- public -------------------------------------------------------------------------

    @property
    def segment(self) -> SegmentProgress | None:
        return self._seg

    def begin(self) -> None:
        now = rules.to_utc(self._clock.now())
        self._mono = self._clock.monotonic()
        self._floor = self._sink.logged_until()
        self._last = now
        self._inputs.take()  # whatever was counted before the start is not ours
        self._enter_segment(now)
        self._emit(LoggingStarted(self.contract_id, now))

    def next_wake(self) -> datetime:
        """The next instant the loop must wake: the next whole minute, or the snapshot
        instant if it comes first."""
        assert self._last is not None and self._seg is not None, "begin() first"
        wake = rules.next_minute(self._last)
        snap = self._seg.snapshot_at
        if snap is not None and self._last < snap < wake:
            wake = snap
        return wake

    def wake(self) -> None:
        self._advance(stopping=False)

    def finish(self, reason: str = "stopped") -> None:
        """Credit the last interval; take the pending snapshot now if its instant had not
        come yet (logging stopped before it)."""
        self._advance(stopping=True)
        assert self._last is not None
        if self._pending:
            log.error("logging stopped with %d writes not stored (%s)", len(self._pending), self.storage_status)
        self._emit(LoggingStopped(self.contract_id, self._last, reason))

    @property
    def unsaved_minutes(self) -> int:
        """Logged minutes held in memory because they could not be written yet."""
        return math.ceil(sum(u.add_seconds for u in self._pending) / 60)

    # --- internals ----------------------------------------------------------------------

    def _enter_segment(self, t: datetime) -> None:
        start = rules.segment_start(t)
        if self._seg is not None and self._seg.start == start:
            return
        state = self._sink.segment_state(self.contract_id, start)
        minutes = [Counts() for _ in range(rules.MINUTES_PER_SEGMENT)]
        if state is not None:
            for i, c in enumerate(state.minute_counts[: rules.MINUTES_PER_SEGMENT]):
                minutes[i] = Counts(c.keys, c.clicks, c.scrolls)
        seg = SegmentProgress(
            start=start,
            logged=state.logged_seconds if state else 0.0,
            minutes=minutes,
            has_snapshot=state.has_snapshot if state else False,
        )
        log_from = max(t, self._floor) if self._floor else t
        if not seg.has_snapshot and log_from < start + rules.SEGMENT:
            seg.snapshot_at = rules.snapshot_instant(self._rng.random(), log_from)
        self._seg = seg

    def _advance(self, *, stopping: bool) -> None:
        assert self._last is not None and self._seg is not None, "begin() first"
        now = rules.to_utc(self._clock.now())
        mono = self._clock.monotonic()
        counts = self._inputs.take()
        wall = (now - self._last).total_seconds()
        elapsed = mono - self._mono
        self._mono = mono
        if not interval_is_sane(wall, elapsed, self._max_interval):
            log.info("time jump: wall %+.1fs vs elapsed %.1fs; interval not logged", wall, elapsed)
            self._emit(TimeJump(now, wall, elapsed))
            self._last = now
            self._enter_segment(now)
            if stopping:
                self._snapshot_at_stop(now)
            return

        start, mid = self._last, self._last + (now - self._last) / 2
        pieces = rules.split_by_segment(start, now)
        if self._floor is not None:
            pieces = [rules.Piece(p.segment, max(p.start, self._floor), p.end) for p in pieces if p.end > self._floor]
        counted = False
        for index, piece in enumerate(pieces):
            self._enter_segment(piece.start)
            seg = self._seg
            add = min(piece.seconds, rules.SEGMENT_SECONDS - seg.logged)
            add = max(0.0, add)
            minute_counts: dict[int, Counts] = {}
            if not counted and counts.total and piece.start <= mid < piece.end:
                minute = rules.minute_index(mid)
                minute_counts[minute] = counts
                seg.minutes[minute] = seg.minutes[minute] + counts
                counted = True
            seg.logged += add
            is_last = index == len(pieces) - 1
            snapshot = None
            due = seg.snapshot_at is not None and (seg.snapshot_at <= piece.end or (stopping and is_last))
            if due and seg.logged > 0 and not seg.has_snapshot:
                snapshot = self._take_snapshot(now)
                seg.has_snapshot = True
                seg.snapshot_at = None
            update = SegmentUpdate(
                contract_id=self.contract_id,
                segment=seg.start,
                add_seconds=add,
                logged_until=piece.end,
                minute_counts=minute_counts,
                snapshot=snapshot,
            )
            snapshot_id = self._record(update)
            self._floor = piece.end if self._floor is None else max(self._floor, piece.end)
            self._emit_segment(seg)
            if snapshot is not None:
                self._emit(SnapshotTaken(self.contract_id, seg.start, snapshot_id, snapshot))
        self._last = now
        self._enter_segment(now)
        if stopping:
            self._snapshot_at_stop(now)

    def _snapshot_at_stop(self, now: datetime) -> None:
        """At the stop, a segment with logged time but no snapshot yet gets it now."""
        seg = self._seg
        if seg is None or seg.has_snapshot or seg.logged <= 0:
            return
        snapshot = self._take_snapshot(now)
        seg.has_snapshot = True
        seg.snapshot_at = None
        # Logged until the floor, but never past the segment: after the clock went back into
        # an earlier segment, the floor lies in a later one.
        until = min(self._floor or now, seg.start + rules.SEGMENT)
        update = SegmentUpdate(self.contract_id, seg.start, 0.0, until, {}, snapshot)
        snapshot_id = self._record(update)
        self._emit(SnapshotTaken(self.contract_id, seg.start, snapshot_id, snapshot))

    def _record(self, update: SegmentUpdate) -> int | None:
        """Write ``update``; if the sink fails (disk full, database locked too long), keep it
        and retry before the next write, so a passing problem loses nothing. Updates are
        additive, so applying them late gives the same totals."""
        self._pending.append(update)
        result: int | None = None
        while self._pending:
            try:
                result = self._sink.record(self._pending[0])
            except StorageFull as exc:
                self._disk_full(exc.directory)
                return None
            except Exception as exc:  # keep logging; the UI shows the storage problem
                log.exception("could not store capture data (%d writes waiting)", len(self._pending))
                self.storage_status = f"could not store capture data: {exc}"
                del self._pending[:-MAX_PENDING_WRITES]
                return None
            self._pending.pop(0)
        self._full = False
        low = self._sink.low_space()
        self.storage_status = (
            f"Disk full: the last minutes went into the app's reserve space; free space on {low}" if low else "OK"
        )
        return result

    def _disk_full(self, directory: str) -> None:
        """Keep the writes, say how much is waiting, and end the run if it lasts too long."""
        if not self._full:
            self._full = True
            log.error("the disk of %s is full; writes wait in memory", directory)
        minutes = self.unsaved_minutes
        self.storage_status = (
            f"Disk full: {minutes} {'minute is' if minutes == 1 else 'minutes are'} waiting in memory;"
            f" free space on {directory}"
        )
        if minutes >= DISK_FULL_STOP_MINUTES and self.stop_reason is None:
            self.stop_reason = (
                f"the disk is full and {minutes} {'minute' if minutes == 1 else 'minutes'} could not be saved."
                f" Free space on {directory}, then switch logging on again"
            )

    def _emit_segment(self, seg: SegmentProgress) -> None:
        self._emit(
            SegmentUpdated(
                contract_id=self.contract_id,
                segment=seg.start,
                logged_seconds=seg.logged,
                billable_minutes=rules.billable_minutes(seg.logged),
                activity_level=rules.activity_level(c.total for c in seg.minutes),
                minute_counts=tuple(seg.minutes),
            )
        )


def interval_is_sane(wall_seconds: float, elapsed_seconds: float, max_interval: float = MAX_INTERVAL_SECONDS) -> bool:
    """The jump test of :meth:`CaptureSession._advance`: wall time moved forward, by no more
    than a wake-up period plus slack, and in step with elapsed (monotonic) time."""
    return 0 <= wall_seconds <= max_interval and abs(wall_seconds - elapsed_seconds) <= JUMP_TOLERANCE_SECONDS
