"""Contracts in the diary API, on SQLite and PostgreSQL: roles, per-object authorization, rules."""

import pytest


@pytest.fixture
def people(diary_http, make_user):
    make_user("client@example.com", "Cleo Client", "client")
    make_user("other-client@example.com", "Otto Client", "client")
    make_user("free@example.com", "Fran Freelancer", "freelancer")
    make_user("other-free@example.com", "Omar Freelancer", "freelancer")

    def token(email):
        r = diary_http.post("/api/v1/sessions", json={"email": email, "password": "correct horse 1"})
        return {"Authorization": f"Bearer {r.json['token']}"}

    return {
        "client": token("client@example.com"),
        "other_client": token("other-client@example.com"),
        "free": token("free@example.com"),
        "other_free": token("other-free@example.com"),
    }


NEW = {
    "freelancer_email": "free@example.com",
    "title": "Website redesign",
    "hourly_rate": "25.50",
    "weekly_limit_hours": 40,
    "manual_time_allowed": True,
    "activity_labels": ["Design", "Development", "design "],
}


def _create(http, headers, **changes):
    return http.post("/api/v1/contracts", json={**NEW, **changes}, headers=headers)


def test_client_creates_and_both_parties_see_it(diary_http, people):
    r = _create(diary_http, people["client"])
    assert r.status_code == 201
    c = r.json
    assert c["hourly_rate"] == "25.50" and c["currency"] == "USD" and c["weekly_limit_hours"] == 40
    assert c["activity_labels"] == ["Design", "Development"]  # trimmed, de-duplicated
    assert c["client"]["name"] == "Cleo Client" and c["freelancer"]["email"] == "free@example.com"
    for who in ("client", "free"):
        listed = diary_http.get("/api/v1/contracts", headers=people[who]).json["contracts"]
        assert [x["id"] for x in listed] == [c["id"]]
        assert diary_http.get(f"/api/v1/contracts/{c['id']}", headers=people[who]).status_code == 200


def test_nobody_else_sees_or_changes_a_contract(diary_http, people):
    cid = _create(diary_http, people["client"]).json["id"]
    for who in ("other_client", "other_free"):
        assert diary_http.get("/api/v1/contracts", headers=people[who]).json["contracts"] == []
        r = diary_http.get(f"/api/v1/contracts/{cid}", headers=people[who])
        assert r.status_code == 404 and r.json["code"] == "not_found"
        r = diary_http.patch(f"/api/v1/contracts/{cid}", json={"title": "Mine now"}, headers=people[who])
        assert r.status_code == 404
        r = diary_http.post(f"/api/v1/contracts/{cid}/status", json={"status": "ended"}, headers=people[who])
        assert r.status_code == 404
    # The freelancer is a party but cannot change the terms.
    r = diary_http.patch(f"/api/v1/contracts/{cid}", json={"hourly_rate": "99"}, headers=people["free"])
    assert r.status_code == 403 and r.json["code"] == "forbidden"
    r = diary_http.post(f"/api/v1/contracts/{cid}/status", json={"status": "paused"}, headers=people["free"])
    assert r.status_code == 403
    # Anonymous callers get 401 everywhere.
    for method, path in (("get", "/api/v1/contracts"), ("get", f"/api/v1/contracts/{cid}")):
        assert getattr(diary_http, method)(path).status_code == 401
    assert diary_http.patch(f"/api/v1/contracts/{cid}", json={"title": "x"}).status_code == 401
    c = diary_http.get(f"/api/v1/contracts/{cid}", headers=people["client"]).json
    assert c["title"] == "Website redesign" and c["hourly_rate"] == "25.50" and c["status"] == "active"


def test_freelancers_cannot_hire(diary_http, people):
    r = _create(diary_http, people["free"], freelancer_email="other-free@example.com")
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"hourly_rate": "25.555"}, "invalid_rate"),
        ({"hourly_rate": "0"}, "invalid_rate"),
        ({"hourly_rate": "-3"}, "invalid_rate"),
        ({"freelancer_email": "nobody@example.com"}, "unknown_freelancer"),
        ({"freelancer_email": "other-client@example.com"}, "unknown_freelancer"),
        ({"weekly_limit_hours": 0}, "validation_error"),
        ({"weekly_limit_hours": 169}, "validation_error"),
        ({"title": ""}, "validation_error"),
        ({"currency": "XYZ"}, "validation_error"),
        ({"activity_labels": ["x" * 61]}, "validation_error"),
    ],
)
def test_bad_contract_input_is_refused_and_creates_nothing(diary_http, people, changes, code):
    r = _create(diary_http, people["client"], **changes)
    assert r.status_code == 422 and r.json["code"] == code and r.json["message"]
    assert diary_http.get("/api/v1/contracts", headers=people["client"]).json["contracts"] == []


def test_rate_change_starts_next_work_week(diary_http, people, clock):
    # The clock starts on Monday 2026-11-23 09:00 UTC.
    cid = _create(diary_http, people["client"]).json["id"]
    r = diary_http.patch(f"/api/v1/contracts/{cid}", json={"hourly_rate": "30"}, headers=people["client"])
    assert r.json["hourly_rate"] == "25.50" and r.json["next_hourly_rate"] == "30.00"
    assert r.json["next_rate_from"].startswith("2026-11-30T00:00:00")
    clock.advance(days=7)
    c = diary_http.get(f"/api/v1/contracts/{cid}", headers=people["free"]).json
    assert c["hourly_rate"] == "30.00" and c["next_hourly_rate"] is None


def test_limit_labels_and_manual_time_apply_at_once(diary_http, people):
    cid = _create(diary_http, people["client"]).json["id"]
    r = diary_http.patch(
        f"/api/v1/contracts/{cid}",
        json={"weekly_limit_hours": None, "activity_labels": ["Development", "QA"], "manual_time_allowed": False},
        headers=people["client"],
    )
    assert r.status_code == 200
    assert r.json["weekly_limit_hours"] is None and r.json["activity_labels"] == ["Development", "QA"]
    r = diary_http.patch(
        f"/api/v1/contracts/{cid}", json={"activity_labels": ["Design", "QA"]}, headers=people["client"]
    )
    assert r.json["activity_labels"] == ["Design", "QA"]  # an archived label comes back


def test_pause_resume_end(diary_http, people):
    cid = _create(diary_http, people["client"]).json["id"]

    def status(s):
        return diary_http.post(f"/api/v1/contracts/{cid}/status", json={"status": s}, headers=people["client"])

    assert status("paused").json["status"] == "paused"
    assert status("active").json["status"] == "active"
    assert status("ended").json["status"] == "ended"
    r = status("active")
    assert r.status_code == 409 and r.json["code"] == "contract_ended"
    r = diary_http.patch(f"/api/v1/contracts/{cid}", json={"title": "Again"}, headers=people["client"])
    assert r.status_code == 409
    assert status("bogus").status_code == 422
