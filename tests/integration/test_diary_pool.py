"""The diary server's connection pool (dbkit/pool.py) and its queries per request, on SQLite
and PostgreSQL: connections outlive requests, an exhausted pool answers 503, a held pull
gives its connection back while it waits, and no hot path's query count grows with the
contracts or segments it does not return."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.integration.sync.helpers import segment

PASSWORD = "correct horse 1"


@pytest.fixture
def small_pool_app(diary_database_url, tmp_path, clock):
    """The diary with one pooled connection, which a request waits for at most half a second."""
    from diary_server import create_app

    app = create_app(
        {
            "DATA_DIR": tmp_path / "diary",
            "DATABASE_URL": diary_database_url,
            "CLOCK": clock,
            "TESTING": True,
            "POOL_SIZE": 1,
            "POOL_WAIT_SECONDS": 0.5,
        }
    )
    yield app
    from dbkit.database import close_pool

    close_pool(app.extensions["diary_db"])


def _sign_in(http, email: str) -> dict[str, str]:
    r = http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def _people(app, clock, contracts: int = 1):
    from diary_server import contracts as svc
    from diary_server.accounts import create_user

    with app.extensions["diary_db"].connection_context():
        client = create_user("cleo@example.com", "Cleo Client", "client", PASSWORD, clock())
        create_user("fran@example.com", "Fran Freelancer", "freelancer", PASSWORD, clock())
        ids = [
            svc.create_contract(
                client,
                freelancer_email="fran@example.com",
                title=f"Contract {n}",
                hourly_rate="30",
                activity_labels=["Design", "Code"],
                now=clock(),
            ).id
            for n in range(contracts)
        ]
    http = app.test_client()
    return http, _sign_in(http, "cleo@example.com"), _sign_in(http, "fran@example.com"), ids


def test_connections_outlive_requests(diary_app, clock):
    http, boss, _fran, ids = _people(diary_app, clock)
    db = diary_app.extensions["diary_db"]
    for n in range(5):
        assert http.patch(f"/api/v1/contracts/{ids[0]}", json={"title": f"T {n}"}, headers=boss).status_code == 200
    assert db.is_closed()  # (this thread's) handed back at teardown...
    assert len(db._connections) >= 1 and not db._in_use  # ...to the pool, still open
    url = diary_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        # No checkpoint at each close: the write-ahead log is still there between requests.
        wal = Path(url[len("sqlite:///") :] + "-wal")
        assert wal.exists() and wal.stat().st_size > 0


def test_an_exhausted_pool_answers_503_with_retry_after(small_pool_app, clock):
    http, boss, _fran, _ids = _people(small_pool_app, clock)
    db = small_pool_app.extensions["diary_db"]
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:  # another thread holds the only connection
        with db.connection_context():
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(10)
        r = http.get("/api/v1/contracts", headers=boss)
        assert r.status_code == 503 and r.json["code"] == "busy" and r.headers["Retry-After"] == "1"
        page = http.get("/signin")
        assert page.status_code == 503 and b"busy" in page.data
    finally:
        release.set()
        holder.join()
    assert http.get("/api/v1/contracts", headers=boss).status_code == 200


def test_a_held_pull_gives_its_connection_back_while_it_waits(small_pool_app, clock):
    """With one pooled connection, other requests still get answers while a pull is held."""
    from werkzeug.serving import make_server

    http, boss, fran, ids = _people(small_pool_app, clock)
    server = make_server("127.0.0.1", 0, small_pool_app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    waiters = small_pool_app.extensions["change_waiters"]
    try:
        cursor = http.get("/api/v1/sync/changes", headers=fran).json["cursor"]
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(
                httpx.get, f"{url}/api/v1/sync/changes", params={"since": cursor, "wait": 30}, headers=fran, timeout=60
            )
            for _ in range(500):
                if waiters.waiting():
                    break
                threading.Event().wait(0.01)
            assert waiters.waiting() == 1
            for _ in range(3):  # each needs the one connection the held pull does not keep
                assert httpx.get(f"{url}/api/v1/contracts", headers=boss, timeout=10).status_code == 200
            seg = segment(ids[0], clock() - timedelta(minutes=30))
            r = httpx.post(f"{url}/api/v1/sync/push", json={"segments": [seg]}, headers=boss, timeout=10)
            assert r.status_code == 200  # (a client's push is refused per item, but it is a write: a poke)
            r = httpx.patch(f"{url}/api/v1/contracts/{ids[0]}", json={"title": "Woken"}, headers=boss, timeout=10)
            assert r.status_code == 200
            page = held.result(timeout=60)
        assert page.status_code == 200
        assert [c["title"] for c in page.json()["contracts"]] == ["Woken"]
    finally:
        waiters.stop()
        server.shutdown()
        serving.join()
        server.server_close()


def _queries_of(app, request) -> int:
    """Statements sent on the app's database cursors during ``request()`` (every query, write,
    BEGIN and COMMIT, also those a push sends past peewee's query hooks with executemany)."""
    from bench.diary_api_requests import count_statements

    response, seen = count_statements(app.extensions["diary_db"], request)
    assert response.status_code == 200, response.json
    return len(seen)


