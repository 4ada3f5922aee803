"""The week as CSV rows (formula-safe text)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import tzinfo

from core.diary import REMOVED
from ui.diary_view.cells import Cell

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
