"""The requests bench/diary_api.py measures, and their database statements counted in-process."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

CONTRACTS = 20
PASSWORD = "bench password 1"  # noqa: S105  (a throwaway account in a throwaway database)
CLIENT = "client@bench.example"
FREELANCER = "freelancer@bench.example"


def _segment(contract_id: int, start: datetime, key: str, version: int) -> dict:
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        "contract_id": contract_id,
        "start": start.isoformat(),
        "version": version,
        "logged_seconds": 600,
        "minutes": [[30, 5, 2]] * 10,
        "app_name": "bench",
        "window_title": "diary_api.py",
    }


def diary_requests(http) -> dict[str, object]:
    """The measured requests, each a function (client, thread, n) -> response; ``http`` (a
    client on the server, or a Flask test client in this process) signs in and looks up ids."""
    auth = _sign_in(http, CLIENT)
    fran = _sign_in(http, FREELANCER)
    ids = [c["id"] for c in http.get("/api/v1/contracts", headers=auth).json()["contracts"]]
    assert len(ids) == CONTRACTS, ids
    now = datetime.now(UTC)
    slot = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0) - timedelta(minutes=10)
    run = uuid.uuid4().hex  # a segment per thread; every push carries a higher version
    versions = itertools.count(1)

    def me(http, i: int, n: int):
        return http.get("/api/v1/me", headers=auth)

    def list_contracts(http, i: int, n: int):
        return http.get("/api/v1/contracts", headers=auth)

    def patch_title(http, i: int, n: int):
        contract_id = ids[(i + n) % len(ids)]
        return http.patch(f"/api/v1/contracts/{contract_id}", headers=auth, json={"title": f"Contract {i}-{n}"})

    def push(http, i: int, n: int):
        body = {"segments": [_segment(ids[i % len(ids)], slot, f"{run}-{i}", next(versions))]}
        return http.post("/api/v1/sync/push", headers=fran, json=body)

    def changes(http, i: int, n: int):  # an idle Team app's pull: its cursor is past the newest change
        return http.get("/api/v1/sync/changes", params={"since": 2**62}, headers=auth)

    return {
        "GET /api/v1/me": me,
        "GET /api/v1/contracts": list_contracts,
        "PATCH /api/v1/contracts/{id}": patch_title,
        "POST /api/v1/sync/push": push,
        "GET /api/v1/sync/changes": changes,
    }


def _sign_in(http, email: str) -> dict[str, str]:
    r = http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


class _Answer:
    def __init__(self, response):
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)
        self._json = response.get_json(silent=True)

    def json(self):
        return self._json


class _TestClient:
    """A Flask test client that answers like httpx (``.json()``, ``params=``)."""

    def __init__(self, app):
        self.http = app.test_client()

    def __getattr__(self, method):
        def call(path, params=None, **kwargs):
            return _Answer(getattr(self.http, method)(path, query_string=params, **kwargs))

        return call


class _CountingCursor:
    """A DB-API cursor that notes each statement it sends (``execute``/``executemany``)."""

    def __init__(self, cursor, seen: list):
        self._cursor, self._seen = cursor, seen

    def execute(self, sql, *args, **kwargs):
        self._seen.append(sql)
        return self._cursor.execute(sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        self._seen.append(sql)
        return self._cursor.executemany(sql, *args, **kwargs)

    def __iter__(self):
        return iter(self._cursor)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def count_statements(db, request) -> tuple[object, list]:
    """Run ``request()`` and return its answer and the statements sent on ``db``'s cursors in
    this thread meanwhile: every query, write, BEGIN, COMMIT and SAVEPOINT, also those sent
    past peewee's query hooks (the push writes through ``cursor().executemany``)."""
    seen: list = []
    plain = db.cursor
    db.cursor = lambda *args, **kwargs: _CountingCursor(plain(*args, **kwargs), seen)
    try:
        return request(), seen
    finally:
        del db.cursor


def queries_per_request(database_url: str, data_dir: Path) -> dict[str, int]:
    """Database statements of one request of each kind (after one untimed), in this process."""
    from diary_server import create_app

    app = create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url, "CHANGES_POLL_SECONDS": 0})
    db = app.extensions["diary_db"]
    http = _TestClient(app)
    counts = {}
    for label, request in diary_requests(http).items():
        request(http, 0, 0)
        answer, seen = count_statements(db, lambda request=request: request(http, 0, 1))
        assert answer.status_code < 400, (label, answer.status_code)
        counts[label] = len(seen)
    getattr(db, "close_all", db.close)()
    return counts
