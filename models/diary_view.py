"""The Work Diary as plain data: day grid, week grid, totals, lock state, CSV rows.

Pure functions over :class:`SegmentRecord` values, so both programs feed them through the one
blueprint of ``ui/diary_blueprint.py``: the Team app from its local cache
(``web/diary_store.py``), the diary server from its own tables (``diary_server/diary_store.py``).
They import only :mod:`core.rules` and the standard library, read no clock (``now`` is an
argument) and never touch a database. The shared templates in ``ui/templates/diary/`` are
written against the objects built here.

All instants are aware UTC; the chosen display time zone (``tz``) only changes how a day is
cut (the day view shows one local calendar day) and how times are printed. The work week,
its totals, its lock and its invoice stay UTC, as billed (see DESIGN.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from markupsafe import Markup, escape

from core import rules

FREELANCER = "freelancer"
CLIENT = "client"

#: Cell states, in the order they win when several apply.
DELETED, MANUAL, OVER, IDLE, LOGGED = "deleted", "manual", "over", "idle", "logged"
STATE_TEXT = {
    DELETED: "Deleted",
    MANUAL: "Manual time",
    OVER: "Over the weekly limit",
    IDLE: "No activity",
    LOGGED: "Logged",
}
#: How the client sees a deletion: as time removed, nothing more.
REMOVED = "removed"

SLOTS_PER_DAY = 144
SLOTS_PER_HOUR = 6
CHART_HEIGHT = 160


@dataclass(slots=True)
class SegmentRecord:
    """One 10-minute segment as both programs know it.

    Not frozen: a week view builds 1,008 of them per request, and a frozen dataclass's
    ``__init__`` costs a ``object.__setattr__`` per field; treat them as read-only anyway.
    ``minutes`` holds up to ten ``(keys, clicks, scrolls)`` tuples (minute 0 first);
    ``screen_id``/``camera_id`` identify snapshot images that still exist (None: none, or
    deleted). ``id`` is whatever the caller's edit endpoints take back (a row id, a UUID).
    """

    id: int | str
    start: datetime
    logged_seconds: float
    minutes: tuple[tuple[int, int, int], ...] = ()
    app_name: str | None = None
    window_title: str | None = None
    memo: str | None = None
    label: str | None = None
    manual: bool = False
    deleted: bool = False
    screen_id: int | str | None = None
    camera_id: int | str | None = None
    #: Without per-minute ``minutes`` (the week grid needs none): the activity level and the
    #: segment's (keys, clicks, scrolls) sums, as the caller's database computed them.
    activity: int | None = None
    sums: tuple[int, int, int] | None = None


@dataclass(slots=True)
class Cell:
    """A segment with everything a view shows about it, for one viewer at one instant."""

    record: SegmentRecord
    start: datetime
    level: int
    billable: int
    billed: int
    state: str
    protected: bool
    can_delete: bool
    memo_editable: bool
    label_editable: bool
    counts: tuple[tuple[int, int, int], ...]

    @property
    def id(self) -> int | str:
        return self.record.id

    @property
    def end(self) -> datetime:
        return self.start + rules.SEGMENT

    @property
    def memo(self) -> str:
        return self.record.memo or ""

    @property
    def label(self) -> str:
        return self.record.label or ""

    @property
    def selectable(self) -> bool:
        return self.state not in (DELETED, REMOVED)

    @property
    def state_text(self) -> str:
        return "Removed by the freelancer" if self.state == REMOVED else STATE_TEXT[self.state]

    @property
    def color(self) -> str:
        """CSS class for the week grid: ``lv0``..``lv5`` (activity buckets) or the state."""
        if self.state in (DELETED, REMOVED, MANUAL, OVER):
            return self.state
        return f"lv{(self.level + 1) // 2}"

    @property
    def sums(self) -> tuple[int, int, int]:
        if self.record.sums is not None and not self.record.minutes:
            return self.record.sums
        return (sum(c[0] for c in self.counts), sum(c[1] for c in self.counts), sum(c[2] for c in self.counts))

    def counts_text(self) -> str:
        keys, clicks, scrolls = self.sums
        return f"{keys} keystrokes, {clicks} clicks, {scrolls} scrolls"

    def describe(self, tz: tzinfo) -> str:
        """What a screen reader says for the cell (and the tooltip).

        Built with plain formatting rather than ``strftime``: the week grid asks for 1,008."""
        return _describe(self, _when_text(self.start, tz), str)

    def grid_td(self, tz: tzinfo, oob: bool = False) -> Markup:
        """The cell's ``<td>`` in the week grid (and, with ``oob``, as an htmx out-of-band swap
        of the cell it replaces).

        One Python format instead of a dozen template lookups and escapes per cell: the grid
        has 1,008 of them, and this markup is the week view's render time. Both programs'
        templates (``ui/templates/diary/week.html``, ``_week_edit.html``) write it as is; the
        whole grid goes through :meth:`WeekView.grid_rows`, which writes the same ``<td>``."""
        return Markup(_grid_td(self, _when_text(self.start, tz), _escaper(), oob))  # noqa: S704 (escaped in _grid_td)

    def meter_html(self, tz: tzinfo) -> Markup:
        """The day view's 10-bar activity meter: a ``<details>`` whose summary shows the bars
        and the level, and opens to the per-minute counts in ``tz``.

        Python rather than a template macro: a full day has 144 meters of ten bars and ten
        rows each, and the macro's per-call overhead was most of the day view's render time.
        Only numbers and our own words go in, so nothing here needs escaping. The minutes are
        counted on from the start's local time: no zone changes its offset inside a 10-minute
        UTC segment."""
        bars = "".join(_BAR[k + c + s > 0] for k, c, s in self.counts)
        local = self.start.astimezone(tz)
        first = local.hour * 60 + local.minute
        end = self.end.astimezone(tz)
        span = f"{_HHMM[first]}–{_HHMM[end.hour * 60 + end.minute]}"
        level = self.level
        rows = "".join(
            f"<tr><td>{_HHMM[(first + i) % 1440]}</td><td>{k}</td><td>{c}</td><td>{s}</td></tr>"
            for i, (k, c, s) in enumerate(self.counts)
        )
        return Markup(  # noqa: S704 (numbers and fixed words only)
            '<details class="dmeter">\n'
            f'  <summary aria-label="Activity {level} of 10: show per-minute counts" title="{self.counts_text()}">\n'
            f'    <span class="bars" aria-hidden="true">{bars}</span>\n'
            f'    <span class="lvl">{level}/10</span>\n'
            "  </summary>\n"
            '  <table class="minute-counts">\n'
            f'    <caption class="sr-only">Input per minute, {span}</caption>\n'
            '    <thead><tr><th scope="col">Min</th><th scope="col">Keys</th><th scope="col">Clicks</th>'
            '<th scope="col">Scrolls</th></tr></thead>\n'
            f"    <tbody>{rows}</tbody>\n"
            "  </table>\n"
            "</details>"
        )


_BAR = ('<span class="b"></span>', '<span class="b on"></span>')  # a meter's bar: idle, active minute
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EMPTY_TD = Markup('<td role="gridcell" class="e" tabindex="-1"></td>')


def _escaper() -> Callable[[str], str]:
    """``escape`` as a plain string, remembered per text: a week's 1,008 cells share a few
    dozen memos and labels, and each escape builds a ``Markup``."""
    seen: dict[str, str] = {}

    def text(value: str) -> str:
        done = seen.get(value)
        if done is None:
            done = seen[value] = str(escape(value))
        return done

    return text


#: "00:00" .. "23:59" by minute of the day: a lookup instead of two ``:02d`` formats.
_HHMM = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))


def _when_text(start: datetime, tz: tzinfo) -> str:
    """``Mon 09:00–09:10``: a segment's day and times in ``tz``."""
    local = start.astimezone(tz)
    end = (start + rules.SEGMENT).astimezone(tz)
    return f"{_WEEKDAYS[local.weekday()]} {_HHMM[local.hour * 60 + local.minute]}–{_HHMM[end.hour * 60 + end.minute]}"


