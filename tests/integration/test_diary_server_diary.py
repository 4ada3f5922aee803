"""The Work Diary on the diary server's own pages, for the client and the freelancer (issue 7).

Runs on SQLite and PostgreSQL (``diary_database_url``). A realistic working week is written
through the sync protocol (``tests/support/diary_data.server_work_week``); the server's clock
stands on the Friday evening of that week, then moves past the week's end and its lock.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from diary_server import sync_service
from diary_server.diary_models import DiarySegment, DiarySnapshot
from diary_server.models import User
from tests.support.diary_data import server_work_week

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
FRIDAY_EVENING = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}


class Party:
    """A signed-in browser of one account: the test client and the page's CSRF token."""

    def __init__(self, client, token: str):
        self.http, self.token = client, token

    def get(self, path: str, **kw):
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict, htmx: bool = True, token: bool = True):
        headers = {**(HX if htmx else {}), **({"X-CSRFToken": self.token} if token else {})}
        return self.http.post(path, data=data, headers=headers)


@pytest.fixture
def world(diary_app, make_user, clock):
    diary_app.config["WTF_CSRF_ENABLED"] = True
    clock.now = FRIDAY_EVENING
    users = {
        "felix": make_user("felix@example.com", "Felix Freelancer", "freelancer"),
        "cleo": make_user("cleo@example.com", "Cleo Client", "client"),
        "otto": make_user("otto@example.com", "Otto Client", "client"),
        "fran": make_user("fran@example.com", "Fran Freelancer", "freelancer"),
    }
    api = diary_app.test_client()
    token = api.post("/api/v1/sessions", json={"email": "cleo@example.com", "password": "correct horse 1"}).json
    body = {
        "freelancer_email": "felix@example.com",
        "title": "Website redesign",
        "hourly_rate": "25",
        "activity_labels": ["Design", "Development", "Meetings", "Research"],
    }
    r = api.post("/api/v1/contracts", json=body, headers={"Authorization": f"Bearer {token['token']}"})
    assert r.status_code == 201, r.json
    cid = r.json["id"]
    with diary_app.extensions["diary_db"].connection_context():
        made = server_work_week(
            User.get_by_id(users["felix"].id),
            cid,
            MONDAY,
            FRIDAY_EVENING,
            until=FRIDAY_EVENING,
            camera_every=7,
        )

    def sign_in(email: str) -> Party:
        client = diary_app.test_client()
        page = client.get("/signin").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = client.post("/signin", data={"email": email, "password": "correct horse 1", "csrf_token": csrf})
        assert r.status_code == 302
        page = client.get("/").get_data(as_text=True)  # signing in started a new session (and token)
        return Party(client, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))

    return {"cid": cid, "made": made, "sign_in": sign_in, "app": diary_app, "clock": clock, "users": users}


def text(r) -> str:
    return r.get_data(as_text=True)


def rows(world, uuids) -> dict[str, DiarySegment]:
    with world["app"].extensions["diary_db"].connection_context():
        return {s.uuid: s for s in DiarySegment.select().where(DiarySegment.uuid.in_(list(uuids)))}


def feed(world, who: str, since: int = 0) -> dict:
    with world["app"].extensions["diary_db"].connection_context():
        return sync_service.changes(User.get_by_id(world["users"][who].id), since, 5000)


def test_parties_see_the_week_and_day_everyone_else_gets_404(world):
    cid, made = world["cid"], world["made"]
    week = f"/contracts/{cid}/diary/week?week={MONDAY.date()}&tz=utc"
    for who in ("felix@example.com", "cleo@example.com"):
        party = world["sign_in"](who)
        page = text(party.get(week))
        assert 'id="week-grid"' in page and "Website redesign" in page
        assert page.count('role="gridcell" class="c ') == len(made.segment_uuids) == 210  # Mon-Fri 9-17, no lunch
        assert 'id="week-total">35:00<' in page and "875.00 USD" in page
        day = text(party.get(f"/contracts/{cid}/diary?day=2026-11-24&tz=utc"))
        assert (day.count('class="dcell s-') == 42 and "Checkout page" in day) or "Design review" in day
    for who in ("otto@example.com", "fran@example.com"):  # another client, another freelancer
        stranger = world["sign_in"](who)
        assert stranger.get(week).status_code == 404
        assert stranger.get(f"/contracts/{cid}/diary?day=2026-11-24").status_code == 404
        r = stranger.post(f"/contracts/{cid}/diary/memo", {"ids": made.segment_uuids[0], "label": "Design"})
        assert r.status_code == 404
        snap = made.snapshot_uuids[0]
        assert stranger.get(f"/contracts/{cid}/diary/snapshots/{snap}?size=thumb").status_code == 404
    anonymous = world["app"].test_client().get(week)
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    assert world["sign_in"]("felix@example.com").get("/contracts/999/diary/week").status_code == 404


