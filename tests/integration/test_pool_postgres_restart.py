"""Pooled connections under gunicorn survive a PostgreSQL restart.

The diary server keeps its database connections open between requests (dbkit/pool.py). When
PostgreSQL restarts, every pooled connection dies with it; the check at check-out must throw
those away, so the first requests after the restart are answered, not 500. This test runs its
own cluster (a restart would cut the test session's shared one from under other tests) and a
real gunicorn (2 workers x 4 threads) started as the README says.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from tests.integration.test_gunicorn_postgres import CLIENT, FREELANCER, PASSWORD, running_gunicorn
from tests.support.postgres import running_cluster


@pytest.fixture
def cluster():
    with running_cluster() as cluster:  # its own: a restart would cut the session's from other tests
        yield cluster


@pytest.fixture
def pooled_server(cluster, tmp_path):
    args = ["-k", "gthread", "-w", "2", "--threads", "4"]
    secret = "pool-restart-secret-key-0123456789abcdef"
    with running_gunicorn(
        cluster.url(cluster.create_database()), tmp_path, args, secret, {"TEAMAPP_DIARY_POOL_SIZE": "4"}
    ) as server:
        yield server


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
