"""Fixtures shared by every test layer.

The test session never touches the user's real data dir, keyring or network: the
environment is pointed at a temp home before any test runs.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="teamapp-test-home-"))


def pytest_configure(config):
    for key in list(os.environ):
        if key.startswith("TEAMAPP_"):
            del os.environ[key]
    os.environ.update(
        {
            "XDG_DATA_HOME": str(_HOME / "data"),
            "XDG_CONFIG_HOME": str(_HOME / "config"),
            "XDG_CACHE_HOME": str(_HOME / "cache"),
            "TEAMAPP_TOKEN_STORE": "file",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NO_AT_BRIDGE": "1",
        }
    )
    # Argon2 with production parameters costs ~0.1-0.3 s a hash on these machines; in-process
    # tests use cheap parameters (servers started as subprocesses keep the real ones).
    from argon2 import PasswordHasher

    from diary_server.accounts import use_password_hasher

    use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


class FakeClock:
    """A settable clock for the servers (aware UTC, like every time in Python)."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def postgres():
    from tests.support.postgres import running_cluster

    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def diary_database_url(request, tmp_path):
    """Each diary-server test runs on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'diary.sqlite3'}"
        return
    cluster = request.getfixturevalue("postgres")
    name = cluster.create_database()
    yield cluster.url(name)
    from diary_server.models import diary_db

    if diary_db.obj is not None:
        diary_db.obj.close()
    cluster.drop_database(name)


@pytest.fixture
def diary_app(diary_database_url, tmp_path, clock):
    from diary_server import create_app

    app = create_app(
        {"DATA_DIR": tmp_path / "diary", "DATABASE_URL": diary_database_url, "CLOCK": clock, "TESTING": True}
    )
    yield app
    db = app.extensions["diary_db"]
    if not db.is_closed():
        db.close()


@pytest.fixture
def served(diary_app):
    """The diary app on a real threaded Werkzeug server on a free loopback port."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, diary_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    diary_app.extensions["change_waiters"].stop()  # answer any held pull still in flight
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def diary_http(diary_app):
    return diary_app.test_client()


@pytest.fixture
def make_user(diary_app, clock):
    from diary_server.accounts import create_user

    def make(email="ana@example.com", name="Ana Lopez", role="freelancer", password="correct horse 1"):
        db = diary_app.extensions["diary_db"]
        with db.connection_context():
            return create_user(email, name, role, password, clock())

    return make