def test_htmx_gets_the_block_a_boosted_link_the_whole_page(world):
    """As in the Team app (one blueprint serves both): a boosted link wants a whole page."""
    felix, cid = world["sign_in"]("felix@example.com"), world["cid"]
    path = f"/contracts/{cid}/diary?day={MONDAY.date()}&tz=utc"
    frag = text(felix.get(path, headers=HX))
    assert frag.lstrip().startswith('<section id="diary-day"') and "<html" not in frag
    page = text(felix.get(path, headers={**HX, "HX-Boosted": "true"}))
    assert "<html" in page and 'id="diary-day"' in page


def test_contract_pages_link_to_the_diary(world):
    party = world["sign_in"]("cleo@example.com")
    cid = world["cid"]
    assert f'href="/contracts/{cid}/diary/week"' in text(party.get("/"))
    assert f'href="/contracts/{cid}/diary/week"' in text(party.get(f"/contracts/{cid}"))


def test_freelancer_edits_memos_of_a_selection_and_the_change_enters_the_feed(world):
    felix = world["sign_in"]("felix@example.com")
    cid, made = world["cid"], world["made"]
    cursor = feed(world, "felix")["cursor"]
    chosen = made.segment_uuids[:12]
    form = {
        "ids": ",".join(chosen),
        "memo": "Payment form: error states",
        "label": "Development",
        "view": "week",
        "day": str(MONDAY.date()),
        "tz": "utc",
    }
    r = felix.post(f"/contracts/{cid}/diary/memo", form)
    body = text(r)
    assert r.status_code == 200 and "Saved the memo and label of 12 segments." in body
    swapped = re.findall(r"outerHTML:#week-grid td\[data-id=\"([0-9a-f-]+)\"\]", body)
    assert sorted(swapped) == sorted(chosen) and 'id="week-grid"' not in body
    stored = rows(world, [*chosen, made.segment_uuids[12]])
    edited = {(s.memo, s.label) for u, s in stored.items() if u in chosen}
    assert edited == {("Payment form: error states", "Development")}
    assert stored[made.segment_uuids[12]].memo != "Payment form: error states"
    # The Team app pulls them: the changes feed has each edited segment after the old cursor.
    pulled = feed(world, "felix", cursor)
    assert {s["uuid"] for s in pulled["segments"]} == set(chosen)
    assert {s["memo"] for s in pulled["segments"]} == {"Payment form: error states"}
    # Memo bar of the day view: sets memo and label exactly (empty label clears it).
    run = made.segment_uuids[20:23]
    form = {"ids": run, "memo": "Standup", "label": "", "view": "day", "day": "2026-11-23", "tz": "utc"}
    r = felix.post(f"/contracts/{cid}/diary/memo", form)
    assert r.status_code == 200 and 'id="diary-day"' in text(r)
    assert {(s.memo, s.label) for s in rows(world, run).values()} == {("Standup", None)}


def test_a_later_edit_from_a_computer_whose_clock_runs_ahead_stays_and_the_page_says_so(world):
    felix = world["sign_in"]("felix@example.com")
    cid, made = world["cid"], world["made"]
    ahead, other = made.segment_uuids[30], made.segment_uuids[31]
    with world["app"].extensions["diary_db"].connection_context():
        user = User.get_by_id(world["users"]["felix"].id)
        item = sync_service.segment_json(DiarySegment.get(DiarySegment.uuid == ahead))
        item.update(memo="From the laptop", memo_edited_at=(FRIDAY_EVENING + timedelta(minutes=5)))
        assert sync_service.push(user, [item], [], FRIDAY_EVENING)["results"][0]["status"] == "ok"
    form = {"ids": f"{ahead},{other}", "memo": "From the page", "view": "week", "day": str(MONDAY.date()), "tz": "utc"}
    body = text(felix.post(f"/contracts/{cid}/diary/memo", form))
    assert "Saved the memo of 1 segment. 1 segment kept a later edit made on another computer" in body
    assert {u: s.memo for u, s in rows(world, [ahead, other]).items()} == {
        ahead: "From the laptop",
        other: "From the page",
    }


