"""Held pulls (``GET /api/v1/sync/changes?wait=N``) over real HTTP, on SQLite and PostgreSQL:
the answer comes back when the other party changes something, not for the caller's own
writes, and a write by another process on the same database is seen too.

No timing is asserted: each test checks what the held answer carries, and every wait is
bounded so a broken wake-up fails the test instead of hanging it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from tests.integration.sync.helpers import changes, push, segment

HELD = 30  # longer than any of these tests needs, so a missed wake-up shows as an empty page


def _held_pull(url: str, headers: dict, since: int, wait: int = HELD) -> dict:
    r = httpx.get(f"{url}/api/v1/sync/changes", params={"since": since, "wait": wait}, headers=headers, timeout=90)
    assert r.status_code == 200, r.text
    return r.json()


def _until_waiting(app, count: int = 1) -> None:
    waiters = app.extensions["change_waiters"]
    for _ in range(500):
        if waiters.waiting() >= count:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the held pull never started waiting")


def test_a_held_pull_returns_the_other_partys_edit(diary_app, diary_http, party, served, clock):
    seg = segment(party["contract"], clock() - timedelta(minutes=30))
    push(diary_http, party["free"], [seg])
    cursor = changes(diary_http, party["free"])["cursor"]
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(_held_pull, served, party["free"], cursor)
        _until_waiting(diary_app)
        r = diary_http.patch(f"/api/v1/segments/{seg['uuid']}", json={"label": "Design"}, headers=party["client"])
        assert r.status_code == 200
        page = held.result(timeout=60)
    assert [(s["uuid"], s["label"]) for s in page["segments"]] == [(seg["uuid"], "Design")]
    assert page["cursor"] > cursor


def test_own_writes_do_not_end_a_held_pull_but_the_cursor_moves_past_them(diary_app, diary_http, party, served, clock):
    cursor = changes(diary_http, party["free"])["cursor"]
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(_held_pull, served, party["free"], cursor, 2)
        _until_waiting(diary_app)
        push(diary_http, party["free"], [segment(party["contract"], clock() - timedelta(minutes=40))])
        page = held.result(timeout=60)
    assert page["segments"] == [] and page["more"] is False
    # Its own push is in the feed but left out for it; the next pull starts after it.
    assert page["cursor"] > cursor or changes(diary_http, party["free"], since=page["cursor"])["segments"] == []


def test_the_same_freelancers_other_computer_wakes_a_held_pull(diary_app, diary_http, party, served, clock):
    cursor = changes(diary_http, party["free"])["cursor"]
    seg = segment(party["contract"], clock() - timedelta(minutes=50))
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(_held_pull, served, party["free"], cursor)
        _until_waiting(diary_app)
        push(diary_http, party["free2"], [seg])
        page = held.result(timeout=60)
    assert [s["uuid"] for s in page["segments"]] == [seg["uuid"]]


def test_strangers_writes_do_not_wake_a_held_pull(diary_app, diary_http, party, served, clock, make_user):
    other_client = make_user("c2@example.com", "Carl Client", "client")
    assert other_client
    token = diary_http.post("/api/v1/sessions", json={"email": "c2@example.com", "password": "correct horse 1"})
    h = {"Authorization": f"Bearer {token.json['token']}"}
    cursor = changes(diary_http, party["free"])["cursor"]
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(_held_pull, served, party["free"], cursor, 2)
        _until_waiting(diary_app)
        body = {"freelancer_email": "other@example.com", "title": "Not Fran's", "hourly_rate": "20"}
        assert diary_http.post("/api/v1/contracts", json=body, headers=h).status_code == 201
        page = held.result(timeout=60)
    assert page["contracts"] == [] and page["segments"] == []


def test_a_write_by_another_process_on_the_same_database_is_seen(
    diary_app, diary_database_url, diary_http, party, served, clock, tmp_path
):
    """A second diary process (another gunicorn worker) writes: this one has no poke for it and
    finds it by reading the feed while someone waits."""
    from diary_server import create_app

    cursor = changes(diary_http, party["client"])["cursor"]
    seg = segment(party["contract"], clock() - timedelta(minutes=60))
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(_held_pull, served, party["client"], cursor)
        _until_waiting(diary_app)
        other = create_app(
            {"DATA_DIR": tmp_path / "diary", "DATABASE_URL": diary_database_url, "CLOCK": clock, "TESTING": True}
        )
        push(other.test_client(), party["free"], [seg])
        page = held.result(timeout=60)
    assert [s["uuid"] for s in page["segments"]] == [seg["uuid"]]


def test_a_wait_beyond_the_limit_is_refused(diary_http, party):
    r = diary_http.get("/api/v1/sync/changes?since=0&wait=56", headers=party["free"])
    assert r.status_code == 422
    r = diary_http.get("/api/v1/sync/changes?since=0&wait=-1", headers=party["free"])
    assert r.status_code == 422