def _describe(cell: Cell, when: str, text: Callable[[str], str]) -> str:
    """:meth:`Cell.describe` with its ``when`` (:func:`_when_text`) given and the user's
    words (memo, label) passed through ``text`` (``str``, or an escaper for markup). The
    other words are ours and need no escaping."""
    state = cell.state
    if state in (DELETED, REMOVED):
        return f"{when}, {cell.state_text}"
    rec = cell.record
    level, minutes, memo, label = cell.level, cell.billable, rec.memo, rec.label
    # One format with the words looked up (a list, a join and two int formats cost twice as
    # much, times 1,008 cells).
    return (
        f"{when}, {STATE_TEXT[state]}"
        f"{'' if rec.manual else _ACTIVITY[level] if 0 <= level <= 10 else f', activity {level} of 10'}"
        f"{_MINUTES[minutes] if 0 <= minutes <= 10 else f', {minutes} min'}"
        f"{', memo: ' + text(memo) if memo else ', no memo'}"
        f"{', label: ' + text(label) if label else ''}"
        f"{', protected' if cell.protected else ''}"
    )


_ACTIVITY = tuple(f", activity {n} of 10" for n in range(11))
_MINUTES = tuple(f", {n} min" for n in range(11))


def _grid_td(cell: Cell, when: str, text: Callable[[str], str], oob: bool = False) -> str:
    """The markup of :meth:`Cell.grid_td` as a plain string (every user text escaped)."""
    ident = cell.record.id
    ident = str(ident) if type(ident) is int else text(str(ident))
    cls = cell.color + " p" if cell.protected else cell.color
    extra = ' data-del="1"' if cell.can_delete else ""
    if cell.state in (DELETED, REMOVED):
        extra += ' aria-disabled="true"'
    if oob:
        extra += f" hx-swap-oob='outerHTML:#week-grid td[data-id=\"{ident}\"]'"
    return (
        f'<td role="gridcell" class="c {cls}" data-id="{ident}" data-m="{cell.billable}"{extra}'
        f' aria-selected="false" tabindex="-1" aria-label="{_describe(cell, when, text)}"></td>'
    )


