"""Team app fixtures: the Flask app on a temp data dir, talking to an in-process diary server."""

from __future__ import annotations

import httpx
import pytest

import settings as settings_mod
from sync.diary_client import DiaryClient

DIARY_URL = "http://diary.test"
SECRET = "test-launch-secret"


@pytest.fixture
def sqlite_diary(tmp_path, clock):
    from diary_server import create_app

    app = create_app({"DATA_DIR": tmp_path / "diary", "CLOCK": clock, "TESTING": True})
    return app


@pytest.fixture
def diary_account(sqlite_diary, clock):
    from diary_server.accounts import create_user

    with sqlite_diary.extensions["diary_db"].connection_context():
        create_user("felix@example.com", "Felix Freelancer", "freelancer", "correct horse 1", clock())
    return {"email": "felix@example.com", "password": "correct horse 1"}


@pytest.fixture
def team_app(tmp_path, sqlite_diary, clock):
    """The Team app wired to the in-process diary at http://diary.test; other URLs go to the network
    (only loopback ones are used, for the unreachable-server case)."""
    from web import create_app

    def client_factory(url, token=None):
        if url.startswith(DIARY_URL):
            return DiaryClient(url, token, transport=httpx.WSGITransport(app=sqlite_diary))
        return DiaryClient(url, token)

    s = settings_mod.load("app", cli={"data_dir": str(tmp_path / "team"), "token_store": "file"}, environ={})
    app = create_app(s, launch_secret=SECRET, diary_url=DIARY_URL, client_factory=client_factory, clock=clock)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def team(team_app):
    """A test client that has opened the app with its launch secret (as the window does)."""
    client = team_app.test_client()
    r = client.get(f"/?key={SECRET}")
    assert r.status_code == 303
    return client
