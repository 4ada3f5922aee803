"""The segment scheduler driven by a fake clock: boundaries, stops, snapshots, jumps."""

import itertools
import random
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from core import rules
from tracker.fakes import FakeClock, FakeInput, MemorySink
from tracker.ports import SnapshotRecord
from tracker.session import CaptureSession

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


class FixedRandom(random.Random):
    """random() returns the given values in turn (then the last one forever)."""

    def __init__(self, *values: float) -> None:
        super().__init__(0)
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


class Harness:
    def __init__(self, start=T0, rng=None, sink=None, contract=7):
        self.clock = FakeClock(start)
        self.inputs = FakeInput()
        self.sink = sink or MemorySink()
        self.events = []
        self.shots: list[datetime] = []
        self.session = self._session(contract, rng or random.Random(1))

    def _session(self, contract, rng):
        return CaptureSession(
            contract,
            clock=self.clock,
            sink=self.sink,
            inputs=self.inputs,
            take_snapshot=self._shot,
            rng=rng,
            emit=self.events.append,
        )

    def _shot(self, at):
        self.shots.append(at)
        return SnapshotRecord(at, None, "OK", None, "off", "XTerm", "title")

    def restart(self, contract=7, rng=None):
        self.session = self._session(contract, rng or random.Random(2))
        self.session.begin()

    def run_until(self, t, per_minute=None):
        """Sleep/wake like the loop thread until ``t`` (not stopping)."""
        while (wake := self.session.next_wake()) <= t:
            if per_minute:
                per_minute(self)
            if wake > self.clock.now():  # the loop's wait_until returns at once otherwise
                self.clock.set(wake)
            self.session.wake()
        if t > self.clock.now():
            self.clock.set(t)

    def seconds(self, segment):
        return self.sink.seconds(7, segment)


def credited_intervals(sink):
    return sorted(
        (u.logged_until - timedelta(seconds=u.add_seconds), u.logged_until) for u in sink.updates if u.add_seconds > 0
    )


def assert_invariants(sink):
    for (_contract, seg), row in sink.segments.items():
        assert 0 <= row["seconds"] <= 600
        assert seg == rules.segment_start(seg)
    intervals = credited_intervals(sink)
    for (_a0, a1), (b0, _b1) in itertools.pairwise(intervals):
        assert a1 <= b0 + timedelta(microseconds=1), "overlapping logged time"
    for u in sink.updates:
        start = u.logged_until - timedelta(seconds=u.add_seconds)
        assert u.segment <= start and u.logged_until <= u.segment + rules.SEGMENT
    per_segment = {}
    for u in sink.updates:
        if u.snapshot is not None:
            per_segment[u.segment] = per_segment.get(u.segment, 0) + 1
    assert all(n == 1 for n in per_segment.values()), per_segment


def test_full_segment_gets_600_seconds_and_one_snapshot_at_the_random_instant():
    h = Harness(rng=FixedRandom(0.25))
    h.session.begin()
    h.run_until(T0 + 10 * MIN)
    h.session.finish()
    assert h.seconds(T0) == 600
    assert h.shots == [T0 + timedelta(seconds=150)]
    # writes happen at every whole minute (crash safety) plus the snapshot instant
    writes = [u.logged_until for u in h.sink.updates if u.segment == T0]
    assert T0 + MIN in writes and T0 + 10 * MIN in writes
    assert T0 + timedelta(seconds=150) in writes
    assert_invariants(h.sink)


def test_start_and_stop_mid_segment():
    start = T0 + timedelta(minutes=3, seconds=30)
    h = Harness(start=start, rng=FixedRandom(0.1))  # 10% into [09:03:30, 09:10)
    h.session.begin()
    h.run_until(T0 + 7 * MIN)
    h.session.finish()
    assert h.seconds(T0) == 210
    assert h.shots == [start + timedelta(seconds=39)]
    assert rules.billable_minutes(h.seconds(T0)) == 4