def _add_contracts(app, http, fran, clock, n: int) -> list[int]:
    """``n`` more contracts between the two, each with three segments."""
    from diary_server import contracts as svc
    from diary_server.models import User

    with app.extensions["diary_db"].connection_context():
        client = User.get(User.email == "cleo@example.com")
        ids = [
            svc.create_contract(
                client, freelancer_email="fran@example.com", title=f"More {k}", hourly_rate="25", now=clock()
            ).id
            for k in range(n)
        ]
    start = clock() - timedelta(minutes=30)
    for contract in ids:
        body = {"segments": [segment(contract, start - timedelta(minutes=10 * k)) for k in range(3)]}
        assert http.post("/api/v1/sync/push", json=body, headers=fran).status_code == 200
    return ids


def _hot_path_queries(app, http, boss, fran, contract: int, clock) -> dict[str, int]:
    cursor = http.get("/api/v1/sync/changes?limit=500", headers=boss).json["cursor"]
    assert http.patch(f"/api/v1/contracts/{contract}", json={"title": "x"}, headers=boss).status_code == 200
    clock.advance(minutes=2)  # past the once-a-minute token "last used" write: it counts too
    new = segment(contract, clock() - timedelta(minutes=20))
    return {
        "me": _queries_of(app, lambda: http.get("/api/v1/me", headers=boss)),
        "contract": _queries_of(app, lambda: http.get(f"/api/v1/contracts/{contract}", headers=boss)),
        "patch": _queries_of(
            app, lambda: http.patch(f"/api/v1/contracts/{contract}", json={"title": "y"}, headers=boss)
        ),
        "push one": _queries_of(app, lambda: http.post("/api/v1/sync/push", json={"segments": [new]}, headers=fran)),
        "changes": _queries_of(app, lambda: http.get(f"/api/v1/sync/changes?since={cursor}", headers=boss)),
    }


def test_query_counts_do_not_grow_with_what_a_request_does_not_return(diary_app, clock):
    """The same requests with 2 and then with 20 contracts (3 segments each) in the diary."""
    http, boss, fran, _ = _people(diary_app, clock, 0)
    first = _add_contracts(diary_app, http, fran, clock, 2)[0]
    with_2 = _hot_path_queries(diary_app, http, boss, fran, first, clock)
    _add_contracts(diary_app, http, fran, clock, 18)
    with_20 = _hot_path_queries(diary_app, http, boss, fran, first, clock)
    assert with_2 == with_20
    # The list returns every contract, in a number of queries that does not depend on it.
    listed = [_queries_of(diary_app, lambda: http.get("/api/v1/contracts", headers=boss))]
    _add_contracts(diary_app, http, fran, clock, 5)
    listed.append(_queries_of(diary_app, lambda: http.get("/api/v1/contracts", headers=boss)))
    assert listed[0] == listed[1]
