"""The diary server under gunicorn's gevent worker: many held pulls, one worker, no thread each.

Every signed-in Team app keeps a pull of the changes feed open (``?wait=N``). Under the gthread
worker each held pull takes one of the worker's threads, so eight Team apps fill a worker and
the ninth app's push waits for a pull to end. The README's team set-up therefore runs gunicorn
with ``-k gevent`` (psycopg2 made cooperative by psycogreen in ``diary_server/wsgi.py``). This
starts that server on the session's PostgreSQL and holds more pulls than a gthread worker has
threads, then checks that other requests are answered meanwhile and that one change wakes
every pull that it concerns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.test_gunicorn_postgres import CLIENT, FREELANCER, PASSWORD, WORKERS, Gunicorn, running_gunicorn

HELD = 24  # pulls held at once: three times the threads of the README's gthread worker


@pytest.fixture(scope="module")
def gevent_server(postgres, tmp_path_factory) -> Iterator[Gunicorn]:
    database = postgres.create_database()
    args = ["-k", "gevent", "-w", str(WORKERS), "--worker-connections", "200"]
    try:
        with running_gunicorn(
            postgres.url(database), tmp_path_factory.mktemp("gevent"), args, "gevent-test-secret-key-0123456789abcdef"
        ) as server:
            yield server
    finally:
        postgres.drop_database(database)


def _token(base_url: str, email: str) -> dict[str, str]:
    r = httpx.post(f"{base_url}/api/v1/sessions", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_held_pulls_leave_the_worker_free_and_one_change_wakes_them_all(gevent_server):
    base = gevent_server.base_url
    with gevent_server.dump_on_failure():
        boss, felix = _token(base, CLIENT), _token(base, FREELANCER)
        r = httpx.post(
            f"{base}/api/v1/contracts",
            headers=boss,
            json={"freelancer_email": FREELANCER, "title": "Logo", "hourly_rate": "40"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        contract_id = r.json()["id"]
        cursor = httpx.get(f"{base}/api/v1/sync/changes", headers=felix, timeout=30).json()["cursor"]

        sent = threading.Semaphore(0)

        def held_pull(_: int) -> httpx.Response:
            hooks = {"request": [lambda request: sent.release()]}
            with httpx.Client(base_url=base, headers=felix, timeout=120, event_hooks=hooks) as http:
                return http.get("/api/v1/sync/changes", params={"since": cursor, "wait": 55})

        with ThreadPoolExecutor(max_workers=HELD) as pool:
            pulls = [pool.submit(held_pull, n) for n in range(HELD)]
            for _ in range(HELD):
                assert sent.acquire(timeout=60)
            # With every pull held, the worker still answers: HELD reads of the contract list
            # (each on its own connection) and the client's edit.
            for _ in range(HELD):
                listed = httpx.get(f"{base}/api/v1/contracts", headers=felix, timeout=30)
                assert listed.status_code == 200, listed.text
            assert not any(p.done() for p in pulls), "a pull came back before anything changed"
            r = httpx.patch(
                f"{base}/api/v1/contracts/{contract_id}", headers=boss, json={"title": "Logo and icons"}, timeout=30
            )
            assert r.status_code == 200, r.text
            answers = [p.result(timeout=120) for p in pulls]
        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert [c["title"] for c in answer.json()["contracts"]] == ["Logo and icons"]
        assert "Traceback" not in gevent_server.log()
