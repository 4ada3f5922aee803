"""Hourly Protection in the Work Diary's view-model: each cell's verdict and mark (week grid
and day view), the week's score, the fix list (freelancer, while editable) and the memo
bars' kinds; for both viewers."""

import re
from datetime import UTC, timedelta

import pytest

from core.diary import CLIENT, FREELANCER
from core.protection import Reason, SegmentFacts, verdict
from tests.unit.test_diary_view import MON, NOW, run, seg
from ui import diary_view as dv
from ui.diary_view.protection import MAX_FIXES

T9 = MON + timedelta(hours=9)


def week_records():
    """Monday 9:00: 3 protected, 2 bare (a memo would protect them), 1 idle, 1 manual;
    Tuesday 9:00: 1 bare, then one deleted."""
    recs = run(T9, 3)
    recs += run(T9 + timedelta(minutes=30), 2, first_id=4, memo=None, label=None)
    recs.append(seg(6, T9 + timedelta(minutes=50), minutes=((0, 0, 0),) * 10))
    recs.append(seg(7, T9 + timedelta(minutes=60), manual=True, screen_id=None, minutes=()))
    recs.append(seg(8, T9 + timedelta(days=1), memo="", label=""))
    recs.append(seg(9, T9 + timedelta(days=1, minutes=10), deleted=True, memo=None, label=None))
    return recs


@pytest.mark.parametrize("viewer", [FREELANCER, CLIENT])
def test_every_live_cell_carries_the_verdict_of_core_protection(viewer):
    cells = {c.id: c for c in dv.annotate(week_records(), now=NOW, weekly_limit_hours=None, viewer=viewer)}
    assert cells[1].verdict is not None and cells[1].verdict.qualifies and cells[1].protected
    assert cells[4].verdict.reasons == (Reason.NO_MEMO,) and cells[4].verdict.fixable
    assert cells[6].verdict.reasons == (Reason.NO_ACTIVITY,)
    assert cells[7].verdict.reasons == (Reason.MANUAL,)
    assert cells[9].verdict is None  # deleted (or, for the client, removed) time has no mark
    facts = SegmentFacts(False, True, 10, None, None, True)
    assert cells[4].verdict == verdict(facts)
    assert [c.protected for c in cells.values()] == [
        c.verdict is not None and c.verdict.qualifies for c in cells.values()
    ]


def test_over_limit_and_idle_discarded_time_say_so():
    recs = run(T9, 7)  # 70 minutes against a one-hour limit
    recs.append(seg(20, T9 + timedelta(hours=2), logged_seconds=0, minutes=((0, 0, 0),) * 10))  # idle discarded
    cells = dv.annotate(recs, now=NOW, weekly_limit_hours=1)
    assert cells[6].verdict.reasons == (Reason.OVER_LIMIT,)
    assert cells[-1].verdict.reasons == (Reason.NO_ACTIVITY, Reason.IDLE_DISCARDED)
    assert Reason.OVER_LIMIT not in cells[-1].verdict.reasons


def test_week_grid_cells_mark_the_verdict_with_a_class_and_say_the_reasons():
    view = dv.week_view(week_records(), week=MON, tz=UTC, now=NOW, weekly_limit_hours=None)
    html = str(view.grid_rows())
    td = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r'<td role="gridcell" class="c [^"]*" data-id="(\d+)".*?</td>', html)
    }
    assert re.search(r'class="c lv\d p"', td[1]) and "Qualifies for Hourly Protection" in td[1]
    assert 'class="c lv5 fx"' in td[4]
    assert "Not protected: no memo and no Activity label: add one before the week locks" in td[4]
    assert 'class="c manual np"' in td[7] and "manual time is billed but never protected" in td[7]
    assert 'class="c deleted"' in td[9] and "protect" not in td[9]
    assert 'class="c lv5 np"' not in td[1]