def test_bad_input_gets_a_message_and_changes_nothing(world):
    felix = world["sign_in"]("felix@example.com")
    cid, made = world["cid"], world["made"]
    before = {u: (s.memo, s.label) for u, s in rows(world, made.segment_uuids[:3]).items()}
    base = {"ids": ",".join(made.segment_uuids[:3]), "view": "week", "day": str(MONDAY.date()), "tz": "utc"}
    cases = [
        ({**base, "label": "Golf"}, 422, "is not one of this contract&#39;s Activity labels"),
        ({**base, "memo": "x" * 1001}, 422, "under 1000 characters"),
        ({**base, "ids": "1,abc", "memo": "m"}, 422, "is not a segment of this diary"),
        ({**base, "ids": "00000000-0000-0000-0000-000000000000", "memo": "m"}, 422, "reload the page"),
        ({**base, "label": "__keep__"}, 422, "Type a memo or choose an Activity label"),
    ]
    for data, status, message in cases:
        r = felix.post(f"/contracts/{cid}/diary/memo", data)
        assert (r.status_code, message in text(r)) == (status, True), (data, text(r)[:300])
    assert {u: (s.memo, s.label) for u, s in rows(world, made.segment_uuids[:3]).items()} == before
    r = felix.get(f"/contracts/{cid}/diary/week?week=soon", headers=HX)
    assert r.status_code == 422 and "is not a date" in text(r)
    # Without the CSRF token (a forged cross-site form) nothing is posted.
    r = felix.post(f"/contracts/{cid}/diary/memo", {**base, "memo": "forged"}, token=False)
    assert r.status_code == 400 and "Reload the page" in text(r)
    assert {u: (s.memo, s.label) for u, s in rows(world, made.segment_uuids[:3]).items()} == before


def test_client_sets_labels_only_and_sees_deletions_as_removed_time(world):
    cid, made = world["cid"], world["made"]
    felix, cleo = world["sign_in"]("felix@example.com"), world["sign_in"]("cleo@example.com")
    week = f"/contracts/{cid}/diary/week?week={MONDAY.date()}&tz=utc"
    page = text(cleo.get(week))
    assert 'id="sel-label"' in page and 'id="sel-memo"' not in page and 'id="sel-delete"' not in page
    assert "data-del" not in page
    chosen = made.segment_uuids[30:34]
    base = {"ids": ",".join(chosen), "view": "week", "day": str(MONDAY.date()), "tz": "utc"}
    label = next(
        x for x in ("Meetings", "Research", "Design") if x not in {s.label for s in rows(world, chosen).values()}
    )
    r = cleo.post(f"/contracts/{cid}/diary/memo", {**base, "memo": "Client's memo", "label": label})
    assert r.status_code == 403 and "Only the freelancer edits memos" in text(r)
    r = cleo.post(f"/contracts/{cid}/diary/memo", {**base, "label": label})
    assert r.status_code == 200 and "Saved the label of 4 segments." in text(r)
    assert {s.label for s in rows(world, chosen).values()} == {label}
    assert "Client's memo" not in {s.memo for s in rows(world, chosen).values()}
    cursor = feed(world, "felix")["cursor"]
    # The client's memo-bar editor shows the memo read-only and sends no memo field.
    form = text(cleo.get(f"/contracts/{cid}/diary/memo-form?ids={chosen[0]}&tz=utc&day=2026-11-23", headers=HX))
    assert 'name="label"' in form and 'name="memo"' not in form and "readonly" in form
    # The client cannot delete; the freelancer deletes and the client sees removed time.
    r = cleo.post(f"/contracts/{cid}/diary/delete", {"ids": chosen[0], "confirm": "yes", "view": "week"})
    assert r.status_code == 403 and "Only the freelancer deletes" in text(r)
    r = felix.post(f"/contracts/{cid}/diary/delete/confirm", {"ids": chosen[0], "view": "week"})
    assert r.status_code == 200 and "remove 0:10 of logged time" in text(r)
    r = felix.post(
        f"/contracts/{cid}/diary/delete",
        {"ids": chosen[0], "confirm": "yes", "view": "week", "day": str(MONDAY.date()), "tz": "utc"},
    )
    assert r.status_code == 200 and "Deleted 1 segment (0:10)." in text(r)
    assert 'id="week-total">34:50<' in text(r)
    assert rows(world, [chosen[0]])[chosen[0]].deleted_at is not None
    with world["app"].extensions["diary_db"].connection_context():
        seg = DiarySegment.get(DiarySegment.uuid == chosen[0])
        snaps = list(DiarySnapshot.select().where(DiarySnapshot.segment == seg.id))
    assert snaps and all(s.deleted_at is not None for s in snaps)
    pulled = feed(world, "felix", cursor)
    assert chosen[0] in {s["uuid"] for s in pulled["segments"]}
    assert {s.uuid for s in snaps} <= {s["uuid"] for s in pulled["snapshots"]}
    page = text(cleo.get(week))
    assert "0:10 removed" in page and "Removed by the freelancer" in page and 'id="week-total">34:50<' in page
    # Its snapshot is gone for both parties.
    for party in (felix, cleo):
        assert party.get(f"/contracts/{cid}/diary/snapshots/{snaps[0].uuid}").status_code == 404


