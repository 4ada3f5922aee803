"""The sync tests' accounts: a client, a freelancer on two computers, another freelancer, and
one contract between the first two."""

from __future__ import annotations

import pytest

from tests.integration.sync.helpers import PASSWORD


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
