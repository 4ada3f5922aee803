"""The Work Diary store contract: the same assertions against both implementations.

The shared blueprint (``ui/diary_blueprint.py``) relies only on :class:`ui.diary_store.DiaryStore`;
the Team app implements it over its local cache (``web/diary_store.py``), the diary server
over its tables (``diary_server/diary_store.py``, on SQLite and PostgreSQL). Each kit below
writes a segment its program's own way (the capture sink's rows; a Team app's upload through
the sync protocol) and opens a store for the freelancer at a given time; the tests then
read and edit through the store alone (in the manner of ActivityWatch's storage tests,
which run one suite over every datastore).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core import rules
from core.diary import DeletionPlan
from tests.support.diary_data import _image, write_segment
from ui import diary_view as dv
from ui.diary_store import DiaryStore, Refused, Saved
from web.services import services

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
WEDNESDAY_NOON = MONDAY + timedelta(days=2, hours=12)
LABELS = ["Design", "Development"]


class TeamKit:
    def __init__(self, app, contract_id: int):
        self.app, self.cid = app, contract_id
        self.data_dir = services(app).settings.data_dir

    @contextlib.contextmanager
    def connected(self):
        from models.local import local_db

        with self.app.app_context(), local_db.connection_context():
            yield

    def add_segment(self, start: datetime, memo: str, label: str | None):
        seg_id, _images = write_segment(self.data_dir, self.cid, start, memo=memo, label=label)
        return seg_id

    def store(self, now: datetime) -> DiaryStore:
        from models.local import Contract
        from web.diary_store import TeamDiaryStore

        contract = Contract.get(Contract.id == self.cid)
        return TeamDiaryStore(None, contract, now=lambda: now, data_dir=self.data_dir, local_tz=UTC)


class ServerKit:
    def __init__(self, app, contract_id: int, freelancer_id: int):
        self.app, self.cid, self.freelancer_id = app, contract_id, freelancer_id

    @contextlib.contextmanager
    def connected(self):
        with self.app.app_context(), self.app.extensions["diary_db"].connection_context():
            yield

    def add_segment(self, start: datetime, memo: str, label: str | None):
        """As a Team app's upload: the segment, then its screen snapshot."""
        from diary_server import sync_service
        from diary_server.models import User

        user, uid, now = User.get_by_id(self.freelancer_id), str(uuid.uuid4()), WEDNESDAY_NOON
        item = {
            "uuid": uid,
            "contract_id": self.cid,
            "start": start,
            "version": 1,
            "logged_seconds": 600.0,
            "minutes": [[30, 4, 2]] * 10,
            "app_name": "code",
            "window_title": "main.py",
            "manual": False,
            "memo": memo,
            "memo_edited_at": start,
            "label": label,
            "label_edited_at": start,
            "deleted_at": None,
        }
        result = sync_service.push(user, [item], [], now)
        assert [r["status"] for r in result["results"]] == ["ok"], result
        data = _image(1280, 720, "#0f766e")
        snap = {
            "segment_uuid": uid,
            "kind": "screen",
            "taken_at": start + timedelta(minutes=4),
            "mime": "image/jpeg",
            "sha256": hashlib.sha256(data).hexdigest(),
            "data": base64.b64encode(data).decode(),
        }
        sync_service.upload_snapshot(user, str(uuid.uuid4()), snap, now)
        return uid

    def store(self, now: datetime) -> DiaryStore:
        from diary_server.diary_store import ServerDiaryStore
        from diary_server.models import Contract, User

        return ServerDiaryStore(User.get_by_id(self.freelancer_id), Contract.get_by_id(self.cid), now)