def test_snapshots_are_served_to_the_parties(world):
    cid, made = world["cid"], world["made"]
    for who in ("felix@example.com", "cleo@example.com"):
        party = world["sign_in"](who)
        day = text(party.get(f"/contracts/{cid}/diary?day=2026-11-23&tz=utc"))
        thumb = re.search(r'src="(/contracts/\d+/diary/snapshots/[0-9a-f-]+\?size=thumb)"', day).group(1)
        r = party.get(thumb)
        assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data[:2] == b"\xff\xd8"
        r = party.get(thumb.split("?")[0])
        assert r.status_code == 200 and r.mimetype == "image/jpeg" and len(r.data) > 1000
        assert party.get(f"/contracts/{cid}/diary/snapshots/not-a-uuid").status_code == 404
    assert made.snapshot_uuids


def test_after_the_week_ends_and_locks_the_controls_go_and_forged_requests_are_refused(world):
    cid, made, clock = world["cid"], world["made"], world["clock"]
    felix, cleo = world["sign_in"]("felix@example.com"), world["sign_in"]("cleo@example.com")
    week = f"/contracts/{cid}/diary/week?week={MONDAY.date()}&tz=utc"
    seg = made.segment_uuids[5]
    clock.now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday after: the week ended, not yet locked
    page = text(felix.get(week))
    assert 'id="sel-delete"' not in page and "data-del" not in page and 'id="sel-memo"' in page
    assert "snapshots can no longer be deleted" in page
    for path, data in (
        ("/delete", {"ids": seg, "confirm": "yes", "view": "week"}),
        ("/delete/confirm", {"ids": seg, "view": "week"}),
        ("/camera/delete", {"ids": seg}),
    ):
        r = felix.post(f"/contracts/{cid}/diary{path}", data)
        assert r.status_code == 409 and "can no longer be deleted" in text(r), (path, text(r)[:200])
    assert rows(world, [seg])[seg].deleted_at is None
    base = {"ids": seg, "view": "week", "day": str(MONDAY.date()), "tz": "utc"}
    assert felix.post(f"/contracts/{cid}/diary/memo", {**base, "memo": "Late fix"}).status_code == 200
    label_before = rows(world, [seg])[seg].label
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the lock
    page = text(felix.get(week))
    assert 'id="diary-selection"' not in page and "locked for invoicing" in page
    assert 'id="diary-selection"' not in text(cleo.get(week))
    r = felix.post(f"/contracts/{cid}/diary/memo", {**base, "memo": "Too late"})
    assert r.status_code == 409 and "locked for invoicing" in text(r)
    r = cleo.post(f"/contracts/{cid}/diary/memo", {**base, "label": "Research"})
    assert r.status_code == 409 and "locked for invoicing" in text(r)
    assert (rows(world, [seg])[seg].memo, rows(world, [seg])[seg].label) == ("Late fix", label_before)


def test_time_zone_switch_mine_utc_and_the_clients(world):
    cid = world["cid"]
    cleo, felix = world["sign_in"]("cleo@example.com"), world["sign_in"]("felix@example.com")
    page = text(cleo.get("/account"))
    assert "<option selected>UTC</option>" in page
    r = cleo.post("/account", {"timezone": "Mars/Olympus"}, htmx=False)
    assert r.status_code == 422 and "Choose a time zone from the list" in text(r)
    r = cleo.http.post("/account", data={"timezone": "America/New_York", "csrf_token": cleo.token})
    assert r.status_code == 200 and "Time zone saved: America/New_York." in text(r)
    r = felix.http.post("/account", data={"timezone": "Europe/Berlin", "csrf_token": felix.token})
    assert r.status_code == 200
    week = f"/contracts/{cid}/diary/week?week={MONDAY.date()}"
    page = text(felix.get(week + "&tz=client"))
    assert "Mine (Europe/Berlin)" in page and "Client&#39;s (America/New_York)" in page and ">UTC<" in page
    assert 'aria-current="true">Client&#39;s (America/New_York)' in page
    assert '<th scope="row">04:00' in page  # 09:00 UTC in New York (EST)
    assert '<th scope="row">10:00' in text(felix.get(week + "&tz=local"))  # Berlin (CET)
    assert '<th scope="row">09:00' in text(felix.get(week + "&tz=utc"))
    # The client's own zone is "Mine": no second entry for the same zone.
    page = text(cleo.get(week))
    assert "Mine (America/New_York)" in page and "Client&#39;s" not in page and ">UTC<" in page


