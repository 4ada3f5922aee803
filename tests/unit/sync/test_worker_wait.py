"""The sync worker's wait between rounds: a capture write that has work due earlier than the
planned round moves the round earlier (``due_at``); one due later wakes nothing; a poke ends
the wait. The clock here runs the capture side's calls while the worker waits."""

from datetime import UTC, datetime, timedelta

from sync.worker import SyncWorker

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class ScriptClock:
    def __init__(self, *during):
        self.t = T0
        self.during = list(during)
        self.deadlines: list[datetime] = []

    def now(self):
        return self.t

    def wait_until(self, deadline, event):
        self.deadlines.append(deadline)
        if self.during:
            self.during.pop(0)()
        if event.is_set():
            return True
        self.t = max(self.t, deadline)
        return False


def _worker(clock, tmp_path):
    return SyncWorker(client_factory=lambda *a, **k: None, token_store=None, clock=clock, data_dir=tmp_path)


def test_an_earlier_due_time_moves_the_round_a_later_one_wakes_nothing(tmp_path):
    clock = ScriptClock()
    worker = _worker(clock, tmp_path)
    clock.during = [lambda: worker.due_at(T0 + timedelta(seconds=900))]  # after the planned round
    worker._wait(600)
    assert clock.deadlines == [T0 + timedelta(seconds=600)]  # one wait, never woken

    clock = ScriptClock()
    worker = _worker(clock, tmp_path)
    clock.during = [lambda: worker.due_at(T0 + timedelta(seconds=60))]  # a segment's end, sooner
    worker._wait(600)
    assert clock.deadlines == [T0 + timedelta(seconds=600), T0 + timedelta(seconds=60)]
    assert clock.t == T0 + timedelta(seconds=60)


def test_a_poke_ends_the_wait(tmp_path):
    clock = ScriptClock()
    worker = _worker(clock, tmp_path)
    clock.during = [worker.poke]
    worker._wait(600)
    assert clock.deadlines == [T0 + timedelta(seconds=600)] and clock.t == T0