def _hire(diary, clock) -> tuple[int, int]:
    """Felix (freelancer) hired by Cleo (client) on ``diary``; returns (contract id, Felix's id)."""
    from diary_server.accounts import create_user

    with diary.extensions["diary_db"].connection_context():
        felix = create_user("felix@example.com", "Felix Freelancer", "freelancer", "correct horse 1", clock())
        create_user("cleo@example.com", "Cleo Client", "client", "correct horse 1", clock())
    http = diary.test_client()
    token = http.post("/api/v1/sessions", json={"email": "cleo@example.com", "password": "correct horse 1"}).json
    body = {"freelancer_email": "felix@example.com", "title": "Website redesign", "hourly_rate": "25"}
    r = http.post(
        "/api/v1/contracts",
        json={**body, "activity_labels": LABELS, "weekly_limit_hours": 40},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert r.status_code == 201, r.json
    return r.json["id"], felix.id


@pytest.fixture(params=["team", "server-sqlite", "server-postgresql"])
def kit(request, tmp_path, clock):
    if request.param == "team":
        team_app, team = request.getfixturevalue("team_app"), request.getfixturevalue("team")
        cid, _felix = _hire(request.getfixturevalue("sqlite_diary"), clock)
        r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
        assert r.status_code == 303
        yield TeamKit(team_app, cid)
        return
    from diary_server import create_app

    if request.param == "server-sqlite":
        url = f"sqlite:///{tmp_path / 'diary.sqlite3'}"
    else:
        cluster = request.getfixturevalue("postgres")
        url = cluster.url(cluster.create_database())
    app = create_app({"DATA_DIR": tmp_path / "diary", "DATABASE_URL": url, "CLOCK": clock, "TESTING": True})
    cid, felix = _hire(app, clock)
    yield ServerKit(app, cid, felix)
    db = app.extensions["diary_db"]
    if not db.is_closed():
        db.close()


def _day(store: DiaryStore, day: datetime):
    """The records of the UTC day ``day``, read as the day view reads them (its whole week)."""
    start, end = dv.records_range_for_day(day.date(), UTC)
    low, high = dv.day_bounds(day.date(), UTC)
    return [r for r in store.records(start, end, minutes_for=(low, high)) if low <= r.start < high]


def test_records_of_a_day(kit):
    with kit.connected():
        a = kit.add_segment(MONDAY + timedelta(hours=9), "Checkout", "Design")
        b = kit.add_segment(MONDAY + timedelta(hours=9, minutes=10), "Checkout", None)
        kit.add_segment(MONDAY + timedelta(days=1, hours=9), "Tuesday", "Development")
        store = kit.store(WEDNESDAY_NOON)
        assert isinstance(store, DiaryStore) and store.viewer == dv.FREELANCER
        records = _day(store, MONDAY)
        assert [r.id for r in records] == [a, b]
        first = records[0]
        assert (first.start, first.logged_seconds, first.memo, first.label) == (
            MONDAY + timedelta(hours=9),
            600,
            "Checkout",
            "Design",
        )
        assert first.screen_id is not None and not first.deleted and not first.manual
        assert len(first.minutes) == rules.MINUTES_PER_SEGMENT
        grid = store.grid_records(MONDAY, MONDAY + rules.WEEK)
        assert [r.id for r in grid] == [a, b, grid[2].id] and grid[0].minutes == ()
        assert store.segment_start(a) == MONDAY + timedelta(hours=9)
        assert store.parse_ids(f"{a},{b},{a}") == [a, b]
        image, mime = store.snapshot(str(first.screen_id), thumb=False)
        assert mime == "image/jpeg" and image[:2] == b"\xff\xd8"
        assert store.snapshot(str(first.screen_id), thumb=True)[0][:2] == b"\xff\xd8"
        with pytest.raises(Refused) as refused:
            store.parse_ids("")
        assert refused.value.status == 422


def test_set_memo_and_label(kit):
    with kit.connected():
        a = kit.add_segment(MONDAY + timedelta(hours=9), "Checkout", "Design")
        b = kit.add_segment(MONDAY + timedelta(hours=9, minutes=10), "Checkout", "Design")
        store = kit.store(WEDNESDAY_NOON)
        assert store.set_memo_label([a, b], "Payment form", None) == Saved(2, 0)
        assert store.set_memo_label([a], None, "Development") == Saved(1, 0)
        assert store.set_memo_label([a], None, "Development").changed == 0  # nothing to change
        by_id = {r.id: r for r in _day(store, MONDAY)}
        assert (by_id[a].memo, by_id[a].label) == ("Payment form", "Development")
        assert (by_id[b].memo, by_id[b].label) == ("Payment form", "Design")
        with pytest.raises(Refused) as refused:
            store.set_memo_label([a], None, "Not a label")
        assert refused.value.status == 422 and "Activity labels" in refused.value.message


def test_plan_and_delete_a_segment(kit):
    with kit.connected():
        a = kit.add_segment(MONDAY + timedelta(hours=9), "Checkout", "Design")
        b = kit.add_segment(MONDAY + timedelta(hours=9, minutes=10), "Checkout", "Design")
        store = kit.store(WEDNESDAY_NOON)
        shot = store.records(MONDAY, MONDAY + rules.WEEK)[0].screen_id
        plan = store.plan_deletion([a])
        assert isinstance(plan, DeletionPlan)
        assert (plan.ids, plan.segments, plan.minutes, plan.snapshots) == ([a], 1, 10, 1)
        assert "Delete 1 screen snapshot and remove 0:10 of logged time (1 segment)" in plan.text
        assert not store.records(MONDAY, MONDAY + rules.WEEK)[0].deleted  # planning changes nothing
        assert store.delete([a]) == plan
        by_id = {r.id: r for r in _day(store, MONDAY)}
        assert by_id[a].deleted and by_id[a].screen_id is None and not by_id[b].deleted
        assert store.snapshot(str(shot), thumb=False) is None  # its content left with the deletion
        with pytest.raises(Refused) as refused:
            store.plan_deletion([a])
        assert refused.value.status == 409 and "already deleted" in refused.value.message


def test_edits_are_refused_after_the_lock(kit):
    with kit.connected():
        a = kit.add_segment(MONDAY + timedelta(hours=9), "Checkout", "Design")
        after_week = kit.store(rules.week_end(MONDAY) + timedelta(hours=1))
        with pytest.raises(Refused) as refused:
            after_week.plan_deletion([a])  # the work week ended: snapshots stay
        assert refused.value.status == 409 and "can no longer be deleted" in refused.value.message
        assert after_week.set_memo_label([a], "Still editable", None).changed == 1  # until the lock
        locked = kit.store(rules.week_lock_time(MONDAY) + timedelta(minutes=1))
        with pytest.raises(Refused) as refused:
            locked.set_memo_label([a], "Too late", None)
        assert refused.value.status == 409 and "locked" in refused.value.message
        with pytest.raises(Refused) as refused:
            locked.delete([a])
        assert refused.value.status == 409
        (record,) = _day(locked, MONDAY)
        assert record.memo == "Still editable" and not record.deleted


def test_both_programs_show_the_same_protection_marks_and_score(kit):
    """Hourly Protection from each store's records: the same verdict per cell, the same grid
    marks, the same score and fix list, in the week grid and in the day view."""
    with kit.connected():
        ids = [kit.add_segment(MONDAY + timedelta(hours=9, minutes=10 * n), "Checkout", "Design") for n in range(3)]
        ids += [kit.add_segment(MONDAY + timedelta(hours=9, minutes=30 + 10 * n), None, None) for n in range(2)]
        ids.append(kit.add_segment(MONDAY + timedelta(hours=9, minutes=50), None, "Design"))  # a label protects
        store = kit.store(WEDNESDAY_NOON)
        week = dv.week_view(
            store.grid_records(MONDAY, MONDAY + rules.WEEK),
            week=MONDAY,
            tz=UTC,
            now=store.now(),
            weekly_limit_hours=store.weekly_limit_hours,
        )
        start, end = dv.records_range_for_day(MONDAY.date(), UTC)
        day = dv.day_view(
            store.records(start, end, minutes_for=dv.day_bounds(MONDAY.date(), UTC)),
            day=MONDAY.date(),
            tz=UTC,
            now=store.now(),
            weekly_limit_hours=store.weekly_limit_hours,
        )
        for view in (week, day):
            assert [c.verdict.words() for c in view.cells] == ["Qualifies for Hourly Protection"] * 3 + [
                "Not protected: no memo and no Activity label: add one before the week locks"
            ] * 2 + ["Qualifies for Hourly Protection"]
            p = view.protection
            assert p.text == "66 % of this week's billed time qualifies for Hourly Protection; 2 segments need a memo"
            assert [(f.ids, f.minutes) for f in p.fixes] == [(tuple(ids[3:5]), 20)] and p.show_fixes
        assert week.protection == day.protection
        grid = str(week.grid_rows())
        assert grid.count(' p" data-id=') == 4 and grid.count(' fx" data-id=') == 2
        assert [str(c.mark_html()).count("Needs a memo") for c in day.cells] == [0, 0, 0, 1, 1, 0]
