"""The conflict rules (core/reconcile.py): any interleaving of local edits, remote edits,
deletions and repeated deliveries converges to the same state on both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.reconcile import Register, SegmentState, merge, merge_register

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
times = st.integers(0, 50).map(lambda s: T0 + timedelta(seconds=s))
values = st.sampled_from([None, "", "a", "b", "Design", "Code"])
registers = st.builds(Register, values, st.one_of(st.none(), times))
states = st.builds(
    SegmentState,
    version=st.integers(0, 5),
    capture=st.sampled_from([None, (1, 2), (3, 4)]),
    memo=registers,
    label=registers,
    deleted_at=st.one_of(st.none(), times),
)


def capture_for(version):
    return None if version == 0 else ("capture", version)


# An operation: (side, what, args). Sides: 0 = Team app, 1 = diary server.
ops = st.one_of(
    st.tuples(st.integers(0, 1), st.just("memo"), values, times),
    st.tuples(st.integers(0, 1), st.just("label"), values, times),
    st.tuples(st.integers(0, 1), st.just("delete"), times, st.none()),
    st.tuples(st.just(0), st.just("capture"), st.none(), st.none()),
    st.tuples(st.integers(0, 1), st.just("deliver"), st.none(), st.none()),  # send state to the other side
    st.tuples(st.integers(0, 1), st.just("redeliver"), st.none(), st.none()),  # an old message again
)


def run(operations):
    sides = [SegmentState(), SegmentState()]
    sent: list[list[SegmentState]] = [[], []]
    for side, what, a, b in operations:
        s = sides[side]
        if what == "memo":
            sides[side] = merge(s, SegmentState(memo=Register(a, b)))
        elif what == "label":
            sides[side] = merge(s, SegmentState(label=Register(a, b)))
        elif what == "delete":
            sides[side] = merge(s, SegmentState(deleted_at=a))
        elif what == "capture":
            sides[0] = merge(s, SegmentState(version=s.version + 1, capture=capture_for(s.version + 1)))
        elif what == "deliver":
            sent[side].append(s)
            sides[1 - side] = merge(sides[1 - side], s)
        elif what == "redeliver" and sent[side]:
            sides[1 - side] = merge(sides[1 - side], sent[side][0])
    return sides


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(ops, max_size=30))
def test_any_interleaving_converges_once_both_sides_exchanged(operations):
    local, remote = run(operations)
    # Final exchange in both directions (what the worker's push and pull do):
    remote = merge(remote, local)
    local = merge(local, remote)
    assert local == remote
    # ... and repeating it changes nothing (idempotent deliveries).
    assert merge(local, remote) == local and merge(remote, local) == remote


@settings(max_examples=300, deadline=None, derandomize=True)
@given(states, states, states)
def test_merge_is_commutative_associative_and_idempotent(a, b, c):
    assert merge(a, b) == merge(b, a)
    assert merge(merge(a, b), c) == merge(a, merge(b, c))
    assert merge(a, a) == a


@settings(max_examples=300, deadline=None, derandomize=True)
@given(states, st.lists(states, max_size=6), st.randoms(use_true_random=False))
def test_order_of_deliveries_does_not_matter(start, edits, rnd):
    forward = start
    for e in edits:
        forward = merge(forward, e)
    shuffled = list(edits) * 2  # every delivery twice
    rnd.shuffle(shuffled)
    other = start
    for e in shuffled:
        other = merge(other, e)
    assert forward == other


def test_the_rules_in_words():
    t = T0
    edited = SegmentState(memo=Register("late edit", t + timedelta(hours=1)))
    deleted = SegmentState(deleted_at=t)
    assert merge(edited, deleted).deleted_at == t  # a deletion wins over a later edit
    older = SegmentState(memo=Register("old", t), label=Register("Design", t + timedelta(minutes=5)))
    newer = SegmentState(memo=Register("new", t + timedelta(minutes=1)), label=Register("Code", t))
    both = merge(older, newer)
    assert both.memo.value == "new" and both.label.value == "Design"  # the later edit wins per field
    logged = SegmentState(memo=Register("filled when logged", None))
    assert merge(logged, SegmentState(memo=Register(None, t))).memo.value is None  # any edit beats no edit time


@settings(max_examples=300, deadline=None, derandomize=True)
@given(registers, registers)
def test_the_diary_server_applies_the_same_register_rule(a, b):
    """diary_server.sync_service.newer (aware UTC, as everywhere) agrees with merge_register."""
    from diary_server.sync_service import newer

    server_takes_b = newer(b.edited_at, b.value, a.edited_at, a.value)
    assert (merge_register(a, b) == b) == (server_takes_b or a == b)