def test_snapshot_instant_is_uniform_over_the_logged_part_only():
    start = T0 + timedelta(minutes=6)
    h = Harness(start=start, rng=FixedRandom(0.5))
    h.session.begin()
    h.run_until(T0 + 10 * MIN)
    assert h.shots == [T0 + timedelta(minutes=8)]  # middle of [09:06, 09:10)


def test_stop_before_the_snapshot_instant_takes_it_at_the_stop():
    h = Harness(rng=FixedRandom(0.9))  # instant would be 09:09:00
    h.session.begin()
    h.run_until(T0 + timedelta(minutes=4, seconds=12))
    assert h.shots == []
    h.session.finish()
    assert h.shots == [T0 + timedelta(minutes=4, seconds=12)]
    assert h.seconds(T0) == 252
    snaps = [u for u in h.sink.updates if u.snapshot]
    assert len(snaps) == 1


def test_stop_and_restart_in_the_same_segment_keeps_one_snapshot():
    h = Harness(rng=FixedRandom(0.9))
    h.session.begin()
    h.run_until(T0 + 2 * MIN)
    h.session.finish()  # snapshot at the stop
    h.clock.set(T0 + 5 * MIN)
    h.restart(rng=FixedRandom(0.1))
    h.run_until(T0 + 10 * MIN)
    h.session.finish()
    assert h.shots == [T0 + 2 * MIN]
    assert h.seconds(T0) == 120 + 300
    assert_invariants(h.sink)


def test_no_logged_time_means_no_segment_and_no_snapshot():
    h = Harness()
    h.session.begin()
    h.session.finish()
    assert h.shots == [] and h.sink.segments == {}


def test_counts_land_in_their_minute_and_give_the_activity_level():
    h = Harness(rng=FixedRandom(0.99))

    def typing(hh):
        minute = rules.minute_index(hh.clock.now())
        if minute in (1, 2, 6):
            hh.inputs.add(keys=5, clicks=1, scrolls=2)

    h.session.begin()
    h.run_until(T0 + 10 * MIN, per_minute=typing)
    h.session.finish()
    minutes = h.sink.segments[(7, T0)]["minutes"]
    assert [m.total for m in minutes] == [0, 8, 8, 0, 0, 0, 8, 0, 0, 0]
    assert minutes[1].keys == 5 and minutes[1].clicks == 1 and minutes[1].scrolls == 2
    levels = [e.activity_level for e in h.events if type(e).__name__ == "SegmentUpdated"]
    assert levels[-1] == 3


def test_eight_hour_day():
    h = Harness(rng=random.Random(42))
    h.session.begin()
    h.run_until(T0 + timedelta(hours=8), per_minute=lambda hh: hh.inputs.add(keys=1))
    h.session.finish()
    segments = sorted(s for (_c, s) in h.sink.segments)
    assert len(segments) == 48
    assert all(h.seconds(s) == 600 for s in segments)
    assert len(h.shots) == 48
    for shot in h.shots:
        assert rules.segment_start(shot) in segments
    assert len({rules.segment_start(s) for s in h.shots}) == 48
    assert all(rules.activity_level(m.total for m in h.sink.segments[(7, s)]["minutes"]) == 10 for s in segments)
    assert_invariants(h.sink)
    # wake-ups: one per minute plus one per snapshot, nothing more
    assert len(h.sink.updates) <= 8 * 60 + 48 + 1


def test_wall_clock_jump_forward_is_not_logged():
    h = Harness(rng=FixedRandom(0.99))
    h.session.begin()
    h.run_until(T0 + timedelta(minutes=3, seconds=20))
    h.clock.jump(timedelta(hours=1))
    h.run_until(T0 + timedelta(hours=1, minutes=10))
    h.session.finish()
    assert h.seconds(T0) == 180  # 09:03:00..09:03:20 was in the jumped interval
    # logged again from the wake-up that noticed the jump (at once here: 10:03:20)
    assert h.seconds(T0 + timedelta(hours=1)) == 400
    assert_invariants(h.sink)
    assert any(type(e).__name__ == "TimeJump" for e in h.events)