def test_day_view_mark_has_a_symbol_words_and_the_reasons_for_hover_focus_and_screen_readers():
    view = dv.day_view(week_records(), day=MON.date(), tz=UTC, now=NOW, weekly_limit_hours=None)
    cells = {c.id: c for c in view.cells}
    ok, bare, manual = str(cells[1].mark_html()), str(cells[4].mark_html()), str(cells[7].mark_html())
    assert 'class="pmark pm-p" tabindex="0"' in ok and "✓</span> Protected" in ok
    assert "!</span> Needs a memo" in bare and "No memo and no Activity label" in bare
    assert 'role="tooltip"' in bare and '<span class="sr-only">: </span>' in bare
    assert "✕</span> Not protected" in manual and "Manual time is billed but never protected" in manual
    assert "Not protected: no memo" in cells[4].describe(UTC)


def test_the_week_score_and_fix_list_come_from_the_same_view_model_in_both_views():
    recs = week_records()
    week = dv.week_view(recs, week=MON, tz=UTC, now=NOW, weekly_limit_hours=None).protection
    day = dv.day_view(recs, day=(MON + timedelta(days=1)).date(), tz=UTC, now=NOW, weekly_limit_hours=None).protection
    assert week == day
    # Billed: 8 live segments of 10 minutes; protected: 3 (1, 2, 3).
    assert (week.score.billed_minutes, week.score.protected_minutes, week.score.needs_memo) == (80, 30, 3)
    assert week.text == "37 % of this week's billed time qualifies for Hourly Protection; 3 segments need a memo"
    assert [(f.ids, f.minutes) for f in week.fixes] == [((4, 5), 20), ((8,), 10)]
    assert week.fixes[0].range_key == "4~5" and week.fixes[0].when(UTC) == "Mon 03 09:30–09:50"
    assert week.show_fixes and week.lock_text() == "Monday 12:00 UTC"


def test_the_client_sees_the_score_but_no_fix_list():
    view = dv.week_view(week_records(), week=MON, tz=UTC, now=NOW, weekly_limit_hours=None, viewer=CLIENT)
    assert view.protection.score.needs_memo == 3 and not view.protection.show_fixes


def test_once_the_week_locks_the_fix_list_goes_and_the_score_stays():
    locked = MON + timedelta(days=7, hours=12)
    p = dv.week_view(week_records(), week=MON, tz=UTC, now=locked, weekly_limit_hours=None).protection
    assert not p.show_fixes and not p.editable
    assert p.text == "37 % of this week's billed time qualifies for Hourly Protection"


def test_a_fully_protected_week_and_an_empty_one():
    p = dv.week_view(run(T9, 4), week=MON, tz=UTC, now=NOW, weekly_limit_hours=None).protection
    assert p.score.percent == 100 and not p.fixes and not p.show_fixes
    empty = dv.week_view([], week=MON, tz=UTC, now=NOW, weekly_limit_hours=None).protection
    assert empty.text == "No billed time this week yet"


def test_the_fix_list_is_cut_at_its_limit_and_counts_the_rest():
    recs = [seg(i, T9 + timedelta(minutes=20 * i), memo=None, label=None) for i in range(MAX_FIXES + 5)]
    p = dv.week_view(recs, week=MON, tz=UTC, now=NOW, weekly_limit_hours=None).protection
    assert len(p.fixes) == MAX_FIXES and p.more == 5


def test_memo_bars_are_cut_by_kind_logged_manual_over_the_limit():
    recs = run(T9, 6, memo="Same", label="Dev")  # one hour: the limit
    recs += run(T9 + timedelta(hours=1), 2, first_id=10, memo="Same", label="Dev")  # over it
    recs.append(seg(20, T9 + timedelta(hours=1, minutes=20), memo="Same", label="Dev", manual=True, screen_id=None))
    view = dv.day_view(recs, day=MON.date(), tz=UTC, now=NOW, weekly_limit_hours=1)
    bars = [b for row in view.rows for b in row.bars]
    assert [(b.kind, len(b.ids)) for b in bars] == [("logged", 6), ("over", 2), ("manual", 1)]
    assert [b.kind_text for b in bars] == ["", "Over the limit, not billed", "Manual time"]
