"""The conflict rules of sync, as one pure function (no I/O, no clock, nothing of ours imported).

A segment's shared state is a few independent fields, each merged on its own:

- **deletion wins**: ``deleted_at`` is a tombstone; once either side has it, the merge has it
  (the earlier of two deletion times, so both sides agree on the instant);
- **memo** and **label** are last-writer-wins registers: the value with the later edit time
  wins; at equal edit times the larger value wins, so the outcome never depends on order;
  a value with no edit time (filled in when the segment was logged) is older than any edit;
- **capture data** (logged seconds, per-minute counts, window info) is written only by the
  computer that logged it; each write bumps ``version``, and the higher version wins.

Each rule is a join of a semilattice (commutative, associative, idempotent), so replicas that
exchange their states in any order, any number of times, end up equal. An edit the diary
refuses because of a lock is not a conflict: the caller rolls it back to the diary's state.
The diary server applies the same rules to what it receives (``diary_server/sync_service/``,
which may not import this package; ``tests/unit/sync`` checks that both agree).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

#: Stands in for "no edit time": older than any real edit. Times are aware UTC.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Register:
    """A last-writer-wins field: its value and when it was set (None: when logged)."""

    value: str | None = None
    edited_at: datetime | None = None

    def key(self) -> tuple[datetime, str, bool, bool]:
        # Edit time, then value; the last two only make the order total (None < "", no time < a time).
        return (self.edited_at or NEVER, self.value or "", self.value is not None, self.edited_at is not None)


def merge_register(a: Register, b: Register) -> Register:
    """The later edit wins; at equal times the larger value (deterministic tie-break)."""
    return a if a.key() >= b.key() else b


def merge_deleted(a: datetime | None, b: datetime | None) -> datetime | None:
    """A deletion wins over anything; two deletions keep the earlier instant."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass(frozen=True)
class SegmentState:
    """What sync exchanges about one segment (keyed elsewhere by its UUID)."""

    version: int = 0
    capture: Any = None  # opaque, hashable capture data owned by the logging computer
    memo: Register = Register()
    label: Register = Register()
    deleted_at: datetime | None = None


def merge(a: SegmentState, b: SegmentState) -> SegmentState:
    """Merge two states of the same segment; the result is what both sides should hold."""
    if (a.version, repr(a.capture)) >= (b.version, repr(b.capture)):
        version, capture = a.version, a.capture
    else:
        version, capture = b.version, b.capture
    return replace(
        a,
        version=version,
        capture=capture,
        memo=merge_register(a.memo, b.memo),
        label=merge_register(a.label, b.label),
        deleted_at=merge_deleted(a.deleted_at, b.deleted_at),
    )
