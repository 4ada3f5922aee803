"""The diary server's stored minute summary (migration m0008) and its bulk memo and label
edits (``sync_service.edit_segments``, what the Work Diary pages call), on SQLite and
PostgreSQL.

The week grid and its totals read the summary instead of each segment's minutes JSON, so a
summary that drifted from the minutes would show wrong activity levels and protected time:
every way a segment's minutes are written is checked, and the migration's fill of rows
stored before it. The bulk edit must keep the rules of a single edit: all or nothing, last
writer wins, a feed row for each changed segment only, memos for the freelancer only.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.rules import minute_summary
from dbkit.database import open_database
from dbkit.migrate import migrate
from diary_server import sync_service
from diary_server.contracts import get_visible
from diary_server.factory import diary_migrations
from diary_server.models import User
from tests.integration.sync.helpers import changes, iso, push, segment

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock fixture's instant


def stored_summaries(db) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per segment UUID: (the stored summary, the summary of its stored minutes)."""
    rows = db.execute_sql(
        "SELECT uuid, minutes, active_minutes, sum_keys, sum_clicks, sum_scrolls FROM diary_segments"
    ).fetchall()
    return {r[0]: (tuple(r[2:6]), minute_summary(json.loads(r[1]))) for r in rows}


def test_every_write_of_a_segments_minutes_stores_their_summary(diary_http, diary_app, party):
    busy = [[3, 1, 0]] * 5 + [[0, 0, 0]] * 3 + [[0, 0, 7], [2, 0, 0]]
    seg = segment(party["contract"], MONDAY - timedelta(minutes=30), minutes=busy)
    push(diary_http, party["free"], [seg])
    # A later capture of the same segment (higher version) replaces its minutes; an older one
    # arriving late does not.
    push(diary_http, party["free"], [{**seg, "version": 2, "minutes": [[1, 0, 0]] * 10}])
    push(diary_http, party["free"], [{**seg, "version": 1, "minutes": [[9, 9, 9]] * 10}])
    # A second computer's copy of the same 10 minutes (kept unbilled) and an idle segment.
    copy = segment(party["contract"], MONDAY - timedelta(minutes=30), minutes=busy)
    idle = segment(party["contract"], MONDAY - timedelta(minutes=20), minutes=[[0, 0, 0]] * 10)
    out = push(diary_http, party["free2"], [copy, idle])["results"]
    assert [r["status"] for r in out] == ["duplicate", "ok"]
    db = diary_app.extensions["diary_db"]
    with db.connection_context():
        found = stored_summaries(db)
    assert found[seg["uuid"]][0] == (10, 10, 0, 0)
    assert found[copy["uuid"]][0] == (7, 17, 5, 7)
    assert found[idle["uuid"]][0] == (0, 0, 0, 0)
    assert all(stored == computed for stored, computed in found.values()), found


def test_the_migration_fills_the_summary_of_segments_stored_before_it(diary_database_url):
    migrations = diary_migrations()
    db = open_database(diary_database_url)
    p = db.param
    try:
        migrate(db, migrations, target=7)
        for email, role in (("c@example.com", "client"), ("f@example.com", "freelancer")):
            db.execute_sql(
                f"INSERT INTO users (email, name, role, password_hash, created_at) VALUES ({p}, 'X', {p}, 'x',"  # noqa: S608
                " '2026-01-01 00:00:00')",
                (email, role),
            )
        users = dict(db.execute_sql("SELECT role, id FROM users").fetchall())
        db.execute_sql(
            "INSERT INTO contracts (client_id, freelancer_id, title, currency, manual_time_allowed, status,"  # noqa: S608
            f" created_at, updated_at) VALUES ({p}, {p}, 'Site', 'USD', {p}, 'active', '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00')",
            (users["client"], users["freelancer"], False),
        )
        (contract_id,) = db.execute_sql("SELECT id FROM contracts").fetchone()
        # More rows than the migration fills per statement, with varied minutes.
        start = datetime(2026, 1, 5, tzinfo=UTC)
        rows = []
        for i in range(1203):
            minutes = [[(i + m) % 4, (i * m) % 3, m % 2 * (i % 5)] for m in range(10)]
            rows.append(
                (
                    str(uuid.uuid4()),
                    contract_id,
                    start + timedelta(minutes=10 * i),
                    json.dumps(minutes),
                    True,
                    "2026-01-01 00:00:00",
                    "2026-01-01 00:00:00",
                )
            )
        db.cursor().executemany(
            "INSERT INTO diary_segments (uuid, contract_id, start, version, logged_seconds, minutes, manual,"  # noqa: S608
            f" billed, created_at, updated_at) VALUES ({p}, {p}, {p}, 1, 600, {p}, FALSE, {p}, {p}, {p})",
            rows,
        )
        migrate(db, migrations)
        found = stored_summaries(db)
        assert len(found) == 1203
        assert all(stored == computed for stored, computed in found.values())
        assert sum(stored[0] for stored, _computed in found.values()) > 0  # not all zero (the default)
    finally:
        db.close()


