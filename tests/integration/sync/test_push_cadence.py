"""How often a segment being logged is pushed: once, at its end (a logged hour is 6 pushes, not
60), and at once when logging stops or the freelancer edits its memo. Nothing waits in memory:
the outbox row is there from the first minute."""

from tests.integration.sync.worker_kit import HX, FlakyTransport, advance
from web.services import services


class Recording(FlakyTransport):
    """The diary, recording the segment UUIDs of each push and each snapshot upload."""

    def __init__(self, app):
        super().__init__(app)
        self.pushes: list[str] = []
        self.uploads: list[int] = []

    def handle_request(self, request):
        response = super().handle_request(request)
        if request.url.path.endswith("/sync/push"):
            import json

            self.pushes += [s["uuid"] for s in json.loads(request.content)["segments"]]
        elif "/snapshots/" in request.url.path:
            self.uploads.append(response.status_code)
        return response


def _outbox_rows(team_app):
    from models.local import local_db

    with team_app.app_context():
        return local_db.execute_sql("SELECT COUNT(*) FROM sync_outbox WHERE kind = 'segment'").fetchone()[0]


def test_a_logged_hour_is_six_pushes_with_a_round_after_every_minute(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    team, _cid, _http, _headers = logged_in
    transport = Recording(sqlite_diary)
    worker = make_worker(transport)
    team.post("/logging/toggle", headers=HX)  # 09:00:00, a segment boundary
    for minute in range(60):
        fake_sources["inputs"].add(keys=3, clicks=1)
        advance(team, 60)
        assert _outbox_rows(team_app) >= (1 if minute % 10 != 9 else 0)  # kept from the first minute
        with team_app.app_context():
            worker.run_once()  # as often as the old poke after every logged minute
    assert len(transport.pushes) == 6 and len(set(transport.pushes)) == 6
    # Each snapshot went after its segment, at the first try (no "segment unknown" round trip).
    assert transport.uploads and set(transport.uploads) == {200}
    team.post("/logging/toggle", headers=HX)


def test_a_stop_or_a_memo_edit_pushes_the_segment_at_once(logged_in, team_app, sqlite_diary, make_worker, fake_sources):
    team, _cid, _http, _headers = logged_in
    transport = Recording(sqlite_diary)
    worker = make_worker(transport)
    svc = services(team_app)
    team.post("/logging/toggle", headers=HX)
    for _ in range(3):
        fake_sources["inputs"].add(keys=3, clicks=1)
        advance(team, 60)
    with team_app.app_context():
        worker.run_once()
    assert transport.pushes == []  # 09:03: the segment is still being logged
    team.post("/logging/memo", data={"memo": "Checkout page", "label": "Design"}, headers=HX)
    with team_app.app_context():
        worker.run_once()
    assert len(transport.pushes) == 1  # an edit does not wait
    fake_sources["inputs"].add(keys=3, clicks=1)
    advance(team, 60)
    with team_app.app_context():
        worker.run_once()
    assert len(transport.pushes) == 1
    team.post("/logging/toggle", headers=HX)  # 09:04: logging off
    assert svc.controller.wait_stopped()
    svc.controller.drain()
    with team_app.app_context():
        worker.run_once()
    assert len(transport.pushes) == 2 and _outbox_rows(team_app) == 0


def test_a_segment_left_waiting_by_a_crash_goes_at_the_next_start(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    import threading

    team, _cid, _http, _headers = logged_in
    team.post("/logging/toggle", headers=HX)
    for _ in range(3):
        fake_sources["inputs"].add(keys=3, clicks=1)
        advance(team, 60)
    # No stop: as after kill -9, the row waits for 09:10. A worker starting now sends it.
    transport = Recording(sqlite_diary)
    worker = make_worker(transport)
    pushed = threading.Event()
    original = transport.handle_request
    transport.handle_request = lambda request: (original(request), transport.pushes and pushed.set())[0]
    worker.start()
    try:
        assert pushed.wait(30), "the waiting segment was not pushed at the start"
    finally:
        worker.stop()
    assert len(transport.pushes) == 1
    team.post("/logging/toggle", headers=HX)
