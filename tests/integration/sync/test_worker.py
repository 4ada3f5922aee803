"""The sync worker in the Team app against an in-process diary server: outbox written with each
change, batches pushed, snapshots held during review, edits both ways, faults retried without
duplicates. Refusals and failures on one item: test_worker_refusals.py."""

from datetime import timedelta

import pytest

from tests.integration.sync.worker_kit import (
    HX,
    FlakyTransport,
    assert_same,
    diary_state,
    drain,
    local_state,
    log_minutes,
)


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
        monkeypatch.setattr(type(clock), "__call__", lambda self: ahead)
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