def test_records_carry_each_segments_start_counts_and_snapshots(world):
    """The server reads raw rows (SQLite gives text, PostgreSQL datetimes) and folds each
    minutes JSON once per text: every record must still say what its segment row says."""
    from core import rules
    from diary_server.diary_records import grid_records_between, records_between

    monday = MONDAY
    with world["app"].extensions["diary_db"].connection_context():
        week = records_between(world["cid"], monday, monday + rules.WEEK, minutes=False)
        day = records_between(world["cid"], monday, monday + timedelta(days=1))
        rows = {s.uuid: s for s in DiarySegment.select().where(DiarySegment.contract == world["cid"])}
        shots = {(s.segment.uuid, s.kind): s.uuid for s in DiarySnapshot.select().join(DiarySegment)}
    assert week and [r.id for r in week] == sorted(rows, key=lambda u: rows[u].start)
    assert all(r.minutes == () for r in week) and day and all(len(r.minutes) == 10 for r in day)
    for rec in week + day:
        row = rows[rec.id]
        counts = [tuple(c) for c in json.loads(row.minutes)]
        assert rec.start == row.start and rec.start.tzinfo is UTC
        assert rec.activity == sum(1 for c in counts if sum(c) > 0)
        assert rec.sums == tuple(sum(c[i] for c in counts) for i in range(3))
        assert rec.screen_id == shots.get((rec.id, "screen")) and rec.camera_id == shots.get((rec.id, "camera"))
        assert (rec.memo, rec.label, rec.app_name, rec.deleted) == (row.memo, row.label, row.app_name, False)
    assert any(r.camera_id for r in week) and any(r.activity < 10 for r in week)
    # The week grid's lean records (one query over the stored summary) say the same, and so
    # does a day view's read of its week, which carries per-minute counts for its day only.
    tuesday = (monday + timedelta(days=1), monday + timedelta(days=2))
    with world["app"].extensions["diary_db"].connection_context():
        grid = grid_records_between(world["cid"], monday, monday + rules.WEEK)
        for_day = records_between(world["cid"], monday, monday + rules.WEEK, minutes_for=tuesday)
    assert [len(r.minutes) for r in for_day] == [10 if tuesday[0] <= r.start < tuesday[1] else 0 for r in week]
    assert [(r.id, r.activity, r.sums) for r in for_day] == [(r.id, r.activity, r.sums) for r in week]
    fields = ("id", "start", "logged_seconds", "memo", "label", "manual", "deleted", "screen_id", "activity")
    assert [[getattr(r, f) for f in fields] for r in grid] == [[getattr(r, f) for f in fields] for r in week]


def test_protection_score_and_fix_list_on_the_diary_pages(world):
    """The score in both views for both parties; the fix list (links that select the run in
    the week grid) for the freelancer only; a week-grid edit swaps the score in place."""
    felix, cleo, cid, made = (
        world["sign_in"]("felix@example.com"),
        world["sign_in"]("cleo@example.com"),
        world["cid"],
        world["made"],
    )
    bare = made.segment_uuids[30:32]
    form = {"ids": bare, "memo": "", "label": "", "view": "day", "day": str(MONDAY.date()), "tz": "utc"}
    assert felix.post(f"/contracts/{cid}/diary/memo", form).status_code == 200
    week = f"/contracts/{cid}/diary/week?week={MONDAY.date()}&tz=utc"
    for party in (felix, cleo):
        for path in (week, f"/contracts/{cid}/diary?day={MONDAY.date()}&tz=utc"):
            page = html.unescape(text(party.get(path)))
            assert re.search(
                r"\d+ % of this week's billed time qualifies for Hourly Protection; 2 segments need a memo", page
            )
            assert ('id="fix-list"' in page) is (party is felix)
    page = text(felix.get(week))
    assert f'href="#segs-{bare[0]}~{bare[1]}" data-segs="{bare[0]}~{bare[1]}"' in page
    assert page.count(' fx" data-id=') == 2 and "Fix before Monday 12:00 UTC" in page
    form = {"ids": ",".join(bare), "memo": "Reviews", "view": "week", "day": str(MONDAY.date()), "tz": "utc"}
    body = text(felix.post(f"/contracts/{cid}/diary/memo", form))
    assert 'id="protection" role="group"' in body and 'hx-swap-oob="true"' in body and "need a memo" not in body
