"""The client's contract pages on the diary server."""

import re

import pytest


@pytest.fixture
def browser_for(diary_app, make_user):
    make_user("client@example.com", "Cleo Client", "client")
    make_user("other@example.com", "Otto Client", "client")
    make_user("free@example.com", "Fran Freelancer", "freelancer")
    diary_app.config["WTF_CSRF_ENABLED"] = True

    def sign_in(email):
        client = diary_app.test_client()
        token = csrf(client, "/signin")
        r = client.post("/signin", data={"email": email, "password": "correct horse 1", "csrf_token": token})
        assert r.status_code == 302
        return client

    return sign_in


def csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _new(client, **fields):
    data = {
        "freelancer_email": "free@example.com",
        "title": "Website redesign",
        "hourly_rate": "25",
        "currency": "EUR",
        "weekly_limit_hours": "",
        "activity_labels": "Design\nDevelopment\n",
        "manual_time_allowed": "on",
        **fields,
    }
    data["csrf_token"] = csrf(client, "/contracts/new")
    return client.post("/contracts/new", data=data)


def test_client_creates_edits_pauses_and_ends(browser_for):
    client = browser_for("client@example.com")
    r = _new(client)
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Contract created" in page and "25.00 EUR" in page and "No limit" in page and "Design" in page
    token = csrf(client, "/contracts/1")
    r = client.post(
        "/contracts/1",
        data={
            "title": "Website redesign v2",
            "hourly_rate": "30",
            "weekly_limit_hours": "20",
            "activity_labels": "Design",
            "csrf_token": token,
        },
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Changes saved." in page
    assert "Website redesign v2" in page and "30.00 EUR from Mon 30 Nov 2026" in page and "20 hours" in page
    assert "Not allowed" in page  # the unchecked box turned manual time off
    client.post("/contracts/1/status", data={"status": "paused", "csrf_token": token})
    assert "This contract is paused" in client.get("/contracts/1").get_data(as_text=True)
    client.post("/contracts/1/status", data={"status": "ended", "csrf_token": token})
    page = client.get("/contracts/1").get_data(as_text=True)
    assert "This contract has ended" in page and "Save changes" not in page and "Resume" not in page


def test_bad_input_keeps_the_form_and_creates_nothing(browser_for):
    client = browser_for("client@example.com")
    r = _new(client, hourly_rate="twenty")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "hourly rate as an amount" in page and 'value="Website redesign"' in page
    r = _new(client, freelancer_email="nobody@example.com")
    assert r.status_code == 422 and "No freelancer has an account" in r.get_data(as_text=True)
    assert "No contracts yet" in client.get("/").get_data(as_text=True)


def test_freelancer_sees_read_only_and_others_see_nothing(browser_for):
    _new(browser_for("client@example.com"))
    free = browser_for("free@example.com")
    page = free.get("/").get_data(as_text=True)
    assert "Website redesign" in page and "New hourly contract" not in page
    page = free.get("/contracts/1").get_data(as_text=True)
    assert "Website redesign" in page and "Save changes" not in page and "End contract" not in page
    r = free.post("/contracts/1/status", data={"status": "ended", "csrf_token": csrf(free, "/")})
    assert r.status_code == 403
    assert free.get("/contracts/new").status_code == 403
    other = browser_for("other@example.com")
    assert "Website redesign" not in other.get("/").get_data(as_text=True)
    assert other.get("/contracts/1").status_code == 404
