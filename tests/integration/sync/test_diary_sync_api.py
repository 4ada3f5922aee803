"""The sync protocol of the diary server, on SQLite and PostgreSQL: idempotent upserts, the rules
it enforces, snapshot verification, tombstones, edits and the changes feed."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

from tests.integration.sync.helpers import PASSWORD, changes, iso, png, push, segment, snapshot_body

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock fixture's instant


def test_upsert_is_idempotent_and_the_higher_version_wins(diary_http, party):
    seg = segment(party["contract"], MONDAY - timedelta(minutes=30), logged_seconds=120)
    first = push(diary_http, party["free"], [seg])["results"][0]
    assert first["status"] == "ok" and first["segment"]["billed"] and first["segment"]["logged_seconds"] == 120
    cursor = changes(diary_http, party["free"])["cursor"]
    # The same request again (a retry after a lost response) changes nothing, not even the feed.
    again = push(diary_http, party["free"], [seg])["results"][0]
    assert again["status"] == "ok" and again["segment"] == first["segment"]
    assert changes(diary_http, party["free"], since=cursor)["segments"] == []
    # A newer version replaces the capture data; an older one arriving late does not.
    push(diary_http, party["free"], [{**seg, "version": 3, "logged_seconds": 600}])
    late = push(diary_http, party["free"], [{**seg, "version": 2, "logged_seconds": 300}])["results"][0]
    assert late["segment"]["version"] == 3 and late["segment"]["logged_seconds"] == 600
    got = diary_http.get(f"/api/v1/segments/{seg['uuid']}", headers=party["client"]).json
    assert got["logged_seconds"] == 600 and got["minutes"][0] == [3, 1, 0]


def test_memo_and_label_later_edit_wins_and_deletion_wins(diary_http, party):
    start = MONDAY - timedelta(minutes=20)
    seg = segment(party["contract"], start, memo="first", memo_edited_at=iso(MONDAY - timedelta(minutes=5)))
    push(diary_http, party["free"], [seg])
    # The client sets a label on the diary's side (edit time: the server's now).
    r = diary_http.patch(f"/api/v1/segments/{seg['uuid']}", json={"label": "Design"}, headers=party["client"])
    assert r.status_code == 200 and r.json["label"] == "Design"
    # Clients cannot edit memos.
    r = diary_http.patch(f"/api/v1/segments/{seg['uuid']}", json={"memo": "mine"}, headers=party["client"])
    assert r.status_code == 403
    # An older memo edit loses, a later one wins; the label the app never edited is untouched.
    older = {**seg, "memo": "stale", "memo_edited_at": iso(MONDAY - timedelta(minutes=10))}
    assert push(diary_http, party["free"], [older])["results"][0]["segment"]["memo"] == "first"
    later = {**seg, "memo": "later", "memo_edited_at": iso(MONDAY - timedelta(minutes=1))}
    out = push(diary_http, party["free"], [later])["results"][0]["segment"]
    assert out["memo"] == "later" and out["label"] == "Design"
    # A deletion wins over any later edit.
    deleted = {**seg, "deleted_at": iso(MONDAY - timedelta(minutes=2))}
    assert push(diary_http, party["free"], [deleted])["results"][0]["segment"]["deleted_at"] is not None
    newer_edit = {**seg, "memo": "after", "memo_edited_at": iso(MONDAY)}
    assert push(diary_http, party["free"], [newer_edit])["results"][0]["segment"]["deleted_at"] is not None
    r = diary_http.patch(f"/api/v1/segments/{seg['uuid']}", json={"memo": "x"}, headers=party["free"])
    assert r.status_code == 409 and r.json["code"] == "deleted"


def test_the_server_enforces_the_rules(diary_http, party, clock):
    cid = party["contract"]
    future = segment(cid, MONDAY + timedelta(hours=1))
    last_week = segment(cid, MONDAY - timedelta(days=3), memo="old")  # Friday before: week ended, locks at 12:00
    stranger = segment(cid, MONDAY - timedelta(minutes=10))
    misaligned = segment(cid, MONDAY - timedelta(minutes=7))
    bad_label = segment(cid, MONDAY - timedelta(minutes=40), label="Nope")
    results = push(diary_http, party["free"], [future, last_week, misaligned, bad_label])["results"]
    assert [r["code"] for r in results] == ["in_future", None, "invalid_segment", "unknown_label"]
    # Another freelancer cannot write to this contract; the client cannot either.
    for who in ("other", "client"):
        assert push(diary_http, party[who], [stranger])["results"][0]["code"] == "not_found"
    # Last week's snapshot can no longer be deleted (the week ended) ...
    tomb = {**last_week, "deleted_at": iso(MONDAY)}
    r = push(diary_http, party["free"], [tomb])["results"][0]
    assert r["status"] == "refused" and r["code"] == "week_ended" and r["segment"]["deleted_at"] is None
    # ... and once the week locks, its memo cannot change (the refusal carries the diary's state).
    clock.advance(hours=3)  # Monday 12:00: last week is locked
    edit = {**last_week, "memo": "too late", "memo_edited_at": iso(MONDAY + timedelta(hours=3))}
    r = push(diary_http, party["free"], [edit])["results"][0]
    assert r["code"] == "week_locked" and r["segment"]["memo"] == "old"
    r = diary_http.patch(f"/api/v1/segments/{last_week['uuid']}", json={"memo": "x"}, headers=party["free"])
    assert r.status_code == 409 and r.json["code"] == "week_locked"
    assert push(diary_http, party["free"], [segment(cid, MONDAY - timedelta(days=4))])["results"][0]["code"] == (
        "week_locked"
    )
    # A paused contract takes no new time.
    r = diary_http.post(f"/api/v1/contracts/{cid}/status", json={"status": "paused"}, headers=party["client"])
    assert r.status_code == 200
    clock.advance(minutes=20)
    r = push(diary_http, party["free"], [segment(cid, clock() - timedelta(minutes=clock().minute % 10))])
    assert r["results"][0]["code"] == "contract_not_active"


def test_a_second_computer_gets_its_duplicate_marked_and_not_billed(diary_http, party):
    start = MONDAY - timedelta(minutes=10)
    a, b = segment(party["contract"], start), segment(party["contract"], start)
    ra = push(diary_http, party["free"], [a])["results"][0]
    rb = push(diary_http, party["free2"], [b])["results"][0]
    assert ra["status"] == "ok" and rb["status"] == "duplicate"
    assert rb["segment"]["billed"] is False and rb["segment"]["duplicate_of"] == a["uuid"]
    # Retrying the duplicate keeps it a duplicate; nothing else is created.
    assert push(diary_http, party["free2"], [b])["results"][0]["status"] == "duplicate"
    feed = changes(diary_http, party["client"])
    assert sorted(s["uuid"] for s in feed["segments"]) == sorted([a["uuid"], b["uuid"]])
    # Each computer pulls the other's segment (not its own: it has that from its push).
    assert [s["uuid"] for s in changes(diary_http, party["free"])["segments"]] == [b["uuid"]]
    assert [s["uuid"] for s in changes(diary_http, party["free2"])["segments"]] == [a["uuid"]]


def test_snapshot_upload_is_verified_and_idempotent(diary_http, party):
    seg = segment(party["contract"], MONDAY - timedelta(minutes=10))
    push(diary_http, party["free"], [seg])
    data = png()
    snap_id = str(uuid.uuid4())
    body = snapshot_body(seg["uuid"], data, MONDAY - timedelta(minutes=5))
    r = diary_http.put(f"/api/v1/snapshots/{snap_id}", json=body, headers=party["free"])
    assert r.status_code == 200 and r.json["sha256"] == body["sha256"] and r.json["width"] == 64
    r2 = diary_http.put(f"/api/v1/snapshots/{snap_id}", json=body, headers=party["free"])
    assert r2.status_code == 200 and r2.json == r.json
    assert diary_http.get(f"/api/v1/snapshots/{snap_id}", headers=party["client"]).json["sha256"] == body["sha256"]
    assert diary_http.get(f"/api/v1/snapshots/{snap_id}", headers=party["other"]).status_code == 404

    def refused(body, status, code, headers=party["free"]):
        r = diary_http.put(f"/api/v1/snapshots/{uuid.uuid4()}", json=body, headers=headers)
        assert (r.status_code, r.json["code"]) == (status, code), r.json

    taken = MONDAY - timedelta(minutes=5)
    refused({**body, "sha256": "0" * 64}, 422, "hash_mismatch")
    refused(snapshot_body(seg["uuid"], b"GIF89a not an image at all", taken), 415, "not_an_image")
    refused(snapshot_body(seg["uuid"], data, taken, mime="image/jpeg"), 415, "wrong_type")
    refused(snapshot_body(seg["uuid"], png(20_000, 1), taken), 422, "too_many_pixels")
    refused({**body, "data": "***"}, 422, "invalid_data")
    refused(snapshot_body(str(uuid.uuid4()), data, taken), 409, "segment_unknown")
    refused(body, 409, "segment_unknown", headers=party["other"])
    r = diary_http.put(
        f"/api/v1/snapshots/{snap_id}", json=snapshot_body(seg["uuid"], png(seed=3), taken), headers=party["free"]
    )
    assert r.status_code == 409 and r.json["code"] == "conflict"
    too_big = base64.b64encode(b"x" * 800_000).decode()
    r = diary_http.put(f"/api/v1/snapshots/{uuid.uuid4()}", json={**body, "data": too_big}, headers=party["free"])
    assert r.status_code == 413


def test_tombstones_delete_snapshot_content_and_reach_the_feed(diary_http, diary_app, party):
    from diary_server.diary_models import DiaryBlob

    seg = segment(party["contract"], MONDAY - timedelta(minutes=10))
    push(diary_http, party["free"], [seg])
    data, snap_id = png(seed=5), str(uuid.uuid4())
    body = snapshot_body(seg["uuid"], data, MONDAY - timedelta(minutes=5))
    assert diary_http.put(f"/api/v1/snapshots/{snap_id}", json=body, headers=party["free"]).status_code == 200
    cursor = changes(diary_http, party["client"])["cursor"]
    tomb = {"uuid": snap_id, "segment_uuid": seg["uuid"], "kind": "screen", "deleted_at": iso(MONDAY)}
    out = push(diary_http, party["free"], [{**seg, "deleted_at": iso(MONDAY)}], [tomb])
    assert out["snapshot_results"][0]["status"] == "ok" and out["snapshot_results"][0]["snapshot"]["deleted_at"]
    with diary_app.extensions["diary_db"].connection_context():
        assert DiaryBlob.select().where(DiaryBlob.sha256 == body["sha256"]).count() == 0
    # The upload arriving after its tombstone (a retry) does not bring the content back.
    r = diary_http.put(f"/api/v1/snapshots/{snap_id}", json=body, headers=party["free"])
    assert r.status_code == 200 and r.json["deleted_at"] is not None
    feed = changes(diary_http, party["client"], since=cursor)
    assert [s["uuid"] for s in feed["segments"]] == [seg["uuid"]] and feed["segments"][0]["deleted_at"]
    assert [s["uuid"] for s in feed["snapshots"]] == [snap_id]
    # A tombstone for a snapshot that was never uploaded (deleted during review) is kept as such.
    never = {"uuid": str(uuid.uuid4()), "segment_uuid": seg["uuid"], "kind": "camera", "deleted_at": iso(MONDAY)}
    assert push(diary_http, party["free"], [], [never])["snapshot_results"][0]["status"] == "ok"


def test_changes_feed_pages_by_cursor_and_shows_only_own_contracts(diary_http, party):
    segs = [segment(party["contract"], MONDAY - timedelta(minutes=10 * (i + 1))) for i in range(7)]
    push(diary_http, party["free"], segs)
    seen, since = [], 0
    while True:
        page = changes(diary_http, party["free2"], since=since, limit=3)
        seen += [s["uuid"] for s in page["segments"]]
        since = page["cursor"]
        if not page["more"]:
            break
    assert seen == [s["uuid"] for s in segs]
    assert changes(diary_http, party["other"])["segments"] == []
    assert len(changes(diary_http, party["client"])["segments"]) == 7
    assert diary_http.get("/api/v1/sync/changes").status_code == 401


def test_one_batch_with_repeats_and_a_slot_billed_meanwhile(diary_http, diary_app, party):
    """The batch is decided in memory and written in bulk: a UUID sent twice in one batch is one
    segment (the later state), two copies of a slot in one batch bill one, and a slot billed by
    another request after the batch looked (the bulk insert hits the unique index) ends as a
    duplicate of that one instead of failing the batch."""
    from diary_server.diary_models import DiarySegment
    from diary_server.sync_service import upsert as svc  # its internals: the race is staged by hand

    cid = party["contract"]
    start = MONDAY - timedelta(minutes=20)
    first = segment(cid, start, logged_seconds=100)
    again = dict(first, version=2, logged_seconds=300, memo="Later", memo_edited_at=iso(MONDAY))
    copy = segment(cid, start)
    results = push(diary_http, party["free"], [first, again, copy])["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "duplicate"]
    assert results[1]["segment"]["logged_seconds"] == 300 and results[1]["segment"]["memo"] == "Later"
    assert results[2]["segment"]["duplicate_of"] == first["uuid"]
    # Another request billed this slot after our batch read the owners: the bulk insert
    # fails on the unique index and the row goes in as a duplicate of the real owner.
    slot = MONDAY - timedelta(minutes=30)
    owner = segment(cid, slot)
    push(diary_http, party["free"], [owner])
    with diary_app.extensions["diary_db"].connection_context():
        assert DiarySegment.select().where(DiarySegment.start == start).count() == 2
        late = svc._new_row(
            svc.Contract.get_by_id(cid), slot, segment(cid, slot), None, None, None, None, None, MONDAY, {}
        )
        assert late.billed
        with svc.diary_db.atomic():
            svc._write_inserts([late])
        stored = DiarySegment.get(DiarySegment.uuid == late.uuid)
        assert (stored.billed, stored.duplicate_of) == (False, owner["uuid"])


def test_contract_changes_and_the_lock_boundary_come_through_the_feed(diary_http, party, clock):
    cid = party["contract"]
    since = changes(diary_http, party["free"])["cursor"]
    r = diary_http.post(f"/api/v1/contracts/{cid}/status", json={"status": "paused"}, headers=party["client"])
    assert r.status_code == 200, r.json
    r = diary_http.patch(f"/api/v1/contracts/{cid}", json={"activity_labels": ["Design"]}, headers=party["client"])
    assert r.status_code == 200, r.json
    page = changes(diary_http, party["free"], since=since)
    assert [(c["id"], c["status"], c["activity_labels"]) for c in page["contracts"]] == [(cid, "paused", ["Design"])]
    assert page["cursor"] > since and page["segments"] == []
    assert changes(diary_http, party["other"], since=since)["contracts"] == []
    # Monday 09:00: last week locks at 12:00 today, so only time before last Monday is locked.
    assert page["locked_before"].startswith("2026-11-16T00:00:00")
    assert changes(diary_http, party["free"], since=page["cursor"])["contracts"] == []


def test_the_feed_leaves_out_the_callers_own_writes_but_moves_its_cursor_past_them(diary_http, party):
    """A Team app does not pull back what it pushed (the push's answer had it): the feed leaves
    out every row written with the caller's token (segments, snapshot uploads, tombstones, API
    edits) and still moves the cursor past them. The same account's other computer, the client
    and a later edit by anybody else see everything."""
    cid = party["contract"]
    start = MONDAY - timedelta(minutes=40)
    segs = [segment(cid, start + timedelta(minutes=10 * i)) for i in range(4)]
    before = changes(diary_http, party["free"])["cursor"]
    push(diary_http, party["free"], segs)
    snap_id = str(uuid.uuid4())
    body = snapshot_body(segs[0]["uuid"], png(seed=9), start + timedelta(minutes=5))
    assert diary_http.put(f"/api/v1/snapshots/{snap_id}", json=body, headers=party["free"]).status_code == 200
    r = diary_http.patch(f"/api/v1/segments/{segs[1]['uuid']}", json={"memo": "Mine"}, headers=party["free"])
    assert r.status_code == 200, r.json
    tomb = {"uuid": str(uuid.uuid4()), "segment_uuid": segs[2]["uuid"], "kind": "camera", "deleted_at": iso(MONDAY)}
    assert push(diary_http, party["free"], [], [tomb])["snapshot_results"][0]["status"] == "ok"
    # Own writes only: nothing comes back, but the cursor moved past all of them.
    own = changes(diary_http, party["free"], since=before, limit=2)
    assert (own["segments"], own["snapshots"], own["more"]) == ([], [], False)
    assert own["cursor"] > before
    assert changes(diary_http, party["free"], since=own["cursor"])["cursor"] == own["cursor"]
    # Another computer of the same account and the client see every one of those writes.
    for who in ("free2", "client"):
        seen_segments, seen_snaps, since = [], [], before
        while True:
            page = changes(diary_http, party[who], since=since, limit=2)
            seen_segments += [s["uuid"] for s in page["segments"]]
            seen_snaps += [s["uuid"] for s in page["snapshots"]]
            since = page["cursor"]
            if not page["more"]:
                break
        assert set(seen_segments) == {s["uuid"] for s in segs}, who
        assert set(seen_snaps) == {snap_id, tomb["uuid"]}, who
        assert since == own["cursor"], who
    # A change by someone else after those writes reaches the writer; the page skips its own
    # rows between the cursor and that change, and ends on it.
    push(diary_http, party["free"], [segment(cid, start - timedelta(minutes=10))])
    r = diary_http.patch(f"/api/v1/segments/{segs[3]['uuid']}", json={"label": "Code"}, headers=party["client"])
    assert r.status_code == 200, r.json
    page = changes(diary_http, party["free"], since=own["cursor"], limit=1)
    assert [s["uuid"] for s in page["segments"]] == [segs[3]["uuid"]] and page["segments"][0]["label"] == "Code"
    assert page["more"] is False
    # A sign-out and a new sign-in is a new session: it pulls what the old one wrote.
    fresh = party["free"]
    r = diary_http.delete("/api/v1/sessions/current", headers=fresh)
    assert r.status_code == 204
    r = diary_http.post("/api/v1/sessions", json={"email": "free@example.com", "password": PASSWORD})
    again = {"Authorization": f"Bearer {r.json['token']}"}
    assert len(changes(diary_http, again, since=before, limit=100)["segments"]) == 5
