"""One bad item in a batch: found by halving, the rest sent, no timing and no diary needed."""

import pytest

from sync.isolation import send_isolating
from sync.sync_errors import Refused, ServerBusy


class Diary:
    """Fails (or refuses) any batch holding a poisoned item; records what was sent."""

    def __init__(self, poison=(), refuse=(), down=False, busy_after=None):
        self.poison, self.refuse, self.down, self.busy_after = set(poison), set(refuse), down, busy_after
        self.batches, self.stored, self.parked = [], [], []

    def send(self, items):
        self.batches.append(list(items))
        if self.busy_after is not None and len(self.batches) > self.busy_after:
            raise ServerBusy("busy", 429)
        if self.down or self.poison & set(items):
            raise ServerBusy("Internal Server Error", 500)
        if self.refuse & set(items):
            raise Refused("bad", 400, "bad_request")
        self.stored += items

    def park(self, item, exc):
        self.parked.append((item, exc.code))


def test_a_poisoned_item_is_isolated_and_the_rest_are_sent():
    diary = Diary(poison={5})
    went, crashing, error = send_isolating(list(range(8)), diary.send, diary.park)
    assert went and crashing == [5] and error.status == 500
    assert sorted(diary.stored) == [0, 1, 2, 3, 4, 6, 7]
    assert len(diary.batches) <= 2 * 3 + 1  # about 2 log2(n) requests, not n


def test_a_refused_item_is_parked_alone():
    diary = Diary(refuse={2})
    went, crashing, error = send_isolating([1, 2, 3], diary.send, diary.park)
    assert went and crashing == [] and error is None
    assert diary.parked == [(2, "bad_request")] and sorted(diary.stored) == [1, 3]


def test_a_diary_failing_on_everything_sends_nothing_and_says_so():
    diary = Diary(down=True)
    went, crashing, error = send_isolating([1, 2, 3, 4], diary.send, diary.park)
    assert not went and crashing == [1, 2, 3, 4] and error.status == 500 and diary.stored == []


def test_busy_ends_at_once_with_the_first_failure():
    diary = Diary(poison={1}, busy_after=1)
    with pytest.raises(ServerBusy) as caught:
        send_isolating([1, 2, 3, 4], diary.send, diary.park)
    assert caught.value.status == 500 and isinstance(caught.value.__cause__, ServerBusy)
    assert diary.stored == []
