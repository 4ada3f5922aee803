"""The Work Diary in the Team app: day and week views, edits, deletions, manual time, export."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest

from core import rules
from models.capture_store import CaptureImage, CaptureSegment
from models.local import Contract
from tests.support.diary_data import write_segment
from web.services import services

HX = {"HX-Request": "true"}


@pytest.fixture
def diary(team, team_app, hire, capture_clock):
    """Signed in, a contract with a 2-hour limit and manual time; segments on Monday morning.

    The clock is Monday 23 Nov 2026 09:00 UTC; it moves to Wednesday noon so the segments
    are in the past of an open week.
    """
    make, _http, _headers = hire
    cid = make(
        "Website redesign",
        weekly_limit_hours=2,
        activity_labels=["Design", "Development"],
        manual_time_allowed=True,
    )
    assert team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"}).status_code == 303
    team.post("/contracts/select", data={"contract_id": cid})
    monday = rules.week_start(capture_clock.now())
    data_dir = services(team_app).settings.data_dir
    ids = {}
    with team_app.app_context():
        from models.local import local_db

        with local_db.connection_context():
            for k in range(6):  # 09:00-10:00 "Checkout"
                ids[k], images = write_segment(
                    data_dir,
                    cid,
                    monday + timedelta(hours=9, minutes=10 * k),
                    memo="Checkout",
                    label="Design",
                    camera=k == 1,
                )
                ids[f"img{k}"] = images
            ids["idle"], _ = write_segment(
                data_dir, cid, monday + timedelta(hours=10), counts=[(0, 0, 0)] * 10, memo="Reading", label=None
            )
            for k in range(8):  # Tuesday 14:00-15:20: 80 minutes, 150 in all: 30 over the limit
                ids[f"t{k}"], _ = write_segment(
                    data_dir, cid, monday + timedelta(days=1, hours=14, minutes=10 * k), memo="API", label="Development"
                )
    capture_clock.advance(timedelta(days=2, hours=3))
    return team, cid, ids, monday


def queued(team_app, kind):
    """Local ids waiting in the sync outbox (edits are uploaded through it)."""
    from models.local import local_db

    with team_app.app_context(), local_db.connection_context():
        return {r[0] for r in local_db.execute_sql("SELECT local_id FROM sync_outbox WHERE kind = ?", (kind,))}


def text(r):
    return html.unescape(r.get_data(as_text=True))


def test_day_view_shows_cells_memo_bars_totals_and_states(diary):
    team, _cid, ids, monday = diary
    r = team.get(f"/diary?day={monday.date()}&tz=utc")
    assert r.status_code == 200
    body = text(r)
    assert "Work Diary" in body and "Monday, 23 November 2026" in body
    assert 'id="day-total">1:10<' in body and 'id="week-total">2:30<' in body
    assert "of 2:00 limit" in body and "0:30 over, not billed" in body
    # Two hour rows, one memo bar for the 09:00 run (six segments), one for "Reading".
    assert body.count('class="day-row"') == 2
    bars = re.findall(r'class="memo-bar[^"]*"\s+hx-get="([^"]+)"', body)
    assert len(bars) == 2 and "ids=" + ",".join(str(ids[k]) for k in range(6)) in bars[0]
    assert 'loading="lazy"' in body and f"/snapshots/{ids['img0'][0]}?size=thumb" in body
    assert "No activity" in body  # the idle segment
    assert "Activity 10 of 10" in body and "<td>30</td><td>4</td><td>2</td>" in body  # per-minute counts
    assert body.count(">Delete</button>") == 7
    assert " style=" not in body and "<script>" not in body  # CSP: no inline style or script
    nav = f'href="{team.application.config["PATH_PREFIX"]}/diary?contract='
    assert nav in body and "Work Diary</a>" in body  # nav link
    # The Tuesday view marks the segments past the limit.
    body = text(team.get(f"/diary?day={(monday + timedelta(days=1)).date()}&tz=utc"))
    assert body.count("s-over") == 3 and "Over the weekly limit" in body
    # Its meters: the day's eight segments, ten minutes each (Monday's minutes are not read).
    assert body.count('<table class="minute-counts">') == 8 and len(re.findall(r"<tr><td>\d\d:\d\d</td>", body)) == 80
    # htmx gets the block alone.
    frag = text(team.get(f"/diary?day={monday.date()}&tz=utc", headers=HX))
    assert frag.lstrip().startswith('<section id="diary-day"') and "<html" not in frag


def test_a_boosted_link_gets_the_whole_page(diary):
    team, _cid, _ids, monday = diary
    page = text(team.get(f"/diary?day={monday.date()}&tz=utc", headers={**HX, "HX-Boosted": "true"}))
    assert "<html" in page and 'id="diary-day"' in page


def test_time_zone_switch_moves_the_day_not_the_data(diary, team_app):
    team, _cid, _ids, monday = diary
    from web import preferences as prefs_mod

    with team_app.app_context():
        prefs_mod.save(prefs_mod.Preferences(timezone="Asia/Tokyo"))
    body = text(team.get(f"/diary?day={monday.date()}&tz=local"))
    assert "Mine (Asia/Tokyo)" in body and 'class="hour" aria-hidden="true">18:00<' in body
    body = text(team.get(f"/diary?day={monday.date()}&tz=utc"))
    assert 'aria-hidden="true">09:00<' in body
    r = team.get("/diary?day=2026-13-40")
    assert r.status_code == 422 and "is not a date" in text(r)


def test_the_clients_time_zone_comes_from_the_diary_and_is_offered(diary, team_app, sqlite_diary):
    team, cid, _ids, monday = diary
    from diary_server.accounts import set_timezone
    from diary_server.models import User

    body = text(team.get(f"/diary?day={monday.date()}&tz=utc"))
    assert "Client's" not in body  # UTC like the viewer: nothing more to offer
    with sqlite_diary.extensions["diary_db"].connection_context():
        set_timezone(User.get(User.email == "cleo@example.com"), "America/New_York")
    assert team.post("/contracts/refresh", headers=HX).status_code == 200
    with team_app.app_context():
        assert Contract.get(Contract.id == cid).client_timezone == "America/New_York"
    body = text(team.get(f"/diary?day={monday.date()}&tz=client"))
    assert "Client's (America/New_York)" in body
    # 09:00 UTC on that Monday is 04:00 in New York (EST, UTC-5).
    assert 'class="hour" aria-hidden="true">04:00<' in body


def test_week_grid_totals_amount_and_lock_state(diary):
    team, _cid, ids, monday = diary
    r = team.get(f"/diary/week?week={monday.date()}&tz=utc")
    body = text(r)
    assert r.status_code == 200
    assert body.count('role="gridcell"') == 7 * 7 * 6  # 09:00 to 16:00 on seven days
    assert body.count("data-id=") == 15
    assert 'id="week-total">2:30<' in body and 'id="week-billed">2:00<' in body
    assert "50.00 USD" in body  # two billed hours at 25
    assert "Open" in body and 'id="sel-delete"' in body
    assert f'data-id="{ids[0]}"' in body and "activity 10 of 10" in body
    assert "aria-multiselectable" in body


def test_memo_and_label_for_a_selection_update_the_grid_in_place(diary, team_app):
    team, cid, ids, monday = diary
    chosen = [ids[2], ids[3], ids["idle"]]
    form = {
        "ids": ",".join(map(str, chosen)),
        "memo": "Refactor payment form",
        "label": "__keep__",
        "view": "week",
        "day": str(monday.date()),
        "tz": "utc",
    }
    r = team.post(f"/diary/memo?contract={cid}", data=form, headers=HX)
    body = text(r)
    # The answer is the message, plus out-of-band swaps of the three changed cells and the totals
    # only: not the 1,008-cell grid.
    assert r.status_code == 200 and body.lstrip().startswith('<div class="diary-notices" id="diary-notices"')
    assert "Saved the memo of 3 segments." in body and "memo: Refactor payment form" in body
    swapped = re.findall(r"hx-swap-oob='outerHTML:#week-grid td\[data-id=\"(\d+)\"\]'", body)
    assert sorted(map(int, swapped)) == sorted(chosen)
    assert body.count("<td") == 3 and 'id="diary-totals" role="group" aria-label="Totals" hx-swap-oob="true"' in body
    assert 'id="week-grid"' not in body
    with team_app.app_context():
        rows = {s.id: s for s in CaptureSegment.select().where(CaptureSegment.id.in_(chosen))}
    assert {s.memo for s in rows.values()} == {"Refactor payment form"}
    assert rows[ids[2]].label == "Design" and rows[ids["idle"]].label is None  # labels kept
    assert set(chosen) <= queued(team_app, "segment")  # to be uploaded
    # Label only.
    r = team.post(f"/diary/memo?contract={cid}", data={**form, "memo": "", "label": "Development"}, headers=HX)
    assert "Saved the label of 3 segments." in text(r)
    with team_app.app_context():
        assert CaptureSegment.get_by_id(ids[2]).memo == "Refactor payment form"
        assert CaptureSegment.get_by_id(ids[2]).label == "Development"
    # Bad input changes nothing.
    r = team.post(f"/diary/memo?contract={cid}", data={**form, "label": "Golf"}, headers=HX)
    assert r.status_code == 422 and "is not one of this contract's Activity labels" in text(r)
    r = team.post(f"/diary/memo?contract={cid}", data={**form, "memo": "x" * 1001}, headers=HX)
    assert r.status_code == 422 and "at most 1000 characters" in text(r)
    r = team.post(f"/diary/memo?contract={cid}", data={**form, "ids": "1,abc"}, headers=HX)
    assert r.status_code == 422 and "is not a segment number" in text(r)
    r = team.post(f"/diary/memo?contract={cid}", data={**form, "ids": "999999"}, headers=HX)
    assert "do not exist on this contract" in text(r)
    with team_app.app_context():
        assert CaptureSegment.get_by_id(ids[2]).label == "Development"


def test_memo_bar_editor_sets_memo_and_label_of_the_run(diary, team_app):
    team, cid, ids, monday = diary
    run = ",".join(str(ids[k]) for k in range(6))
    r = team.get(f"/diary/memo-form?contract={cid}&ids={run}&tz=utc&day={monday.date()}", headers=HX)
    body = text(r)
    assert r.status_code == 200 and 'value="Checkout"' in body and "Applies to 6 segments." in body
    data = {
        "ids": [str(ids[k]) for k in range(6)],
        "memo": "Checkout: tests",
        "label": "",
        "view": "day",
        "day": str(monday.date()),
        "tz": "utc",
    }
    body = text(team.post(f"/diary/memo?contract={cid}", data=data, headers=HX))
    assert "Checkout: tests" in body and 'id="diary-day"' in body
    with team_app.app_context():
        assert {
            (s.memo, s.label) for s in CaptureSegment.select().where(CaptureSegment.id.in_([ids[k] for k in range(6)]))
        } == {("Checkout: tests", None)}


def test_delete_confirms_the_time_then_removes_it_and_the_files(diary, team_app):
    team, cid, ids, monday = diary
    data_dir = services(team_app).settings.data_dir
    chosen = [ids[0], ids[1]]
    form = {"ids": ",".join(map(str, chosen)), "view": "week", "day": str(monday.date()), "tz": "utc"}
    r = team.post(f"/diary/delete/confirm?contract={cid}", data=form, headers=HX)
    body = text(r)
    assert "Delete 2 screen snapshots and remove 0:20 of logged time (2 segments)" in body
    assert "Delete 0:20" in body
    with team_app.app_context():
        assert CaptureSegment.get_by_id(ids[0]).deleted_at is None  # nothing happened yet
    r = team.post(f"/diary/delete?contract={cid}", data=form, headers=HX)
    assert r.status_code == 422 and "Confirm the deletion first." in text(r)
    r = team.post(f"/diary/delete?contract={cid}", data={**form, "confirm": "yes"}, headers=HX)
    body = text(r)
    assert "Deleted 2 segments (0:20)." in body
    assert 'id="week-total">2:10<' in body and "0:20 deleted" in body
    with team_app.app_context():
        segs = list(CaptureSegment.select().where(CaptureSegment.id.in_(chosen)))
        images = list(CaptureImage.select().where(CaptureImage.segment.in_(chosen)))
    assert all(s.deleted_at is not None for s in segs)
    assert len(images) == 3 and all(i.path is None and i.deleted_at is not None for i in images)  # camera too
    assert len(list(data_dir.rglob("*.jpg"))) == 2 * (15 + 1) - 2 * 3  # both files of three images
    assert team.get(f"/snapshots/{ids['img0'][0]}").status_code == 404
    assert set(chosen) <= queued(team_app, "segment") and {i.id for i in images} <= queued(team_app, "snapshot")
    # Deleting again is refused and changes nothing.
    r = team.post(f"/diary/delete?contract={cid}", data={**form, "confirm": "yes"}, headers=HX)
    assert r.status_code == 409 and "already deleted" in text(r)


def test_camera_snapshot_goes_alone(diary, team_app):
    team, cid, ids, monday = diary
    r = team.get(f"/diary/viewer/{ids[1]}?contract={cid}&tz=utc", headers=HX)
    body = text(r)
    assert r.status_code == 200 and "Camera snapshot of 09:10" in body and "Previous snapshot" in body
    assert f"/diary/viewer/{ids[2]}" in body and f"/diary/viewer/{ids[0]}" in body
    r = team.post(
        f"/diary/camera/delete?contract={cid}", data={"ids": ids[1], "day": str(monday.date()), "tz": "utc"}, headers=HX
    )
    assert "Camera snapshot deleted; the segment's time stays." in text(r)
    with team_app.app_context():
        assert CaptureSegment.get_by_id(ids[1]).deleted_at is None
        cam = CaptureImage.get((CaptureImage.segment == ids[1]) & (CaptureImage.kind == "camera"))
        assert cam.deleted_at is not None
    r = team.post(f"/diary/camera/delete?contract={cid}", data={"ids": ids[1]}, headers=HX)
    assert r.status_code == 409 and "no camera snapshot" in text(r)


def test_after_the_week_ends_delete_is_gone_and_refused_then_memos_lock(diary, team_app, capture_clock):
    team, cid, ids, monday = diary
    capture_clock.advance(rules.week_end(monday) - capture_clock.now())  # Monday 00:00: the week ended
    body = text(team.get(f"/diary/week?week={monday.date()}&tz=utc"))
    assert 'id="sel-delete"' not in body and "Ended, memos editable" in body
    assert "snapshots can no longer be deleted" in body
    body = text(team.get(f"/diary?day={monday.date()}&tz=utc"))
    assert ">Delete</button>" not in body and "Add manual time" not in body
    form = {"ids": str(ids[0]), "confirm": "yes", "view": "week", "day": str(monday.date()), "tz": "utc"}
    r = team.post(f"/diary/delete?contract={cid}", data=form, headers=HX)
    assert r.status_code == 409 and "can no longer be deleted" in text(r)
    r = team.post(f"/diary/delete/confirm?contract={cid}", data=form)
    assert r.status_code == 409
    memo = {
        "ids": str(ids[0]),
        "memo": "Late memo",
        "label": "__keep__",
        "view": "week",
        "tz": "utc",
        "day": str(monday.date()),
    }
    assert "Saved the memo" in text(team.post(f"/diary/memo?contract={cid}", data=memo, headers=HX))
    capture_clock.advance(timedelta(hours=12))  # Monday 12:00: locked
    body = text(team.get(f"/diary/week?week={monday.date()}&tz=utc"))
    assert 'id="diary-selection"' not in body and "locked for invoicing" in body
    body = text(team.get(f"/diary?day={monday.date()}&tz=utc"))
    assert 'hx-get="/diary/memo-form' not in body and "memo-bar readonly" in body
    r = team.post(f"/diary/memo?contract={cid}", data={**memo, "memo": "Too late"}, headers=HX)
    assert r.status_code == 409 and "memos and labels are read-only" in text(r)
    with team_app.app_context():
        seg = CaptureSegment.get_by_id(ids[0])
    assert seg.memo == "Late memo" and seg.deleted_at is None


def test_manual_time_is_added_billed_and_refused_when_it_should_be(diary, team_app, hire):
    team, cid, _ids, monday = diary
    day = str((monday + timedelta(days=2)).date())  # Wednesday; the clock is 12:00
    form = {"from": "08:00", "to": "08:45", "memo": "Call with the client", "label": "Design", "day": day, "tz": "utc"}
    r = team.post(f"/diary/manual?contract={cid}", data=form, headers=HX)
    body = text(r)
    assert r.status_code == 200 and "Added 0:45 of manual time." in body
    assert body.count("s-manual") == 5 and "Manual time" in body
    with team_app.app_context():
        rows = list(CaptureSegment.select().where(CaptureSegment.manual == True))  # noqa: E712
    assert [r.logged_seconds for r in rows] == [600] * 4 + [300]
    assert {r.id for r in rows} <= queued(team_app, "segment")
    for bad, message, status in (
        ({"from": "08:30", "to": "09:00"}, "cannot overlap logged time", 409),
        ({"from": "11:00", "to": "12:10"}, "must end before the current 10-minute segment", 409),
        ({"from": "10:00", "to": "09:00"}, "must be after its start", 409),
        ({"from": "9am", "to": "10:00"}, "is not a time", 422),
        ({"memo": ""}, "needs a memo", 409),
    ):
        r = team.post(f"/diary/manual?contract={cid}", data={**form, **bad}, headers=HX)
        assert r.status_code == status and message in text(r), (bad, text(r)[:3000])
    make, _http, _headers = hire
    other = make("No manual here")
    team.post("/contracts/refresh")
    r = team.post(f"/diary/manual?contract={other}", data={**form, "from": "06:00", "to": "06:30"}, headers=HX)
    assert r.status_code == 409 and "does not allow manual time" in text(r)


def test_csv_export_and_printable_report(diary):
    team, cid, _ids, monday = diary
    r = team.get(f"/diary/export.csv?contract={cid}&week={monday.date()}&tz=utc")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert f'filename="work-diary-{cid}-2026-11-23.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 15
    first = rows[0]
    assert first["start"] == "2026-11-23T09:00:00+00:00" and first["end"] == "2026-11-23T09:10:00+00:00"
    assert (first["minutes"], first["activity_level"], first["keystrokes"], first["memo"], first["state"]) == (
        "10",
        "10",
        "300",
        "Checkout",
        "logged",
    )
    assert [r["state"] for r in rows].count("over") == 3 and rows[6]["state"] == "idle"
    r = team.get(f"/diary/report?contract={cid}&week={monday.date()}&tz=utc")
    body = text(r)
    assert r.status_code == 200 and "<svg" in body and "Hours per day: Mon 1:10, Tue 1:20" in body
    assert "Checkout" in body and "50.00 USD" in body and "data-print" in body


def test_other_contracts_and_signed_out_get_nothing(diary, team_app):
    team, _cid, ids, _monday = diary
    assert team.get("/diary?contract=424242").status_code == 404
    assert team.get("/diary?contract=abc").status_code == 404
    assert team.get(f"/diary/viewer/{ids[0]}?contract=424242", headers=HX).status_code == 404
    team.post("/signout")
    r = team.get("/diary")
    assert r.status_code == 302 and "/signin" in r.headers["Location"]


def test_main_screen_shows_the_weeks_protection_score_and_links_to_the_fix_list(diary, team_app):
    team, cid, _ids, monday = diary
    with team_app.app_context():
        from models.local import local_db

        with local_db.connection_context():
            bare, _ = write_segment(services(team_app).settings.data_dir, cid, monday + timedelta(hours=8, minutes=50))
    score = "83 % of this week's billed time qualifies for Hourly Protection; 1 segment needs a memo"
    main = text(team.get("/"))
    assert score in main  # billed 120 min: 100 protected (the idle segment and 08:50 are not)
    link = re.search(r'<a href="([^"]+)" id="fix-link">Fix before Monday 12:00 UTC</a>', main).group(1)
    assert link.endswith(f"/diary/week?contract={cid}&week={monday.date()}&tz=local#fix-list")
    week = text(team.get(link[link.index("/diary/") :].split("#")[0]))
    assert score in week and 'id="fix-list"' in week and f'href="#segs-{bare}~{bare}"' in week
    day = text(team.get(f"/diary?day={monday.date()}&tz=utc"))
    assert score in day and f'href="#seg-{bare}"' in day and "Needs a memo" in day