def test_wall_clock_set_back_never_relogs_time():
    h = Harness(rng=random.Random(3))
    h.session.begin()
    h.run_until(T0 + timedelta(minutes=25))
    h.clock.jump(-timedelta(hours=1))  # now 08:25
    h.run_until(T0 + timedelta(minutes=40))  # wall 08:25 -> 09:40
    h.session.finish()
    assert_invariants(h.sink)
    assert all(seg >= T0 for (_c, seg) in h.sink.segments)
    # 09:20-09:25 logged; the loop then sleeps until wall time reaches 09:26 again, sees an
    # hour of elapsed time in that "minute" and drops it; 09:26-09:30 is logged
    assert h.seconds(T0 + 20 * MIN) == 540
    assert h.seconds(T0 + 30 * MIN) == 600


def test_suspend_resume_leaves_a_gap():
    h = Harness(rng=random.Random(5))
    h.session.begin()
    h.run_until(T0 + timedelta(minutes=12, seconds=30))
    h.clock.suspend(timedelta(minutes=95))  # wall moves, elapsed does not
    h.run_until(T0 + timedelta(hours=2))
    h.session.finish()
    assert_invariants(h.sink)
    assert h.seconds(T0 + 10 * MIN) == 120  # 09:10-09:12; 09:12-09:12:30 lost with the jump
    assert (7, T0 + 30 * MIN) not in h.sink.segments


def test_time_zone_change_changes_nothing():
    class ZoneClock(FakeClock):
        zone = UTC

        def now(self):
            return super().now().astimezone(self.zone)

    h = Harness(rng=random.Random(9))
    h.clock = ZoneClock(T0)
    h.session = h._session(7, random.Random(9))
    h.session.begin()
    h.run_until(T0 + 15 * MIN)
    ZoneClock.zone = timezone(timedelta(hours=-8))
    h.run_until(T0 + 30 * MIN)
    h.session.finish()
    assert sorted(s for (_c, s) in h.sink.segments) == [T0, T0 + 10 * MIN, T0 + 20 * MIN]
    assert all(h.seconds(s) == 600 for s in (T0, T0 + 10 * MIN, T0 + 20 * MIN))
    assert not any(type(e).__name__ == "TimeJump" for e in h.events)


def test_restart_after_a_crash_continues_the_segment_without_a_second_snapshot():
    h = Harness(rng=FixedRandom(0.1))
    h.session.begin()
    h.run_until(T0 + timedelta(minutes=4, seconds=30))  # snapshot at 09:01 taken
    # crash: no finish(); the process restarts a little later
    h.clock.set(T0 + 6 * MIN)
    h.restart(rng=FixedRandom(0.1))
    h.run_until(T0 + 10 * MIN)
    h.session.finish()
    assert h.shots == [T0 + MIN]
    assert h.seconds(T0) == 240 + 240  # the unflushed 30 s are lost, never more than a minute
    assert_invariants(h.sink)


ops = st.lists(
    st.tuples(
        st.sampled_from(["run", "jump", "suspend", "stop_start", "type"]),
        st.integers(min_value=-7200, max_value=7200),
    ),
    max_size=25,
)


def test_a_clock_set_back_into_an_earlier_segment_before_the_stop_keeps_its_snapshot_inside_it():
    """Found by the property test below: 09:00-09:01 logged, the clock jumps to 09:10, a
    minute is logged, the clock goes back to 09:09:59, logging stops. The 09:00 segment
    gets its snapshot at the stop, logged until its end, not until the later floor."""
    h = Harness(rng=random.Random(0))
    h.session.begin()
    for op, amount in [("run", 60), ("jump", 540), ("run", 60), ("jump", -61)]:
        if op == "run":
            h.run_until(h.clock.now() + timedelta(seconds=amount))
        else:
            h.clock.jump(timedelta(seconds=amount))
    h.session.finish()
    stop_shot = [u for u in h.sink.updates if u.segment == T0 and u.snapshot is not None]
    assert len(stop_shot) == 1 and stop_shot[0].logged_until == T0 + 10 * MIN
    assert_invariants(h.sink)