@dataclass(frozen=True)
class DeletionPlan:
    """What deleting the snapshots of a selection would do: the confirmation's numbers
    (``ids``: the segments', as the program names them)."""

    ids: list
    segments: int
    minutes: int
    snapshots: int

    @property
    def text(self) -> str:
        shots = f"{self.snapshots} screen snapshot{'s' if self.snapshots != 1 else ''}"
        return (
            f"Delete {shots} and remove {hm(self.minutes)} of logged time ({self.segments} segment"
            f"{'s' if self.segments != 1 else ''}) from this week? Deleted time is not billed; "
            "this cannot be undone."
        )


@dataclass(frozen=True)
class Totals:
    """Minutes of a day or a week. ``billable``: what was logged and not deleted;
    ``billed``: the part within the weekly limit; ``removed``: deleted time."""

    billable: int = 0
    billed: int = 0
    manual: int = 0
    protected: int = 0
    removed: int = 0
    limit_hours: int | None = None

    @property
    def over_limit(self) -> int:
        return self.billable - self.billed

    @property
    def limit_minutes(self) -> int | None:
        return None if self.limit_hours is None else self.limit_hours * 60

    @property
    def limit_percent(self) -> int | None:
        """0-100, for the progress bar against the weekly limit."""
        if not self.limit_minutes:
            return None
        return min(100, round(100 * self.billable / self.limit_minutes))