@pytest.fixture
def week(diary_http, diary_app, party):
    """Four segments of this Monday morning, the third one deleted, and who is who."""
    starts = [MONDAY - timedelta(minutes=10 * n) for n in (4, 3, 2, 1)]
    segs = [segment(party["contract"], s, memo="logged") for s in starts]
    segs[2]["deleted_at"] = iso(MONDAY - timedelta(minutes=5))
    push(diary_http, party["free"], segs)
    db = diary_app.extensions["diary_db"]
    with db.connection_context():
        free = User.get(User.email == "free@example.com")
        client = User.get(User.email == "client@example.com")
        contract = get_visible(free, party["contract"])
    return {"uuids": [s["uuid"] for s in segs], "free": free, "client": client, "contract": contract, "db": db}


def memos(week) -> dict[str, tuple]:
    with week["db"].connection_context():
        return {
            r[0]: r[1:]
            for r in week["db"].execute_sql("SELECT uuid, memo, label, memo_edited_at FROM diary_segments").fetchall()
        }


def edit(week, who: str, uuids, now: datetime = MONDAY, **values) -> list[str]:
    """The UUIDs the edit changed."""
    with week["db"].connection_context():
        return sync_service.edit_segments(week[who], week["contract"], uuids, now, **values).changed


def test_a_bulk_edit_changes_the_whole_selection_or_nothing(diary_http, party, week):
    a, b, deleted, d = week["uuids"]
    cursor = changes(diary_http, party["free2"])["cursor"]
    before = memos(week)
    # One deleted segment in the selection refuses it all, naming that segment's time.
    with pytest.raises(sync_service.SyncError) as refused:
        edit(week, "free", [a, b, deleted], memo="Client call")
    assert refused.value.status == 409 and "08:40 UTC was deleted" in refused.value.message
    # So does a segment of no contract of this diary, or an Activity label the contract lacks.
    for uuids, values in (([a, str(uuid.uuid4())], {"memo": "x"}), ([a, b], {"label": "Gardening"})):
        with pytest.raises(sync_service.SyncError) as refused:
            edit(week, "free", uuids, **values)
        assert refused.value.status == 422
    assert memos(week) == before
    assert changes(diary_http, party["free2"], since=cursor)["segments"] == []
    # The live ones change together, memo and label; each enters the feed once.
    assert sorted(edit(week, "free", [a, b, d], memo=" Client call ", label="Design")) == sorted([a, b, d])
    after = memos(week)
    assert {after[u][:2] for u in (a, b, d)} == {("Client call", "Design")} and after[deleted] == before[deleted]
    pulled = changes(diary_http, party["free2"], since=cursor)["segments"]
    assert sorted(s["uuid"] for s in pulled) == sorted([a, b, d])
    assert all(s["memo_edited_at"].startswith("2026-11-23T09:00:00") for s in pulled)
    # The same values again change nothing and write no feed row.
    cursor = changes(diary_http, party["free2"])["cursor"]
    assert edit(week, "free", [a, b, d], memo="Client call", label="Design") == []
    assert changes(diary_http, party["free2"], since=cursor)["segments"] == []
    # An empty memo, a minute later, clears it.
    assert edit(week, "free", [a], MONDAY + timedelta(minutes=1), memo="") == [a]
    assert memos(week)[a][0] is None


def test_a_bulk_edit_keeps_a_later_edit_made_elsewhere(diary_http, party, week):
    a, b, _deleted, _d = week["uuids"]
    # A Team app whose clock runs ahead edited b's memo "after" the diary's now: that edit wins.
    ahead = iso(MONDAY + timedelta(minutes=3))
    item = segment(party["contract"], MONDAY - timedelta(minutes=30), uuid=b, memo="from the app", memo_edited_at=ahead)
    push(diary_http, party["free"], [item])
    with week["db"].connection_context():
        result = sync_service.edit_segments(week["free"], week["contract"], [a, b], MONDAY, memo="from the page")
    assert (result.changed, result.kept) == ([a], [b])
    assert memos(week)[a][0] == "from the page" and memos(week)[b][0] == "from the app"


def test_the_client_sets_labels_only_and_nobody_edits_a_locked_week(party, week, clock):
    a, b, _deleted, _d = week["uuids"]
    with pytest.raises(sync_service.SyncError) as refused:
        edit(week, "client", [a], memo="mine")
    assert refused.value.status == 403
    assert edit(week, "client", [a, b], label="Code") == [a, b]
    assert {memos(week)[u][1] for u in (a, b)} == {"Code"}
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the week's lock (Monday 12:00 UTC)
    with week["db"].connection_context(), pytest.raises(sync_service.SyncError) as refused:
        sync_service.edit_segments(week["client"], week["contract"], [a], clock.now, label="Design")
    assert refused.value.status == 409 and "locked for invoicing" in refused.value.message
    assert memos(week)[a][1] == "Code"
