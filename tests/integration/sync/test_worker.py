"""The sync worker in the Team app against an in-process diary server: outbox written with each
change, batches pushed, snapshots held during review, edits both ways, faults and refusals."""

from __future__ import annotations

import random
from datetime import timedelta

import httpx
import pytest

from sync.diary_client import DiaryClient
from tests.integration.conftest import DIARY_URL
from web.services import services

HX = {"HX-Request": "true"}


class FlakyTransport(httpx.BaseTransport):
    """Forwards to the diary app, except for the scripted faults, one per request:
    "connect" (nothing reaches the server), "500", "429", "timeout" and "lost" (the server
    did the work, then the answer was lost)."""

    def __init__(self, app, faults=()):
        self.inner = httpx.WSGITransport(app=app)
        self.faults = list(faults)
        self.requests = 0
        #: UUIDs of the segments each pull received, in order
        self.pulled: list[str] = []

    def handle_request(self, request):
        self.requests += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if fault in ("500", "429"):
            return httpx.Response(int(fault), json={"code": "error", "message": "busy"}, request=request)
        response = self.inner.handle_request(request)
        if fault == "timeout":
            response.read()
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "lost":
            response.read()
            raise httpx.ReadError("connection reset", request=request)
        if request.url.path.endswith("/sync/changes") and response.status_code == 200:
            response.read()
            self.pulled += [s["uuid"] for s in response.json()["segments"]]
        return response


@pytest.fixture
def logged_in(team, team_app, hire):
    make, http, headers = hire
    cid = make("Website redesign", activity_labels=["Design", "Development"])
    assert team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"}).status_code == 303
    team.post("/contracts/select", data={"contract_id": cid})
    return team, cid, http, headers


@pytest.fixture
def make_worker(team_app, sqlite_diary, capture_clock, clock, monkeypatch):
    from sync.worker import SyncWorker

    svc = services(team_app)
    # The diary's clock follows the Team app's, so time logged "now" is not in the diary's future.
    monkeypatch.setattr(type(clock), "__call__", lambda self: capture_clock.now().replace(tzinfo=None))

    def make(transport=None, **options):
        transport = transport or FlakyTransport(sqlite_diary)

        def factory(url, token=None):
            assert url.startswith(DIARY_URL)
            return DiaryClient(url, token, transport=transport)

        return SyncWorker(
            client_factory=factory,
            token_store=svc.token_store,
            clock=capture_clock,
            data_dir=team_app.config["DATA_DIR"],
            rng=random.Random(7),
            **{"batch_size": 3, **options},
        )

    return make


def advance(team, seconds):
    assert team.post("/test/clock", data={"seconds": seconds}).status_code == 200


def log_minutes(team, fake_sources, minutes):
    team.post("/logging/toggle", headers=HX)
    for _ in range(minutes):
        fake_sources["inputs"].add(keys=3, clicks=1)
        advance(team, 60)
    team.post("/logging/toggle", headers=HX)


def local_state(team_app):
    from models.local import local_db

    with team_app.app_context():
        segs = local_db.execute_sql(
            "SELECT uuid, logged_seconds, memo, label, deleted_at IS NOT NULL, version"
            " FROM capture_segment ORDER BY start"
        ).fetchall()
        images = local_db.execute_sql(
            "SELECT uuid, sha256, deleted_at IS NOT NULL FROM capture_image WHERE sha256 IS NOT NULL ORDER BY uuid"
        ).fetchall()
        outbox = local_db.execute_sql("SELECT kind, state, error_code FROM sync_outbox").fetchall()
    return segs, images, outbox


def diary_state(sqlite_diary):
    from diary_server.diary_models import DiarySegment, DiarySnapshot

    with sqlite_diary.extensions["diary_db"].connection_context():
        segs = [
            (s.uuid, s.logged_seconds, s.memo, s.label, s.deleted_at is not None, s.version)
            for s in DiarySegment.select().order_by(DiarySegment.start)
        ]
        snaps = [
            (s.uuid, s.sha256, s.deleted_at is not None)
            for s in DiarySnapshot.select().where(DiarySnapshot.sha256.is_null(False)).order_by(DiarySnapshot.uuid)
        ]
    return segs, snaps