def hm(minutes: int) -> str:
    """``125`` -> ``"2:05"``."""
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def amount(minutes: int, rate: Decimal | str | None) -> Decimal | None:
    """The amount for ``minutes`` at an hourly ``rate``, rounded to cents (None without a rate)."""
    if rate is None or rate == "":
        return None
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        return None
    return (value * minutes / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LockState:
    """What may still change in a work week, and until when."""

    week_start: datetime
    deletable: bool
    editable: bool
    delete_until: datetime
    lock_at: datetime

    def note(self, tz: tzinfo) -> str:
        if self.deletable:
            return (
                f"Snapshots can be deleted until {_when(self.delete_until - timedelta(seconds=1), tz)}; "
                f"memos and labels can be edited until {_when(self.lock_at, tz)}."
            )
        if self.editable:
            return (
                f"This work week has ended: snapshots can no longer be deleted. Memos and labels can be "
                f"edited until the week locks for invoicing, {_when(self.lock_at, tz)}."
            )
        return f"This week was locked for invoicing on {_when(self.lock_at, tz)}: memos and labels are read-only."

    @property
    def badge(self) -> str:
        return "Open" if self.deletable else ("Ended, memos editable" if self.editable else "Locked")


def _when(t: datetime, tz: tzinfo) -> str:
    local = t.astimezone(tz)
    return f"{local:%a %d %b %H:%M} {local.tzname() or ''}".rstrip()


def lock_state(week: datetime, now: datetime) -> LockState:
    start = rules.week_start(week)
    return LockState(
        week_start=start,
        deletable=rules.can_delete_snapshot(start, now),
        editable=rules.memo_editable(start, now),
        delete_until=rules.week_end(start),
        lock_at=rules.week_lock_time(start),
    )


# --- annotation: rules applied to each segment -------------------------------------------


def annotate(
    records: Iterable[SegmentRecord],
    *,
    now: datetime,
    weekly_limit_hours: int | None,
    viewer: str = FREELANCER,
) -> list[Cell]:
    """Cells in time order, with billing against the weekly limit counted per UTC work week.

    The limit needs every earlier segment of the week, so pass whole weeks of records.
    """
    if viewer not in (FREELANCER, CLIENT):
        raise ValueError(f"viewer must be {FREELANCER!r} or {CLIENT!r}")
    now = rules.to_utc(now)
    freelancer = viewer == FREELANCER
    cells: list[Cell] = []
    billed_in_week: dict[datetime, int] = {}
    # The rules per work week, once each (a week view asks for 1,008 cells).
    weeks: dict[date, tuple[datetime, bool, bool]] = {}
    no_counts = ((0, 0, 0),) * rules.MINUTES_PER_SEGMENT
    # rules.billable_minutes per distinct logged time (nearly every segment logs 600 s).
    minutes_of: dict[float, int] = {}
    for rec in sorted(records, key=lambda r: r.start):
        start = rec.start if rec.start.tzinfo is UTC else rules.to_utc(rec.start)
        known = weeks.get(start.date())
        if known is None:
            week = rules.week_start(start)
            known = weeks[start.date()] = (
                week,
                rules.can_delete_snapshot(week, now),
                rules.memo_editable(week, now),
            )
        week, deletable, editable_week = known
        if rec.minutes:
            counts = tuple(tuple(c) for c in rec.minutes[: rules.MINUTES_PER_SEGMENT])
            counts += ((0, 0, 0),) * (rules.MINUTES_PER_SEGMENT - len(counts))
            level = rules.activity_level(sum(c) for c in counts)
        else:
            counts = no_counts
            level = min(rules.MINUTES_PER_SEGMENT, rec.activity or 0)
        if rec.deleted:
            billable = billed = 0
            state = REMOVED if viewer == CLIENT else DELETED
        else:
            billable = minutes_of.get(rec.logged_seconds)
            if billable is None:
                billable = minutes_of[rec.logged_seconds] = rules.billable_minutes(rec.logged_seconds)
            before = billed_in_week.get(week, 0)
            billed = rules.minutes_within_weekly_limit(before, billable, weekly_limit_hours)
            billed_in_week[week] = before + billed
            if rec.manual:
                state = MANUAL
            elif billed < billable:
                state = OVER
            elif level == 0:
                state = IDLE
            else:
                state = LOGGED
        live = not rec.deleted
        protected = live and rules.is_protected(
            manual=rec.manual,
            has_screen_snapshot=rec.screen_id is not None,
            activity=level,
            memo=rec.memo,
            label=rec.label,
            within_weekly_limit=billable > 0 and billed == billable,
        )
        editable = live and editable_week
        cells.append(  # positional (the field order): 1,008 keyword calls cost a millisecond
            Cell(
                rec,
                start,
                level,
                billable,
                billed,
                state,
                protected,
                freelancer and live and deletable,
                freelancer and editable,
                editable,
                counts,
            )
        )
    return cells


def totals(cells: Iterable[Cell], limit_hours: int | None = None) -> Totals:
    billable = billed = manual = protected = removed = 0
    for c in cells:
        if c.state in (DELETED, REMOVED):
            removed += rules.billable_minutes(c.record.logged_seconds)
            continue
        billable += c.billable
        billed += c.billed
        if c.record.manual:
            manual += c.billable
        if c.protected:
            protected += c.billed
    return Totals(billable, billed, manual, protected, removed, limit_hours)


def _sum(parts: Iterable[Totals]) -> Totals:
    """Totals of disjoint sets of cells (a week's days) added up: what :func:`totals` of all
    their cells gives, without a second pass over 1,008 cells."""
    parts = list(parts)
    return Totals(
        sum(t.billable for t in parts),
        sum(t.billed for t in parts),
        sum(t.manual for t in parts),
        sum(t.protected for t in parts),
        sum(t.removed for t in parts),
        parts[0].limit_hours if parts else None,
    )


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

    @property
    def text(self) -> str:
        return self.memo or ("" if self.label else "No memo")


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
    """Runs of consecutive live segments that share memo and label."""
    runs: list[list[Cell]] = []
    for c in cells:
        if not c.selectable:
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and c.start == last.end and (c.memo, c.label) == (last.memo, last.label):
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
    return DayView(
        day=day,
        tz=tz,
        start=start,
        end=end,
        rows=rows,
        cells=cells,
        totals=totals(cells, weekly_limit_hours),
        week_totals=totals(week_cells, weekly_limit_hours),
        lock=lock_state(week_of, now),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        viewer=viewer,
    )


def _bars(row_cells: list[Cell | None], run_of: dict[datetime, list[Cell]]) -> list[MemoBar]:
    bars: list[MemoBar] = []
    col = 0
    while col < len(row_cells):
        c = row_cells[col]
        run = run_of.get(c.start) if c is not None else None
        if run is None:
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
            )
        )
        col += span
    return bars


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
    return WeekView(
        start=start,
        end=end,
        tz=tz,
        days=days,
        rows=rows,
        cells=cells,
        totals=_sum(d.totals for d in days),  # every cell of the week is in one day
        lock=lock_state(start, now),
        rate=Decimal(str(rate)) if rate not in (None, "") else None,
        currency=currency,
        viewer=viewer,
    )


