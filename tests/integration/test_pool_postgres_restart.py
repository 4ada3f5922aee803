"""Pooled connections under gunicorn survive a PostgreSQL restart.

The diary server keeps its database connections open between requests (dbkit/pool.py). When
PostgreSQL restarts, every pooled connection dies with it; the check at check-out must throw
those away, so the first requests after the restart are answered, not 500. This test runs its
own cluster (a restart would cut the test session's shared one from under other tests) and a
real gunicorn (2 workers x 4 threads) started as the README says.
"""

from __future__ import annotations

import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from tests.integration.test_gunicorn_postgres import (
    ACCESS_FORMAT,
    CLIENT,
    FREELANCER,
    GUNICORN,
    PASSWORD,
    ROOT,
    Gunicorn,
    _create_user,
    _wait_for_start,
)
from tests.support.postgres import PostgresCluster, PostgresUnavailable


@pytest.fixture
def cluster():
    try:
        cluster = PostgresCluster().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture
def pooled_server(cluster, tmp_path):
    database_url = cluster.url(cluster.create_database())
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "TEAMAPP_DIARY_DATABASE": database_url,
        "TEAMAPP_DIARY_DATA_DIR": str(tmp_path / "diary"),
        "TEAMAPP_DIARY_SECRET_KEY": "pool-restart-secret-key-0123456789abcdef",
        "TEAMAPP_DIARY_POOL_SIZE": "4",
        "PYTHONUNBUFFERED": "1",
    }
    command = [str(GUNICORN), "-k", "gthread", "-w", "2", "--threads", "4", "-b", "127.0.0.1:0"]
    command += ["--no-control-socket", "--access-logfile", "-", "--access-logformat", ACCESS_FORMAT]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [*command, "diary_server.wsgi:app"], cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        server = Gunicorn(proc, log_path, _wait_for_start(proc, log_path), database_url, tmp_path / "diary")
        with server.dump_on_failure():
            _create_user(server, "client", CLIENT, "Big Boss")
            _create_user(server, "freelancer", FREELANCER, "Felix Freelancer")
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _backends(database_url: str) -> int:
    """Connections to the diary's database other than this one."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_pooled_connections_last_and_the_first_requests_after_a_restart_succeed(pooled_server, cluster):
    server = pooled_server

    def burst(headers: dict[str, str], contract_id: int, n: int = 24) -> list[int]:
        """Concurrent reads and writes on fresh HTTP connections, so both workers and several
        pooled connections of each are used."""

        def one(i: int) -> int:
            with server.client() as http:
                if i % 3 == 0:
                    r = http.patch(f"/api/v1/contracts/{contract_id}", headers=headers, json={"title": f"T {i}"})
                else:
                    r = http.get("/api/v1/contracts", headers=headers)
                return r.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, range(n)))

    with server.dump_on_failure(), server.client() as http:
        r = http.post("/api/v1/sessions", json={"email": CLIENT, "password": PASSWORD})
        assert r.status_code == 201, r.text
        boss = {"Authorization": f"Bearer {r.json()['token']}"}
        body = {"freelancer_email": FREELANCER, "title": "Pooled", "hourly_rate": "30"}
        contract = http.post("/api/v1/contracts", headers=boss, json=body).json()["id"]

        assert burst(boss, contract) == [200] * 24
        # Connections last: idle pooled connections stay open after the requests (at most
        # 2 workers x 4), where each request used to close its own at teardown.
        assert 1 <= _backends(server.database_url) <= 8

        cluster.restart()  # every pooled connection is now dead
        assert _backends(server.database_url) == 0

        assert burst(boss, contract) == [200] * 24
        r = http.get(f"/api/v1/contracts/{contract}", headers=boss)
        assert r.status_code == 200 and r.json()["title"].startswith("T ")
        assert http.get("/healthz").status_code == 200
        assert "Traceback" not in server.log()
