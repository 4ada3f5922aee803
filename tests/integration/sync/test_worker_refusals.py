"""The sync worker when the diary says no or fails: a refused item waits under "Needs
attention" with the diary's reason and is retried on request, one item the diary fails on is
isolated while the rest go through, a diary failing on everything is the diary's problem and
parks nothing, and the status line tells these apart from being offline."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.integration.sync.worker_kit import HX, FlakyTransport, assert_same, diary_state, drain, log_minutes


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