def selection_minutes(cells: Iterable[Cell], ids: Iterable) -> int:
    """Billable minutes of the selected segments: what deleting them removes."""
    wanted = {str(i) for i in ids}
    return sum(c.billable for c in cells if str(c.id) in wanted and c.selectable)


# --- export ------------------------------------------------------------------------------

CSV_HEADER = (
    "start",
    "end",
    "minutes",
    "billed_minutes",
    "activity_level",
    "keystrokes",
    "clicks",
    "scrolls",
    "app",
    "window_title",
    "memo",
    "label",
    "state",
    "protected",
)


def _cell_text(value: str | None) -> str:
    """Text for a spreadsheet: a leading = + - @ (a formula) is neutralised with a quote."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(cells: Iterable[Cell], tz: tzinfo) -> list[tuple]:
    """One row per segment, times as ISO 8601 in ``tz``; a client sees no details of removed time."""
    rows = []
    for c in cells:
        hidden = c.state == REMOVED
        rows.append(
            (
                c.start.astimezone(tz).isoformat(),
                c.end.astimezone(tz).isoformat(),
                c.billable,
                c.billed,
                "" if hidden else c.level,
                *(("", "", "") if hidden else c.sums),
                "" if hidden else _cell_text(c.record.app_name),
                "" if hidden else _cell_text(c.record.window_title),
                "" if hidden else _cell_text(c.record.memo),
                "" if hidden else _cell_text(c.record.label),
                c.state,
                "yes" if c.protected else "no",
            )
        )
    return rows


def csv_text(cells: Iterable[Cell], tz: tzinfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(cells, tz))
    return out.getvalue()


@dataclass
class ZoneChoice:
    """One entry of the time-zone switch (key in the URL, text shown, the zone)."""

    key: str
    text: str
    zone: tzinfo
    selected: bool = False


def zone_choices(local: tzinfo, client: tzinfo | None, chosen: str) -> list[ZoneChoice]:
    """local / UTC / the client's (when known and not the viewer's own zone); ``chosen``
    falls back to local, which is then the same zone anyway."""
    choices = [ZoneChoice("local", f"Mine ({zone_name(local)})", local)]
    if zone_name(local) not in ("UTC", "Etc/UTC"):  # else "Mine (UTC)" already is UTC
        choices.append(ZoneChoice("utc", "UTC", UTC))
    if client is not None and zone_name(client) != zone_name(local):  # the client's own view: "Mine" is theirs
        choices.append(ZoneChoice("client", f"Client's ({zone_name(client)})", client))
    keys = [c.key for c in choices]
    pick = chosen if chosen in keys else "local"  # "utc" when local is UTC: the same zone
    for c in choices:
        c.selected = c.key == pick
    return choices


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


__all__ = [
    "CLIENT",
    "FREELANCER",
    "Cell",
    "DayView",
    "DeletionPlan",
    "LockState",
    "SegmentRecord",
    "Totals",
    "WeekView",
    "annotate",
    "csv_text",
    "day_view",
    "hm",
    "lock_state",
    "totals",
    "week_view",
    "zone_choices",
]
