"""The day view: one local calendar day, hour rows of six cells, memo bars over runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from core import rules
from core.diary import FREELANCER, LOGGED, MANUAL, OVER, SegmentRecord
from ui.diary_view.cells import SLOTS_PER_HOUR, Cell, LockState, Totals, annotate, lock_state, totals
from ui.diary_view.protection import Protection, protection

# --- day view ----------------------------------------------------------------------------


@dataclass
class MemoBar:
    """The part of a memo run that lies in one hour row (a run may span rows)."""

    column: int
    span: int
    memo: str
    label: str
    ids: list
    start: datetime
    end: datetime
    editable: bool
    label_editable: bool
    continued: bool
    #: Upwork's colour meaning: ``logged`` by the app, ``manual`` time, ``over`` the weekly
    #: limit (not billed); the bar also says it in words (:attr:`kind_text`).
    kind: str = LOGGED

    @property
    def text(self) -> str:
        return self.memo or ("" if self.label else "No memo")

    @property
    def kind_text(self) -> str:
        return KIND_TEXT[self.kind]


#: What a memo bar's colour means, in words ("" for time logged by the app, the usual case).
KIND_TEXT = {LOGGED: "", MANUAL: "Manual time", OVER: "Over the limit, not billed"}


def bar_kind(cell: Cell) -> str:
    """The memo bar kind of a segment: manual, over the weekly limit, or logged by the app."""
    return MANUAL if cell.record.manual else (OVER if cell.billed < cell.billable else LOGGED)


@dataclass
class Group:
    """Columns of a day row under one memo bar (or one empty/deleted slot without a bar)."""

    bar: MemoBar | None
    cells: list[Cell | None]

    @property
    def span(self) -> int:
        return len(self.cells)


@dataclass
class DayRow:
    start: datetime
    label: str
    cells: list[Cell | None]
    bars: list[MemoBar]

    @property
    def groups(self) -> list[Group]:
        """The row cut into memo-bar groups, left to right, covering all six columns."""
        by_col = {b.column: b for b in self.bars}
        groups, col = [], 0
        while col < len(self.cells):
            bar = by_col.get(col)
            span = bar.span if bar else 1
            groups.append(Group(bar, self.cells[col : col + span]))
            col += span
        return groups


@dataclass
class DayView:
    day: date
    tz: tzinfo
    start: datetime
    end: datetime
    rows: list[DayRow]
    cells: list[Cell]
    totals: Totals
    week_totals: Totals
    lock: LockState
    previous_day: date
    next_day: date
    viewer: str
    protection: Protection  # of the work week the day lies in (mostly)

    @property
    def empty(self) -> bool:
        return not self.cells

    def neighbours(self, cell_id) -> tuple[Cell | None, Cell | None]:
        """The previous and next cells of the day with a screen snapshot (for the viewer's arrows)."""
        shots = [c for c in self.cells if c.record.screen_id is not None or c.id == cell_id]
        for i, c in enumerate(shots):
            if c.id == cell_id:
                return (shots[i - 1] if i else None, shots[i + 1] if i + 1 < len(shots) else None)
        return None, None


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC start and end of the local calendar ``day`` (23 or 25 hours across DST changes)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).astimezone(UTC)
    return start, end


def records_range_for_day(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC range of records a day view needs: whole work weeks around the day, because
    billing against the weekly limit counts from Monday 00:00 UTC."""
    start, end = day_bounds(day, tz)
    return rules.week_start(start), rules.week_end(end - timedelta(microseconds=1))


def _runs(cells: Sequence[Cell]) -> list[list[Cell]]:
    """Runs of consecutive live segments that share memo, label and :func:`bar_kind`."""
    runs: list[list[Cell]] = []
    for c in cells:
        if not c.selectable:
            continue
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and c.start == last.end
            and (c.memo, c.label, bar_kind(c)) == (last.memo, last.label, bar_kind(last))
        ):
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def day_view(
    records: Iterable[SegmentRecord],
    *,
    day: date,
    tz: tzinfo,
    now: datetime,
    weekly_limit_hours: int | None,
    viewer: str = FREELANCER,
    all_hours: bool = False,
) -> DayView:
    """Hour rows of six 10-minute cells for the local calendar ``day``.

    Only hours with segments get a row unless ``all_hours``. Memo bars cover runs of
    consecutive segments sharing memo and label, cut at row boundaries; every piece of a
    run carries the ids of the whole run, so clicking any piece edits all of it.
    """
    all_cells = annotate(records, now=now, weekly_limit_hours=weekly_limit_hours, viewer=viewer)
    start, end = day_bounds(day, tz)
    # A segment belongs to the day its start is in; in a zone whose offset is not a multiple
    # of 10 minutes (Nepal) the day's first segment starts a few minutes after midnight.
    grid_start = rules.segment_start(start)
    if grid_start < start:
        grid_start += rules.SEGMENT
    cells = [c for c in all_cells if start <= c.start < end]
    by_start = {c.start: c for c in cells}
    rows: list[DayRow] = []
    run_of: dict[datetime, list[Cell]] = {}
    for run in _runs(cells):
        for c in run:
            run_of[c.start] = run
    hour = timedelta(hours=1)
    row_start = grid_start
    while row_start < end:
        slots = [row_start + rules.SEGMENT * i for i in range(SLOTS_PER_HOUR)]
        row_cells = [by_start.get(s) for s in slots]
        if all_hours or any(row_cells):
            rows.append(DayRow(row_start, f"{row_start.astimezone(tz):%H:%M}", row_cells, _bars(row_cells, run_of)))
        row_start += hour
    week_of = rules.week_start(start + (end - start) / 2)
    week_cells = [c for c in all_cells if rules.week_start(c.start) == week_of]
    lock = lock_state(week_of, now)
    return DayView(
        day=day,
        tz=tz,
        start=start,
        end=end,
        rows=rows,
        cells=cells,
        totals=totals(cells, weekly_limit_hours),
        week_totals=totals(week_cells, weekly_limit_hours),
        lock=lock,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        viewer=viewer,
        protection=protection(week_cells, lock, viewer),
    )


def _bars(row_cells: list[Cell | None], run_of: dict[datetime, list[Cell]]) -> list[MemoBar]:
    bars: list[MemoBar] = []
    col = 0
    while col < len(row_cells):
        c = row_cells[col]
        run = run_of.get(c.start) if c is not None else None
        if c is None or run is None:
            col += 1
            continue
        span = 1
        while col + span < len(row_cells):
            nxt = row_cells[col + span]
            if nxt is None or run_of.get(nxt.start) is not run:
                break
            span += 1
        bars.append(
            MemoBar(
                column=col,
                span=span,
                memo=c.memo,
                label=c.label,
                ids=[x.id for x in run],
                start=run[0].start,
                end=run[-1].end,
                editable=all(x.memo_editable for x in run),
                label_editable=all(x.label_editable for x in run),
                continued=run[0] is not c,
                kind=bar_kind(c),
            )
        )
        col += span
    return bars
