"""The week view: the UTC work week as a grid, memo runs and the activity chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from markupsafe import Markup

from core import rules
from core.diary import FREELANCER, SegmentRecord
from ui.diary_view.cell_html import _HHMM, EMPTY_TD, _escaper, _grid_td, _when_text
from ui.diary_view.cells import (
    CHART_HEIGHT,
    SLOTS_PER_DAY,
    SLOTS_PER_HOUR,
    Cell,
    LockState,
    Totals,
    _sum,
    amount,
    annotate,
    lock_state,
    totals,
)
from ui.diary_view.day import _runs
from ui.diary_view.protection import Protection, protection

# --- week view ---------------------------------------------------------------------------


@dataclass
class WeekDay:
    date: date
    start: datetime
    cells: list[Cell | None]
    totals: Totals


@dataclass
class WeekRow:
    slot: int
    label: str
    hour_start: bool


@dataclass
class MemoRun:
    start: datetime
    end: datetime
    memo: str
    label: str
    minutes: int
    segments: int


@dataclass
class ChartBar:
    day: WeekDay
    x: int
    height: int
    y: int


@dataclass
class WeekView:
    start: datetime
    end: datetime
    tz: tzinfo
    days: list[WeekDay]
    rows: list[WeekRow]
    cells: list[Cell]
    totals: Totals
    lock: LockState
    rate: Decimal | None
    currency: str
    viewer: str
    protection: Protection

    @property
    def amount(self) -> Decimal | None:
        return amount(self.totals.billed, self.rate)

    @property
    def previous_week(self) -> date:
        return (self.start - rules.WEEK).date()

    @property
    def next_week(self) -> date:
        return (self.start + rules.WEEK).date()

    def day_amount(self, day: WeekDay) -> Decimal | None:
        return amount(day.totals.billed, self.rate)

    def memo_runs(self) -> list[MemoRun]:
        """Consecutive segments sharing memo and label, for the report's list of work."""
        return [
            MemoRun(run[0].start, run[-1].end, run[0].memo, run[0].label, sum(c.billable for c in run), len(run))
            for run in _runs(self.cells)
        ]

    def grid(self) -> list[tuple[WeekRow, list[Cell | None]]]:
        """Rows of the grid: one per 10-minute slot shown, seven cells each."""
        return [(row, [d.cells[row.slot] for d in self.days]) for row in self.rows]

    def grid_rows(self) -> Markup:
        """The grid's ``<tbody>`` rows: a row header (the time in ``tz``, shown on the hour)
        and seven cells (:meth:`Cell.grid_td`, or an empty slot) per 10-minute slot.

        Written in one Python loop rather than a template loop: with 1,008 cells, Jinja's
        per-call overhead was as much as the cells' own formatting."""
        text = _escaper()
        tz = self.tz
        empty = str(EMPTY_TD)
        days = [d.cells for d in self.days]
        out = []
        for row in self.rows:
            label = text(row.label)
            if row.hour_start:
                out.append(f'<tr class="h"><th scope="row">{label}<span class="sr-only">{label}</span></th>')
            else:
                out.append(f'<tr><th scope="row" class="m"><span class="sr-only">{label}</span></th>')
            slot = row.slot
            for cells in days:
                c = cells[slot]
                if c is None:
                    out.append(empty)
                    continue
                out.append(_grid_td(c, _when_text(c.start, tz), text))
            out.append("</tr>\n")
        return Markup("".join(out))  # noqa: S704 (labels and cells escaped above)

    def chart(self, height: int = CHART_HEIGHT, bar_width: int = 40, gap: int = 16) -> list[ChartBar]:
        """Bars of hours per day (billable minutes) for the printable report's SVG chart."""
        top = max([d.totals.billable for d in self.days] + [60])
        bars = []
        for i, d in enumerate(self.days):
            h = round(height * d.totals.billable / top)
            bars.append(ChartBar(d, i * (bar_width + gap), h, height - h))
        return bars


def week_view(
    records: Iterable[SegmentRecord],
    *,
    week: datetime,
    tz: tzinfo,
    now: datetime,
    weekly_limit_hours: int | None,
    rate: Decimal | str | None = None,
    currency: str = "",
    viewer: str = FREELANCER,
    all_hours: bool = False,
) -> WeekView:
    """The UTC work week containing ``week``: seven day columns of 144 segments.

    Rows shown run from the first to the last hour that has a segment on any day (08:00 to
    18:00 UTC when the week is empty), or all 144 with ``all_hours``. Row labels are the
    times in ``tz``; the columns are the work week's UTC days, as invoiced.
    """
    start = rules.week_start(week)
    end = start + rules.WEEK
    cells = [
        c
        for c in annotate(records, now=now, weekly_limit_hours=weekly_limit_hours, viewer=viewer)
        if start <= c.start < end
    ]
    days = []
    for d in range(7):
        day_start = start + timedelta(days=d)
        days.append(WeekDay(day_start.date(), day_start, [None] * SLOTS_PER_DAY, Totals()))
    per_day: list[list[Cell]] = [[] for _ in range(7)]
    first_slot, last_slot = SLOTS_PER_DAY, -1
    for c in cells:
        since = c.start - start  # whole days and seconds: no float, no int() per cell
        d, slot = since.days, since.seconds // rules.SEGMENT_SECONDS
        days[d].cells[slot] = c
        per_day[d].append(c)
        if slot < first_slot:
            first_slot = slot
        if slot > last_slot:
            last_slot = slot
    for d, day in enumerate(days):
        day.totals = totals(per_day[d], weekly_limit_hours)
    if all_hours:
        first, last = 0, 24
    elif cells:
        first, last = first_slot // SLOTS_PER_HOUR, last_slot // SLOTS_PER_HOUR + 1
    else:
        first, last = 8, 18
    rows = []
    for slot in range(first * SLOTS_PER_HOUR, last * SLOTS_PER_HOUR):
        t = start + rules.SEGMENT * slot
        local = t.astimezone(tz)
        rows.append(WeekRow(slot, _HHMM[local.hour * 60 + local.minute], slot % SLOTS_PER_HOUR == 0))
    lock = lock_state(start, now)
    return WeekView(
        start=start,
        end=end,
        tz=tz,
        days=days,
        rows=rows,
        cells=cells,
        totals=_sum(d.totals for d in days),  # every cell of the week is in one day
        lock=lock,
        rate=Decimal(str(rate)) if rate not in (None, "") else None,
        currency=currency,
        viewer=viewer,
        protection=protection(cells, lock, viewer),
    )


def selection_minutes(cells: Iterable[Cell], ids: Iterable) -> int:
    """Billable minutes of the selected segments: what deleting them removes."""
    wanted = {str(i) for i in ids}
    return sum(c.billable for c in cells if str(c.id) in wanted and c.selectable)
