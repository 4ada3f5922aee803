"""The grid cell's HTML, built here rather than in a template because a week view renders
1,008 of them per request; it must match ``ui/templates/diary/``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from core import rules
from core.diary import DELETED, REMOVED, STATE_TEXT
from core.protection import REASON_TEXT, Verdict

if TYPE_CHECKING:  # annotations only: cells.py builds its HTML with this module
    from ui.diary_view.cells import Cell

_BAR = ('<span class="b"></span>', '<span class="b on"></span>')  # a meter's bar: idle, active minute
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EMPTY_TD = Markup('<td role="gridcell" class="e" tabindex="-1"></td>')

#: The week grid's class of a verdict: ``p`` qualifies, ``fx`` a memo or label would protect
#: it, ``np`` not protected (CSS puts a symbol in the cell: colour is never the only signal).
OK, FIX, NO = "p", "fx", "np"
_WORDS: dict[Verdict, tuple[str, str]] = {}


def verdict_words(v: Verdict) -> tuple[str, str]:
    """``(class, sentence)`` of a verdict (:meth:`Verdict.words`), remembered per verdict:
    a week has a handful of distinct ones and 1,008 cells."""
    known = _WORDS.get(v)
    if known is None:
        known = _WORDS[v] = (OK if not v.reasons else (FIX if v.fixable else NO), v.words())
    return known


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
        f"{'. ' + verdict_words(cell.verdict)[1] if cell.verdict is not None else ''}"
    )


_ACTIVITY = tuple(f", activity {n} of 10" for n in range(11))
_MINUTES = tuple(f", {n} min" for n in range(11))


def _grid_td(cell: Cell, when: str, text: Callable[[str], str], oob: bool = False) -> str:
    """The markup of :meth:`Cell.grid_td` as a plain string (every user text escaped)."""
    ident = cell.record.id
    ident = str(ident) if type(ident) is int else text(str(ident))
    cls = cell.color if cell.verdict is None else f"{cell.color} {verdict_words(cell.verdict)[0]}"
    extra = ' data-del="1"' if cell.can_delete else ""
    if cell.state in (DELETED, REMOVED):
        extra += ' aria-disabled="true"'
    if oob:
        extra += f" hx-swap-oob='outerHTML:#week-grid td[data-id=\"{ident}\"]'"
    return (
        f'<td role="gridcell" class="c {cls}" data-id="{ident}" data-m="{cell.billable}"{extra}'
        f' aria-selected="false" tabindex="-1" aria-label="{_describe(cell, when, text)}"></td>'
    )


#: The day view's mark per kind of verdict: symbol and short words.
MARK = {OK: ("✓", "Protected"), FIX: ("!", "Needs a memo"), NO: ("✕", "Not protected")}


def _mark_html(cell: Cell) -> str:
    """:meth:`Cell.mark_html`: symbol and short words, the reasons in a tip shown on hover and
    on keyboard focus and read by screen readers (visually hidden until then). Our words only."""
    v = cell.verdict
    if v is None:
        return ""
    k = verdict_words(v)[0]
    symbol, short = MARK[k]
    reasons = "Qualifies for Hourly Protection" if not v.reasons else "; ".join(REASON_TEXT[r] for r in v.reasons)
    reasons = reasons[0].upper() + reasons[1:]
    return (
        f'<span class="pmark pm-{k}" tabindex="0"><span class="pm-sym" aria-hidden="true">{symbol}</span> {short}'
        f'<span class="ptip" role="tooltip"><span class="sr-only">: </span>{reasons}</span></span>'
    )
