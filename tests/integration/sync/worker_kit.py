"""What the sync worker tests share: a transport into the in-process diary that scripts faults,
the Team app's and the diary's states read side by side, and the steps a test repeats (log
some minutes, move the test clock, run rounds until the outbox is empty). The fixtures that
build a signed-in Team app and a worker are in this folder's conftest.py."""

from __future__ import annotations

from datetime import timedelta

import httpx

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


def advance(team, seconds):
    assert team.post("/test/clock", data={"seconds": seconds}).status_code == 200


def log_minutes(team, fake_sources, minutes):
    team.post("/logging/toggle", headers=HX)
    for _ in range(minutes):
        fake_sources["inputs"].add(keys=3, clicks=1)
        advance(team, 60)
    team.post("/logging/toggle", headers=HX)
    # The switch answers at once; the stop's last write and its handling (which makes the segment
    # still being logged due now instead of at its end) follow on the loop's and the UI's threads.
    from web.services import services

    controller = services(team.application).controller
    assert controller is not None and controller.wait_stopped(30)
    controller.drain()


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
