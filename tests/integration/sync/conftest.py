"""The sync tests' accounts (a client, a freelancer on two computers, another freelancer, and
one contract between the first two), and the sync worker tests' Team app signed in with a
worker to drive."""

from __future__ import annotations

import random

import pytest

from sync.diary_client import DiaryClient
from tests.integration.conftest import DIARY_URL
from tests.integration.sync.helpers import PASSWORD
from tests.integration.sync.worker_kit import FlakyTransport
from web.services import services


@pytest.fixture
def party(diary_http, make_user):
    make_user("client@example.com", "Cleo Client", "client")
    make_user("free@example.com", "Fran Freelancer", "freelancer")
    make_user("other@example.com", "Omar Freelancer", "freelancer")

    def headers(email):
        r = diary_http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json['token']}"}

    h = {
        "client": headers("client@example.com"),
        "free": headers("free@example.com"),
        "free2": headers("free@example.com"),  # the same freelancer on a second computer
        "other": headers("other@example.com"),
    }
    body = {
        "freelancer_email": "free@example.com",
        "title": "Site",
        "hourly_rate": "30",
        "activity_labels": ["Design", "Code"],
    }
    r = diary_http.post("/api/v1/contracts", json=body, headers=h["client"])
    assert r.status_code == 201
    h["contract"] = r.json["id"]
    return h


@pytest.fixture
def logged_in(team, team_app, hire):
    """The Team app signed in as the freelancer, with a contract ("Website redesign") selected:
    (Team app test client, contract id, diary test client, the diary client's bearer headers)."""
    make, http, headers = hire
    cid = make("Website redesign", activity_labels=["Design", "Development"])
    assert team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"}).status_code == 303
    team.post("/contracts/select", data={"contract_id": cid})
    return team, cid, http, headers


@pytest.fixture
def make_worker(team_app, sqlite_diary, capture_clock, clock, monkeypatch):
    """make(transport=None, **options): a SyncWorker of the Team app, on its test clock, talking
    to the in-process diary through ``transport`` (a FlakyTransport without faults by default)."""
    from sync.worker import SyncWorker

    svc = services(team_app)
    # The diary's clock follows the Team app's, so time logged "now" is not in the diary's future.
    monkeypatch.setattr(type(clock), "__call__", lambda self: capture_clock.now())

    def make(transport=None, **options):
        transport = transport or FlakyTransport(sqlite_diary)

        def factory(url, token=None):
            assert url.startswith(DIARY_URL)
            return DiaryClient(url, token, transport=transport)

        return SyncWorker(
            client_factory=factory,
            token_store=svc.token_store,
            clock=capture_clock,
            data_dir=team_app.config["DATA_DIR"],
            rng=random.Random(7),
            **{"batch_size": 3, **options},
        )

    return make
