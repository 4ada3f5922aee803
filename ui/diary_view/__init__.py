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

from core.diary import (
    CLIENT,
    DELETED,
    FREELANCER,
    IDLE,
    LOGGED,
    MANUAL,
    OVER,
    REMOVED,
    STATE_TEXT,
    DeletionPlan,
    SegmentRecord,
    hm,
)
from ui.diary_view.cell_html import EMPTY_TD
from ui.diary_view.cells import (
    CHART_HEIGHT,
    SLOTS_PER_DAY,
    SLOTS_PER_HOUR,
    Cell,
    LockState,
    Totals,
    amount,
    annotate,
    lock_state,
    totals,
)
from ui.diary_view.day import DayRow, DayView, Group, MemoBar, day_bounds, day_view, records_range_for_day
from ui.diary_view.export import CSV_HEADER, csv_rows, csv_text
from ui.diary_view.protection import FixRun, Protection, protection
from ui.diary_view.week import ChartBar, MemoRun, WeekDay, WeekRow, WeekView, selection_minutes, week_view
from ui.diary_view.zones import ZoneChoice, zone_choices, zone_name

__all__ = [
    "CHART_HEIGHT",
    "CLIENT",
    "CSV_HEADER",
    "DELETED",
    "EMPTY_TD",
    "FREELANCER",
    "IDLE",
    "LOGGED",
    "MANUAL",
    "OVER",
    "REMOVED",
    "SLOTS_PER_DAY",
    "SLOTS_PER_HOUR",
    "STATE_TEXT",
    "Cell",
    "ChartBar",
    "DayRow",
    "DayView",
    "DeletionPlan",
    "FixRun",
    "Group",
    "LockState",
    "MemoBar",
    "MemoRun",
    "Protection",
    "SegmentRecord",
    "Totals",
    "WeekDay",
    "WeekRow",
    "WeekView",
    "ZoneChoice",
    "amount",
    "annotate",
    "csv_rows",
    "csv_text",
    "day_bounds",
    "day_view",
    "hm",
    "lock_state",
    "protection",
    "records_range_for_day",
    "selection_minutes",
    "totals",
    "week_view",
    "zone_choices",
    "zone_name",
]