@settings(max_examples=60, deadline=None)
@given(ops, st.integers(min_value=0, max_value=10**6))
def test_any_sequence_of_runs_jumps_and_restarts_keeps_the_invariants(steps, seed):
    h = Harness(start=T0 + timedelta(seconds=seed % 3600), rng=random.Random(seed))
    h.session.begin()
    for op, amount in steps:
        if op == "run":
            h.run_until(h.clock.now() + timedelta(seconds=abs(amount) % 1800))
        elif op == "jump":
            h.clock.jump(timedelta(seconds=amount))
        elif op == "suspend":
            h.clock.suspend(timedelta(seconds=abs(amount)))
        elif op == "type":
            h.inputs.add(keys=abs(amount) % 7)
        else:
            h.session.finish()
            h.clock.advance(timedelta(seconds=abs(amount) % 900))
            h.restart(rng=random.Random(seed + amount))
    h.session.finish()
    assert_invariants(h.sink)


def test_a_failing_sink_loses_nothing_once_it_recovers():
    class FlakySink(MemorySink):
        failures = 0

        def record(self, update):
            if self.failures:
                self.failures -= 1
                raise OSError("database is locked")
            return super().record(update)

    sink = FlakySink()
    h = Harness(rng=FixedRandom(0.5), sink=sink)
    h.session.begin()
    h.run_until(T0 + 2 * MIN, per_minute=lambda hh: hh.inputs.add(keys=2))
    sink.failures = 4  # minutes 3-5 and the snapshot at 09:05 fail to write
    h.run_until(T0 + 5 * MIN + timedelta(seconds=30), per_minute=lambda hh: hh.inputs.add(keys=2))
    assert h.session.storage_status.startswith("could not store capture data")
    h.run_until(T0 + 10 * MIN, per_minute=lambda hh: hh.inputs.add(keys=2))
    h.session.finish()
    assert h.session.storage_status == "OK"
    assert h.seconds(T0) == 600
    assert sum(m.keys for m in sink.segments[(7, T0)]["minutes"]) == 20
    assert len(sink.snapshots()) == 1
    assert_invariants(sink)


def test_a_full_disk_says_how_many_minutes_wait_and_loses_none_when_space_comes_back():
    sink = MemorySink()
    h = Harness(rng=FixedRandom(0.5), sink=sink)
    h.session.begin()
    h.run_until(T0 + 2 * MIN, per_minute=lambda hh: hh.inputs.add(keys=1))
    sink.full = "/home/ann/.local/share/teamapp"
    h.run_until(T0 + 5 * MIN, per_minute=lambda hh: hh.inputs.add(keys=1))
    assert h.session.storage_status == (
        "Disk full: 3 minutes are waiting in memory; free space on /home/ann/.local/share/teamapp"
    )
    assert h.session.unsaved_minutes == 3
    assert h.session.stop_reason is None
    sink.full = None
    sink.low = "/home/ann/.local/share/teamapp"  # the write went into the reserve
    h.run_until(T0 + 6 * MIN, per_minute=lambda hh: hh.inputs.add(keys=1))
    assert h.session.storage_status.startswith("Disk full: the last minutes went into the app's reserve space")
    sink.low = None
    h.run_until(T0 + 10 * MIN, per_minute=lambda hh: hh.inputs.add(keys=1))
    h.session.finish()
    assert h.session.storage_status == "OK"
    assert h.seconds(T0) == 600
    assert sum(m.keys for m in sink.segments[(7, T0)]["minutes"]) == 10
    assert len(sink.snapshots()) == 1
    assert_invariants(sink)


def test_a_disk_that_stays_full_ends_the_run_after_half_an_hour_with_the_reason():
    sink = MemorySink()
    h = Harness(rng=FixedRandom(0.5), sink=sink)
    h.session.begin()
    h.run_until(T0 + 1 * MIN)
    sink.full = "/data"
    h.run_until(T0 + 30 * MIN)
    assert h.session.stop_reason is None  # 29 minutes full so far
    assert h.session.storage_status == "Disk full: 29 minutes are waiting in memory; free space on /data"
    h.run_until(T0 + 31 * MIN)
    assert h.session.stop_reason == (
        "the disk is full and 30 minutes could not be saved. Free space on /data, then switch logging on again"
    )
