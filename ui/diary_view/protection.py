"""Hourly Protection in the Work Diary: each cell's mark, the week's score and the list of
segments a memo or a label would still protect ("fix before Monday 12:00 UTC").

Everything comes from :func:`core.protection.verdict` (set on each :class:`Cell` by
``annotate``) and :func:`core.protection.week_score`; both programs' day and week views and
the Team app's main screen read the same :class:`Protection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from core import rules
from core.diary import FREELANCER
from core.protection import WeekScore, week_score
from ui.diary_view.cell_html import _HHMM, _WEEKDAYS
from ui.diary_view.cells import Cell, LockState

#: At most this many runs in the fix list (the rest are counted).
MAX_FIXES = 30


@dataclass(frozen=True)
class FixRun:
    """Consecutive segments that a memo or a label would protect."""

    start: datetime
    end: datetime
    ids: tuple
    minutes: int

    @property
    def first(self):
        return self.ids[0]

    @property
    def last(self):
        return self.ids[-1]

    @property
    def segments(self) -> int:
        return len(self.ids)

    @property
    def range_key(self) -> str:
        """``first~last``: what the week grid selects (``#segs-first~last``)."""
        return f"{self.first}~{self.last}"

    def day(self, tz: tzinfo) -> date:
        return self.start.astimezone(tz).date()

    def when(self, tz: tzinfo) -> str:
        a, b = self.start.astimezone(tz), self.end.astimezone(tz)
        return f"{_WEEKDAYS[a.weekday()]} {a:%d} {_HHMM[a.hour * 60 + a.minute]}–{_HHMM[b.hour * 60 + b.minute]}"


@dataclass(frozen=True)
class Protection:
    """A work week's Hourly Protection as the diary shows it."""

    score: WeekScore
    fixes: list[FixRun]
    more: int  # fix runs left off the list
    editable: bool  # memos and labels can still change (before Monday 12:00 UTC)
    lock_at: datetime
    viewer: str

    @property
    def text(self) -> str:
        """The score in words; once the week is locked, without what can no longer be fixed."""
        if self.editable or not self.score.billed_minutes:
            return self.score.words()
        return f"{self.score.percent} % of this week's billed time qualifies for Hourly Protection"

    @property
    def show_fixes(self) -> bool:
        """The fix list: for the freelancer, while the week is editable and something needs it."""
        return self.editable and self.viewer == FREELANCER and bool(self.fixes)

    def lock_text(self) -> str:
        return f"{self.lock_at:%A %H:%M} UTC"


def protection(cells: Iterable[Cell], lock: LockState, viewer: str = FREELANCER) -> Protection:
    """The score of the week's live billed cells and its fix runs (pass one work week's cells)."""
    cells = [c for c in cells if c.verdict is not None]
    score = week_score((c.billed, c.verdict) for c in cells if c.verdict is not None)
    runs = _fix_runs([c for c in cells if c.billed > 0 and c.verdict is not None and c.verdict.fixable])
    return Protection(score, runs[:MAX_FIXES], max(0, len(runs) - MAX_FIXES), lock.editable, lock.lock_at, viewer)


def _fix_runs(cells: Sequence[Cell]) -> list[FixRun]:
    runs: list[list[Cell]] = []
    for c in cells:
        if runs and runs[-1][-1].end == c.start:
            runs[-1].append(c)
        else:
            runs.append([c])
    return [
        FixRun(r[0].start, r[-1].start + rules.SEGMENT, tuple(c.id for c in r), sum(c.billed for c in r)) for r in runs
    ]
