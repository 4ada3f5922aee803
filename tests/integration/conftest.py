"""Team app fixtures: the Flask app on a temp data dir, talking to an in-process diary server."""

from __future__ import annotations

import httpx
import pytest

import settings_load
from sync.diary_client import DiaryClient
from web.services import services

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
def capture_clock(clock):
    """The Team app's Clock port (the capture loop's), at the same instant as the diary's clock."""
    from tracker.fakes import FakeClock

    return FakeClock(clock())


@pytest.fixture
def fake_sources():
    from tracker.fakes import FakeInput, FakeScreen, FakeWindow
    from tracker.ports import WindowInfo

    return {
        "screen": FakeScreen(),
        "inputs": FakeInput(),
        "window": FakeWindow(WindowInfo(app="xterm", title="vim main.py", rect=None)),
        "camera": None,
    }


class RecordingNotifier:
    """Stands in for the desktop notifier: records what would have been shown."""

    def __init__(self):
        self.notices = []

    def send(self, notice):
        self.notices.append(notice)

    def close(self):
        pass


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def team_app(tmp_path, sqlite_diary, capture_clock, fake_sources, notifier):
    """The Team app wired to the in-process diary at http://diary.test; other URLs go to the network
    (only loopback ones are used, for the unreachable-server case). Capture uses fakes."""
    from web import create_app

    def client_factory(url, token=None):
        if url.startswith(DIARY_URL):
            return DiaryClient(url, token, transport=httpx.WSGITransport(app=sqlite_diary))
        return DiaryClient(url, token)

    s = settings_load.load("app", cli={"data_dir": str(tmp_path / "team"), "token_store": "file"}, environ={})
    app = create_app(
        s,
        launch_secret=SECRET,
        diary_url=DIARY_URL,
        client_factory=client_factory,
        clock=capture_clock,
        sources=fake_sources,
        test_clock=True,
        notifier=notifier,
    )
    app.config["TESTING"] = True
    yield app
    services(app).shutdown()


@pytest.fixture
def team(team_app):
    """A test client that has opened the app with its launch secret (as the window does)."""
    client = team_app.test_client()
    r = client.get(f"/?key={SECRET}")
    assert r.status_code == 303
    return client


@pytest.fixture
def hire(sqlite_diary, clock, diary_account):
    """Make a client who hires the test freelancer; returns (client bearer headers, diary test client)."""
    from diary_server.accounts import create_user

    with sqlite_diary.extensions["diary_db"].connection_context():
        create_user("cleo@example.com", "Cleo Client", "client", "correct horse 1", clock())
    http = sqlite_diary.test_client()
    token = http.post("/api/v1/sessions", json={"email": "cleo@example.com", "password": "correct horse 1"}).json
    headers = {"Authorization": f"Bearer {token['token']}"}

    def make(title, **extra):
        body = {"freelancer_email": "felix@example.com", "title": title, "hourly_rate": "25", **extra}
        r = http.post("/api/v1/contracts", json=body, headers=headers)
        assert r.status_code == 201, r.json
        return r.json["id"]

    return make, http, headers
