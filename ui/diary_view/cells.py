"""Cells: each segment with what a view shows about it (state, billed, lock), the totals and the lock state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from markupsafe import Markup

from core import rules
from core.diary import CLIENT, DELETED, FREELANCER, IDLE, LOGGED, MANUAL, OVER, REMOVED, STATE_TEXT, SegmentRecord
from core.protection import SegmentFacts, Verdict, verdict
from ui.diary_view.cell_html import _BAR, _HHMM, _describe, _escaper, _grid_td, _mark_html, _when_text

SLOTS_PER_DAY = 144
SLOTS_PER_HOUR = 6
CHART_HEIGHT = 160


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
    #: Hourly Protection (:func:`core.protection.verdict`); None for deleted time.
    verdict: Verdict | None = None

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

    def mark_html(self) -> Markup:
        """The day view's Hourly Protection mark (symbol, words, the reasons on hover and focus)."""
        return Markup(_mark_html(self))  # noqa: S704 (our own words only)

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
            counts = tuple((k, c, s) for k, c, s in rec.minutes[: rules.MINUTES_PER_SEGMENT])
            counts += ((0, 0, 0),) * (rules.MINUTES_PER_SEGMENT - len(counts))
            level = rules.activity_level(sum(c) for c in counts)
        else:
            counts = no_counts
            level = min(rules.MINUTES_PER_SEGMENT, rec.activity or 0)
        if rec.deleted:
            billable = billed = 0
            state = REMOVED if viewer == CLIENT else DELETED
        else:
            known_minutes = minutes_of.get(rec.logged_seconds)
            if known_minutes is None:
                known_minutes = minutes_of[rec.logged_seconds] = rules.billable_minutes(rec.logged_seconds)
            billable = known_minutes
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
        judged = None
        if live:  # the stores know idle-discarded time as a segment whose logged time went to 0
            judged = verdict(
                SegmentFacts(
                    rec.manual,
                    rec.screen_id is not None,
                    level,
                    rec.memo,
                    rec.label,
                    billed == billable,
                    not rec.manual and billable == 0,
                )
            )
        protected = judged is not None and not judged.reasons
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
                judged,
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
