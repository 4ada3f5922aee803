"""The Work Diary's pure view-model: cell states, billing, memo runs, grids, lock, CSV."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

from core.diary import SegmentRecord
from ui import diary_view as dv

MON = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
BUSY = ((3, 1, 0),) * 10
NOW = MON + timedelta(days=2, hours=12)  # Wednesday noon: everything editable


def seg(i, start, memo="Checkout", label="Design", **kw):
    base = dict(
        id=i,
        start=start,
        logged_seconds=600,
        minutes=BUSY,
        memo=memo,
        label=label,
        screen_id=100 + i,
        app_name="xterm",
        window_title="vim",
    )
    base.update(kw)
    return SegmentRecord(**base)


def run(start, n, first_id=1, **kw):
    return [seg(first_id + k, start + timedelta(minutes=10 * k), **kw) for k in range(n)]


def test_cell_states_and_protection():
    recs = [
        seg(1, MON + timedelta(hours=9)),
        seg(2, MON + timedelta(hours=9, minutes=10), minutes=((0, 0, 0),) * 10),
        seg(3, MON + timedelta(hours=9, minutes=20), manual=True, screen_id=None, minutes=()),
        seg(4, MON + timedelta(hours=9, minutes=30), deleted=True),
        seg(5, MON + timedelta(hours=9, minutes=40), memo=None, label=None),
        seg(6, MON + timedelta(hours=9, minutes=50), screen_id=None),
    ]
    cells = {c.id: c for c in dv.annotate(recs, now=NOW, weekly_limit_hours=None)}
    assert [cells[i].state for i in range(1, 7)] == ["logged", "idle", "manual", "deleted", "logged", "logged"]
    assert cells[1].protected and cells[1].level == 10
    assert not cells[2].protected  # no activity
    assert not cells[3].protected and cells[3].billable == 10  # manual: billed, never protected
    assert cells[4].billable == 0 and not cells[4].selectable
    assert not cells[5].protected  # undescribed
    assert not cells[6].protected  # no screen snapshot
    assert "activity 10 of 10" in cells[1].describe(UTC) and "Mon 09:00–09:10" in cells[1].describe(UTC)


def test_weekly_limit_bills_in_time_order_and_per_week():
    recs = run(MON + timedelta(hours=8), 9)  # 90 minutes against a 1-hour limit
    recs += run(MON + timedelta(days=7, hours=8), 2, first_id=50)  # next week starts afresh
    cells = dv.annotate(reversed(recs), now=NOW, weekly_limit_hours=1)
    first_week = [c for c in cells if c.start < MON + timedelta(days=7)]
    assert [c.billed for c in first_week] == [10] * 6 + [0] * 3
    assert [c.state for c in first_week][5:7] == ["logged", "over"]
    assert not first_week[7].protected
    assert [c.billed for c in cells if c.start >= MON + timedelta(days=7)] == [10, 10]
    t = dv.totals(first_week, 1)
    assert (t.billable, t.billed, t.over_limit, t.limit_percent) == (90, 60, 30, 100)


def test_partial_seconds_round_up_and_deleted_time_counts_as_removed():
    recs = [seg(1, MON, logged_seconds=61), seg(2, MON + timedelta(minutes=10), deleted=True, logged_seconds=600)]
    t = dv.totals(dv.annotate(recs, now=NOW, weekly_limit_hours=None))
    assert (t.billable, t.removed) == (2, 10)


def test_client_sees_removed_time_and_edits_labels_only():
    recs = [seg(1, MON), seg(2, MON + timedelta(minutes=10), deleted=True)]
    cells = dv.annotate(recs, now=NOW, weekly_limit_hours=None, viewer=dv.CLIENT)
    assert cells[1].state == "removed" and cells[1].state_text == "Removed by the freelancer"
    assert not cells[0].can_delete and not cells[0].memo_editable and cells[0].label_editable
    rows = dv.csv_rows(cells, UTC)
    assert rows[1][8:12] == ("", "", "", "") and rows[1][12] == "removed"
    with pytest.raises(ValueError, match="viewer"):
        dv.annotate(recs, now=NOW, weekly_limit_hours=None, viewer="admin")


def test_deadlines_end_of_week_and_lock():
    recs = [seg(1, MON + timedelta(days=6, hours=23, minutes=50))]
    sunday_last = MON + timedelta(days=6, hours=23, minutes=59, seconds=59)
    (c,) = dv.annotate(recs, now=sunday_last, weekly_limit_hours=None)
    assert c.can_delete and c.memo_editable
    (c,) = dv.annotate(recs, now=MON + timedelta(days=7), weekly_limit_hours=None)
    assert not c.can_delete and c.memo_editable
    lock = dv.lock_state(MON, MON + timedelta(days=7, hours=11, minutes=59))
    assert not lock.deletable and lock.editable and "has ended" in lock.note(UTC)
    (c,) = dv.annotate(recs, now=MON + timedelta(days=7, hours=12), weekly_limit_hours=None)
    assert not c.memo_editable and not c.label_editable
    lock = dv.lock_state(MON, MON + timedelta(days=7, hours=12))
    assert lock.badge == "Locked" and "Mon 10 Mar 12:00 UTC" in lock.note(UTC)
    assert "Sun 09 Mar 23:59" in dv.lock_state(MON, NOW).note(UTC)


def test_day_view_rows_cells_and_memo_bars_cut_at_hours():
    # 09:40-10:30 "Checkout", then 10:30 a different label, 10:50 a gap then 11:00 same memo again
    recs = run(MON + timedelta(hours=9, minutes=40), 5)
    recs.append(seg(10, MON + timedelta(hours=10, minutes=30), label="Development"))
    recs.append(seg(11, MON + timedelta(hours=11), label="Development"))
    view = dv.day_view(recs, day=date(2025, 3, 3), tz=UTC, now=NOW, weekly_limit_hours=40)
    assert [r.label for r in view.rows] == ["09:00", "10:00", "11:00"]
    assert [c is not None for c in view.rows[0].cells] == [False] * 4 + [True] * 2
    bars9 = view.rows[0].bars
    assert [(b.column, b.span, b.continued) for b in bars9] == [(4, 2, False)]
    assert bars9[0].ids == [1, 2, 3, 4, 5]  # the whole run, across the hour
    bars10 = view.rows[1].bars
    assert [(b.column, b.span, b.continued, b.label) for b in bars10] == [
        (0, 3, True, "Design"),
        (3, 1, False, "Development"),
    ]
    assert view.rows[2].bars[0].ids == [11]  # a gap breaks the run
    assert view.totals.billable == 70 and view.week_totals.billable == 70
    assert view.neighbours(2) == (view.cells[0], view.cells[2])


def test_day_view_in_a_time_zone_with_dst_and_week_totals():
    tz = ZoneInfo("America/New_York")
    day = date(2025, 3, 9)  # DST starts: a 23-hour day
    start, end = dv.day_bounds(day, tz)
    assert end - start == timedelta(hours=23)
    # 23:00 local Sunday is Monday 03:00 UTC: the next work week.
    recs = [seg(1, datetime(2025, 3, 10, 3, 0, tzinfo=UTC)), seg(2, datetime(2025, 3, 9, 15, 0, tzinfo=UTC))]
    view = dv.day_view(recs, day=day, tz=tz, now=NOW, weekly_limit_hours=None, all_hours=True)
    assert len(view.rows) == 23 and view.rows[-1].label == "23:00" and view.rows[10].label == "11:00"
    assert view.totals.billable == 20
    assert view.week_totals.billable == 10  # the week of the day's middle (Mon 3 Mar)
    a, b = dv.records_range_for_day(day, tz)
    assert (a, b) == (MON, MON + timedelta(days=14))


def test_day_view_in_a_zone_not_on_ten_minutes():
    tz = ZoneInfo("Asia/Kathmandu")  # +05:45
    view = dv.day_view([], day=date(2025, 3, 4), tz=tz, now=NOW, weekly_limit_hours=None, all_hours=True)
    assert len(view.rows) == 24 and view.rows[0].label == "00:05" and view.empty


def test_week_view_grid_totals_amount_and_rows():
    recs = run(MON + timedelta(hours=9), 12)  # Mon 9-11
    recs += run(MON + timedelta(days=2, hours=14), 6, first_id=30, minutes=((1, 0, 0),) * 3 + ((0, 0, 0),) * 7)
    view = dv.week_view(recs, week=NOW, tz=UTC, now=NOW, weekly_limit_hours=40, rate="25.00", currency="USD")
    assert view.start == MON and len(view.days) == 7 and all(len(d.cells) == 144 for d in view.days)
    assert view.rows[0].label == "09:00" and view.rows[-1].label == "14:50" and len(view.rows) == 36
    assert view.days[0].totals.billable == 120 and view.days[2].totals.billable == 60
    assert view.totals.billed == 180 and view.amount == Decimal("75.00")
    assert view.day_amount(view.days[2]) == Decimal("25.00")
    wed = view.days[2].cells[14 * 6]
    assert wed.level == 3 and wed.color == "lv2"
    assert view.days[0].cells[9 * 6].color == "lv5"
    grid = view.grid()
    assert len(grid) == 36 and len(grid[0][1]) == 7
    chart = view.chart()
    assert chart[0].height == 160 and chart[2].height == 80 and chart[1].height == 0
    assert dv.selection_minutes(view.cells, ["1", 2, 999]) == 20
    empty = dv.week_view([], week=NOW, tz=ZoneInfo("Europe/Berlin"), now=NOW, weekly_limit_hours=None)
    assert empty.rows[0].label == "09:00" and len(empty.rows) == 60 and empty.amount is None
    full = dv.week_view([], week=NOW, tz=UTC, now=NOW, weekly_limit_hours=None, all_hours=True)
    assert len(full.rows) == 144


def test_csv_export_rows_and_formula_guard():
    recs = [seg(1, MON, memo="=HYPERLINK(evil)", window_title="+1 thing", label=None)]
    text = dv.csv_text(dv.annotate(recs, now=NOW, weekly_limit_hours=None), ZoneInfo("Europe/Berlin"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(dv.CSV_HEADER)
    assert rows[1][:8] == ["2025-03-03T01:00:00+01:00", "2025-03-03T01:10:00+01:00", "10", "10", "10", "30", "10", "0"]
    assert rows[1][9:13] == ["'+1 thing", "'=HYPERLINK(evil)", "", "logged"]


def test_helpers():
    assert dv.hm(125) == "2:05" and dv.hm(0) == "0:00"
    assert dv.amount(90, "40") == Decimal("60.00") and dv.amount(10, None) is None and dv.amount(1, "x") is None
    choices = dv.zone_choices(ZoneInfo("Europe/Berlin"), None, "client")
    assert [c.key for c in choices] == ["local", "utc"] and choices[0].selected
    choices = dv.zone_choices(ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo"), "client")
    assert choices[2].selected and choices[2].text == "Client's (Asia/Tokyo)"


def test_day_row_groups_and_week_memo_runs():
    recs = [*run(MON + timedelta(hours=9, minutes=10), 3), seg(9, MON + timedelta(hours=9, minutes=50), memo="Other")]
    view = dv.day_view(recs, day=date(2025, 3, 3), tz=UTC, now=NOW, weekly_limit_hours=None)
    groups = view.rows[0].groups
    assert [(g.span, g.bar is not None) for g in groups] == [(1, False), (3, True), (1, False), (1, True)]
    week = dv.week_view(recs, week=MON, tz=UTC, now=NOW, weekly_limit_hours=None)
    assert [(r.memo, r.minutes, r.segments) for r in week.memo_runs()] == [("Checkout", 30, 3), ("Other", 10, 1)]


def test_zone_switch_has_one_utc_entry_when_mine_is_utc():
    choices = dv.zone_choices(ZoneInfo("UTC"), None, "utc")
    assert [(c.key, c.selected) for c in choices] == [("local", True)]


def test_zone_switch_has_no_clients_entry_for_the_client_themself():
    tokyo = ZoneInfo("Asia/Tokyo")
    choices = dv.zone_choices(tokyo, ZoneInfo("Asia/Tokyo"), "client")
    assert [(c.key, c.selected) for c in choices] == [("local", True), ("utc", False)]
    assert choices[0].zone is tokyo


def test_grid_cell_markup_is_escaped_and_carries_the_rules():
    recs = [
        seg(1, MON + timedelta(hours=9), memo='<b>"x"</b> & y', label="Design"),
        seg(2, MON + timedelta(hours=9, minutes=10), deleted=True),
    ]
    cells = dv.annotate(recs, now=NOW, weekly_limit_hours=None)
    td = str(cells[0].grid_td(ZoneInfo("Europe/Berlin")))
    assert td.startswith('<td role="gridcell" class="c lv5 p" data-id="1" data-m="10" data-del="1"')
    assert "memo: &lt;b&gt;&#34;x&#34;&lt;/b&gt; &amp; y" in td and "<b>" not in td
    assert "Mon 10:00–10:10" in td  # 09:00 UTC in Berlin
    assert "hx-swap-oob" not in td
    oob = str(cells[0].grid_td(UTC, oob=True))
    assert "hx-swap-oob='outerHTML:#week-grid td[data-id=\"1\"]'" in oob
    deleted = str(cells[1].grid_td(UTC))
    assert 'class="c deleted"' in deleted and 'aria-disabled="true"' in deleted and "data-del" not in deleted
    after_week = dv.annotate(recs, now=MON + timedelta(days=7, hours=1), weekly_limit_hours=None)
    assert "data-del" not in str(after_week[0].grid_td(UTC))


def test_week_grid_rows_write_each_cell_as_grid_td_and_each_slot_once():
    """``WeekView.grid_rows`` writes the grid in Python for speed; it must write what the
    template wrote: per shown slot a row header and seven cells, a cell exactly as
    ``Cell.grid_td`` (the markup edits swap in), every user text escaped once."""
    tz = ZoneInfo("Europe/Berlin")
    recs = [
        seg(1, MON + timedelta(hours=9), memo='<b>"x"</b> & y', label="R&D"),
        seg(2, MON + timedelta(hours=9, minutes=10), deleted=True),
        SegmentRecord("a&b", MON + timedelta(days=3, hours=10, minutes=50), 600, memo="Call", manual=True),
    ]
    view = dv.week_view(recs, week=MON, tz=tz, now=NOW, weekly_limit_hours=None, viewer=dv.CLIENT)
    html = str(view.grid_rows())
    rows = html.split("</tr>\n")[:-1]
    assert len(rows) == len(view.rows) == 12  # 09:00-10:50 UTC
    assert rows[0].startswith('<tr class="h"><th scope="row">10:00<span class="sr-only">10:00</span></th>')
    assert rows[1].startswith('<tr><th scope="row" class="m"><span class="sr-only">10:10</span></th>')
    for cell in view.cells:
        assert html.count(str(cell.grid_td(tz))) == 1
    assert html.count(str(dv.EMPTY_TD)) == 12 * 7 - 3
    assert 'data-id="a&amp;b"' in html and "<b>" not in html
    first = str(view.cells[0].grid_td(tz))
    assert f'aria-label="{escape(view.cells[0].describe(tz))}"' in first
    assert "label: R&amp;D" in first and 'class="c removed"' in html


def test_activity_meter_shows_the_bars_level_and_minutes_in_the_viewers_zone():
    counts = ((4, 1, 0), (0, 0, 0), (0, 2, 0)) + ((0, 0, 0),) * 6 + ((0, 0, 9),)
    record = seg(1, MON + timedelta(hours=14, minutes=50), minutes=counts)
    (cell,) = dv.annotate([record], now=NOW, weekly_limit_hours=None)
    html = str(cell.meter_html(ZoneInfo("Asia/Kathmandu")))  # +05:45: 14:50 UTC is 20:35
    assert html.count('<span class="b on">') == 3 == cell.level and html.count('<span class="b">') == 7
    assert 'aria-label="Activity 3 of 10: show per-minute counts"' in html and ">3/10<" in html
    assert 'title="4 keystrokes, 3 clicks, 9 scrolls"' in html
    assert "Input per minute, 20:35–20:45" in html
    rows = re.findall(r"<tr><td>(\d\d:\d\d)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>", html)
    assert rows[0] == ("20:35", "4", "1", "0") and rows[2] == ("20:37", "0", "2", "0")
    assert rows[9] == ("20:44", "0", "0", "9") and len(rows) == 10
    # Across midnight in the viewer's zone the minutes wrap to 00:00.
    (late,) = dv.annotate([seg(2, MON + timedelta(hours=18, minutes=10))], now=NOW, weekly_limit_hours=None)
    late_rows = re.findall(r"<tr><td>(\d\d:\d\d)</td>", str(late.meter_html(ZoneInfo("Asia/Kathmandu"))))
    assert late_rows[:2] == ["23:55", "23:56"] and late_rows[5] == "00:00" and late_rows[9] == "00:04"