def assert_same(team_app, sqlite_diary):
    segs, images, outbox = local_state(team_app)
    assert outbox == []
    remote_segs, remote_snaps = diary_state(sqlite_diary)
    assert remote_segs == segs
    assert len({s[0] for s in remote_segs}) == len(remote_segs)
    assert remote_snaps == images


def drain(worker, rounds=30):
    """Run rounds, moving the clock past each backoff, until the outbox is empty."""
    from models.local import local_db

    for _ in range(rounds):
        result = worker.run_once()
        if result.failure is None and not local_db.execute_sql("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]:
            return result
        worker.clock.advance(timedelta(seconds=result.delay + 1))
    raise AssertionError("the outbox did not drain")


def test_logged_time_memos_and_deletions_reach_the_diary_once(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    team, _cid, http, headers = logged_in
    team.post("/logging/memo", data={"memo": "Checkout page", "label": "Design"}, headers=HX)
    log_minutes(team, fake_sources, 25)
    segs, images, outbox = local_state(team_app)
    assert len(segs) >= 3 and images and {k for k, _, _ in outbox} == {"segment", "snapshot"}
    transport = FlakyTransport(sqlite_diary)
    worker = make_worker(transport)
    with team_app.app_context():
        worker.run_once()
        # Snapshots still inside their review window were not uploaded; the rest was.
        remote_segs, _remote_snaps = diary_state(sqlite_diary)
        assert len(remote_segs) == len(segs)
        worker.clock.advance(timedelta(seconds=31))
        drain(worker)
    assert_same(team_app, sqlite_diary)
    # Its own pushes did not come back through its pulls (the push answers had them).
    assert transport.pulled == []
    with team_app.app_context():  # no bookkeeping row rewritten by every round that moved something
        from models.local import get_state

        assert get_state("sync_last_ok") is None
    # A snapshot deleted in the Team app deletes its segment's time on the diary too.
    from models.capture_store import CaptureImage

    with team_app.app_context():
        image = CaptureImage.select().where(CaptureImage.kind == "screen").order_by(CaptureImage.id).first()
    r = team.post(f"/logging/review/{image.id}", data={"action": "delete"}, headers=HX)
    assert r.status_code == 200
    with team_app.app_context():
        drain(worker)
    assert_same(team_app, sqlite_diary)
    remote_segs, _ = diary_state(sqlite_diary)
    assert sum(1 for s in remote_segs if s[4]) == 1
    # The client changes an Activity label on the diary: it appears in the Team app.
    target = remote_segs[-1][0]
    r = http.patch(f"/api/v1/segments/{target}", json={"label": "Development"}, headers=headers)
    assert r.status_code == 200
    with team_app.app_context():
        result = worker.run_once()
    assert result.pulled >= 1 and transport.pulled == [target]
    segs, _, _ = local_state(team_app)
    assert next(s for s in segs if s[0] == target)[3] == "Development"
    assert_same(team_app, sqlite_diary)


@pytest.mark.parametrize(
    "faults",
    [
        ["connect"] * 6,  # the diary is down for a while, then back
        ["lost", "lost", "timeout"],  # the diary committed, the answers were lost: no duplicates
        ["500", "429", "500", "timeout", "connect"],
    ],
    ids=["down-then-back", "response-lost", "errors-and-timeouts"],
)
def test_faults_are_retried_with_backoff_and_never_duplicate(
    faults, logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    team, *_ = logged_in
    log_minutes(team, fake_sources, 35)
    transport = FlakyTransport(sqlite_diary, faults)
    worker = make_worker(transport)
    with team_app.app_context():
        first = worker.run_once()
        assert first.failure and first.delay > 0
        page = team.get("/").get_data(as_text=True)
        # Not reached: "Offline since"; reached but failing (the first fault a 500): said so.
        expected = "The diary has a problem (HTTP 500)" if faults[0] == "500" else "Offline since"
        assert expected in page and "waiting" in page
        worker.clock.advance(timedelta(seconds=40))
        drain(worker)
    assert not transport.faults
    assert_same(team_app, sqlite_diary)
    assert "Online" in team.get("/").get_data(as_text=True)


def test_a_refused_upload_needs_attention_with_its_reason_and_is_retried_on_request(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    from models.capture_store import CaptureImage

    team, *_ = logged_in
    log_minutes(team, fake_sources, 12)
    with team_app.app_context():
        image = CaptureImage.select().where(CaptureImage.kind == "screen").first()
    path = team_app.config["DATA_DIR"] / image.path
    original = path.read_bytes()
    path.write_bytes(original[:-10] + b"0123456789")  # damaged on disk: the hash no longer matches
    worker = make_worker()
    with team_app.app_context():
        worker.clock.advance(timedelta(seconds=40))
        result = worker.run_once()
        assert result.parked == 1 and result.failure is None
        assert worker.run_once().parked == 0  # parked, not retried forever
    page = team.get("/").get_data(as_text=True)
    assert "Needs attention: 1 item" in page and "does not match" in page and "Retry" in page
    path.write_bytes(original)
    r = team.post("/sync/retry", headers=HX)
    assert r.status_code == 200
    with team_app.app_context():
        drain(worker)
    assert_same(team_app, sqlite_diary)


def test_a_memo_edit_refused_by_the_lock_is_rolled_back_and_shown(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources, clock
):
    from models import segments as seg_store
    from models.capture_store import CaptureSegment

    team, cid, *_ = logged_in
    team.post("/logging/memo", data={"memo": "Original", "label": ""}, headers=HX)
    log_minutes(team, fake_sources, 5)
    worker = make_worker()
    with team_app.app_context():
        worker.clock.advance(timedelta(seconds=40))
        drain(worker)
        seg = CaptureSegment.select().first()
        # Sunday evening: the memo is changed while offline ...
        worker.clock.set(seg.start + timedelta(days=6, hours=10))
        assert seg_store.apply_memo(cid, seg.start, "Changed late", None, worker.clock.now()) == 1
    # ... and reaches the diary after the week locked (Monday 12:00 UTC).
    with team_app.app_context():
        worker.clock.set(seg.start + timedelta(days=7, hours=14))
        result = worker.run_once()
        # (When the snapshot's review ended late, it uploads in this round too and the segment
        # is parked a second time: count the outbox, not the round's tally.)
        assert result.parked >= 1
        assert [row for row in local_state(team_app)[2] if row[0] == "segment"] == [
            ("segment", "attention", "week_locked")
        ]
        assert CaptureSegment.get_by_id(seg.id).memo == "Original"
    page = team.get("/").get_data(as_text=True)
    assert "Needs attention" in page and "locked" in page and "undone" in page


def test_a_second_computer_on_the_same_account_gets_a_duplicate_warning(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources, hire
):
    from diary_server.diary_models import DiarySegment
    from tests.integration.sync.helpers import segment

    team, cid, http, _ = logged_in
    log_minutes(team, fake_sources, 5)
    from models.capture_store import CaptureSegment

    with team_app.app_context():
        start = CaptureSegment.select().first().start
    # The other computer uploaded the same contract and 10 minutes first.
    token = http.post("/api/v1/sessions", json={"email": "felix@example.com", "password": "correct horse 1"}).json
    other = segment(cid, start)
    r = http.post(
        "/api/v1/sync/push", json={"segments": [other]}, headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert r.json["results"][0]["status"] == "ok"
    worker = make_worker()
    with team_app.app_context():
        assert worker.run_once().duplicates == 1
        drain(worker)
    with sqlite_diary.extensions["diary_db"].connection_context():
        billed = DiarySegment.select().where(DiarySegment.billed == True).count()  # noqa: E712
    assert billed == 1
    assert "also logged on another computer" in team.get("/").get_data(as_text=True)


def test_contract_changes_and_the_diary_lock_arrive_through_the_pull(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources, clock, capture_clock, monkeypatch
):
    """No contract poller runs here: a pause, a label change and the week lock reach the
    Team app through the sync worker's pull alone."""
    from models import segments as seg_store
    from models.capture_store import CaptureSegment
    from models.local import Contract

    team, cid, http, headers = logged_in
    log_minutes(team, fake_sources, 5)
    worker = make_worker()
    with team_app.app_context():
        drain(worker)
        assert Contract.get(Contract.id == cid).status == "active"
    r = http.patch(f"/api/v1/contracts/{cid}", json={"activity_labels": ["Design", "Testing"]}, headers=headers)
    assert r.status_code == 200, r.json
    r = http.post(f"/api/v1/contracts/{cid}/status", json={"status": "paused"}, headers=headers)
    assert r.status_code == 200, r.json
    with team_app.app_context():
        result = worker.run_once()
        assert result.contracts_changed
        local = Contract.get(Contract.id == cid)
        assert (local.status, local.labels) == ("paused", ["Design", "Testing"])
        seg = CaptureSegment.select().first()
        # The diary's clock is a week ahead of this computer's: by its word the week is locked,
        # so a memo edit here is refused although this computer's clock says it is still open.
        assert seg_store.diary_locked_before() <= seg.start
        ahead = capture_clock.now() + timedelta(days=8)
        monkeypatch.setattr(type(clock), "__call__", lambda self: ahead.replace(tzinfo=None))
        worker.run_once()
        assert seg_store.diary_locked_before() > seg.start
        assert seg_store.apply_memo(cid, seg.start, "Too late", None, capture_clock.now()) == 0
        assert CaptureSegment.get_by_id(seg.id).memo != "Too late"


def test_parallel_snapshot_uploads_survive_lost_answers_and_a_dead_connection(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    """Snapshots go up in two streams at once. A batch whose answers are lost (the diary stored
    them) or whose connection fails ends the round without starting more uploads; what was
    acknowledged leaves the outbox in one transaction, the rest is sent again, and the diary
    ends with each snapshot once."""
    team, *_ = logged_in
    log_minutes(team, fake_sources, 45)
    segs, images, _ = local_state(team_app)
    assert len(images) >= 4
    pushes = -(-len(segs) // 3)  # batch_size=3: these requests push the segments first
    transport = FlakyTransport(sqlite_diary, [None] * pushes + ["lost", "connect", "lost"])
    worker = make_worker(transport)
    with team_app.app_context():
        worker.clock.advance(timedelta(seconds=31))  # every review window has passed
        result = worker.run_once()
        assert result.failure is not None and result.pushed == len(segs) and result.uploaded == 0
        drain(worker)
    assert_same(team_app, sqlite_diary)


def test_the_status_line_tells_offline_from_a_failing_diary_and_from_refused_items(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    team, *_ = logged_in
    log_minutes(team, fake_sources, 3)

    def status_words() -> str:
        page = team.get("/").get_data(as_text=True)
        return page[page.index('id="sync-status"') :][:600]

    worker = make_worker(FlakyTransport(sqlite_diary, faults=["500"]))
    with team_app.app_context():
        assert worker.run_once().failure
    words = status_words()
    assert "The diary has a problem (HTTP 500)" in words and "Offline" not in words

    worker = make_worker(FlakyTransport(sqlite_diary, faults=["connect"]))
    with team_app.app_context():
        assert worker.run_once().failure
    words = status_words()
    assert "Offline since" in words and "HTTP 500" not in words

    worker = make_worker()
    with team_app.app_context():
        worker.run_once()
    assert "Offline" not in status_words() and "problem" not in status_words()


def test_offline_since_says_the_day_when_it_is_not_today():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sync.status import since_words

    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert since_words(datetime(2026, 12, 2, 4, 51, tzinfo=UTC), now) == "04:51"
    assert since_words(datetime(2026, 12, 1, 4, 51, tzinfo=UTC), now) == "Tue 1 Dec 04:51"
    # the day is the user's: 04:51 UTC on the 2nd is 23:51 on the 1st in New York
    assert since_words(datetime(2026, 12, 2, 4, 51, tzinfo=UTC), now, ZoneInfo("America/New_York")) == "Tue 1 Dec 23:51"


class PoisonTransport(FlakyTransport):
    """The diary fails (HTTP 500) or refuses the whole batch (HTTP 400) whenever a push
    carries the poisoned segment, as a server bug on one item would."""

    def __init__(self, app, poison: str, status: int):
        super().__init__(app)
        self.poison, self.status = poison, status
        self.batches: list[list[str]] = []

    def handle_request(self, request):
        if request.url.path.endswith("/sync/push"):
            import json

            uuids = [s["uuid"] for s in json.loads(request.content)["segments"]]
            self.batches.append(uuids)
            if self.poison in uuids:
                self.requests += 1
                body = {"code": "bad_request", "message": "The batch was refused."}
                return httpx.Response(self.status, json=body, request=request)
        return super().handle_request(request)


@pytest.mark.parametrize("status", [500, 400])
def test_one_item_the_diary_fails_on_is_isolated_and_the_rest_go_through(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources, status
):
    from models.local import local_db

    team, *_ = logged_in
    log_minutes(team, fake_sources, 45)  # 5 segments, batches of 3
    with team_app.app_context():
        uuids = [u for (u,) in local_db.execute_sql("SELECT uuid FROM capture_segment ORDER BY start").fetchall()]
    assert len(uuids) >= 5
    poison = uuids[1]
    transport = PoisonTransport(sqlite_diary, poison, status)
    worker = make_worker(transport)
    with team_app.app_context():
        first = worker.run_once()
        assert first.failure is None and first.pushed == len(uuids) - 1  # the others went through at once
        for _ in range(12):  # rounds, each past the item's retry delay
            result = worker.run_once()
            worker.clock.advance(timedelta(seconds=result.delay + 31))
        outbox = local_db.execute_sql(
            "SELECT uuid, state, error_code, error FROM sync_outbox WHERE kind = 'segment'"
        ).fetchall()
        waiting_snapshots = local_db.execute_sql(
            "SELECT error FROM sync_outbox WHERE kind = 'snapshot' AND state = 'pending'"
        ).fetchall()
    remote = {s[0] for s in diary_state(sqlite_diary)[0]}
    assert remote == set(uuids) - {poison}  # every other segment reached the diary
    assert len(outbox) == 1 and outbox[0][0] == poison and outbox[0][1] == "attention"
    assert waiting_snapshots in ([], [("Upload the segment of this snapshot first.",)])  # kept, not lost
    if status == 500:
        assert outbox[0][2] == "server_error" and outbox[0][3] == "The diary fails on this segment (HTTP 500)."
        assert sum(poison in b and len(b) == 1 for b in transport.batches) == 5  # tried alone 5 times, then parked
    else:
        assert outbox[0][3] == "The batch was refused."
    page = team.get("/").get_data(as_text=True)
    assert "Needs attention: 1 item" in page


def test_a_diary_failing_on_everything_is_a_diary_problem_not_a_parked_item(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    from models.local import local_db

    team, *_ = logged_in
    log_minutes(team, fake_sources, 25)
    transport = FlakyTransport(sqlite_diary, faults=["500"] * 20)
    worker = make_worker(transport)
    with team_app.app_context():
        for _ in range(3):
            assert worker.run_once().failure
        states = {s for (s,) in local_db.execute_sql("SELECT state FROM sync_outbox").fetchall()}
    assert states == {"pending"}  # nothing parked for the diary's own trouble
    assert "The diary has a problem (HTTP 500)" in team.get("/").get_data(as_text=True)
