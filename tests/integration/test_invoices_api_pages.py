"""Invoices in the API and on the diary's pages: only the contract's two parties see them, only
its client approves, and only during the review; the CSV carries the same money. Each new
endpoint and page is tried as the client, the freelancer, another client and another freelancer."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from core import invoicing
from tests.integration.invoice_kit import ISSUE1, WEEK1, log_first_week, make_diary
from tests.integration.sync.helpers import PASSWORD


@pytest.fixture
def diary(diary_app, make_user, clock):
    d = make_diary(diary_app, make_user, clock)
    log_first_week(d)
    d.issue(ISSUE1 + timedelta(hours=1))
    return d


def _ids(d, who):
    r = d.http.get("/api/v1/invoices", headers=d.headers[who])
    assert r.status_code == 200, r.json
    return [i["id"] for i in r.json["invoices"]]


def _main(d) -> dict:
    r = d.http.get("/api/v1/invoices", headers=d.headers["client"])
    (found,) = [i for i in r.json["invoices"] if i["contract"]["id"] == d.contract]
    return found


def test_the_parties_see_their_invoices_and_nobody_else_does(diary):
    d = diary
    assert len(_ids(d, "client")) == 2 and sorted(_ids(d, "free")) == sorted(_ids(d, "client"))
    assert _ids(d, "other_client") == [] and _ids(d, "other_free") == []
    inv = _main(d)
    assert (inv["number"], inv["amount"], inv["minutes"], inv["hourly_rate"]) == (
        f"C{d.client_id}-2026-0001",
        "50.83",
        122,
        "25.00",
    )
    assert inv["status"] == "issued" and inv["can_approve"] and inv["rounding_rule"] == invoicing.ROUNDING_RULE
    assert inv["lines"][2] == {"day": "2026-11-24", "kind": "manual", "minutes": 20, "amount": "8.33"}
    assert inv["week_start"].startswith("2026-11-23T00:00:00") and inv["contract"]["client"]["name"] == "Cleo Client"
    for who, status in [("client", 200), ("free", 200), ("other_client", 404), ("other_free", 404)]:
        r = d.http.get(f"/api/v1/invoices/{inv['id']}", headers=d.headers[who])
        assert r.status_code == status, (who, r.json)
        r = d.http.get(f"/api/v1/invoices/{inv['id']}/csv", headers=d.headers[who])
        assert r.status_code == status, who
    assert d.http.get(f"/api/v1/invoices/{inv['id']}").status_code == 401
    assert d.http.get("/api/v1/invoices/999999", headers=d.headers["client"]).json["code"] == "not_found"


def test_the_csv_has_the_lines_the_total_and_the_rounding_rule(diary):
    d = diary
    inv = _main(d)
    r = d.http.get(f"/api/v1/invoices/{inv['id']}/csv", headers=d.headers["free"])
    assert r.mimetype == "text/csv" and inv["number"] in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0] == ["invoice", "day", "kind", "minutes", "hours", "hourly_rate", "amount", "currency"]
    assert rows[1] == [inv["number"], "2026-11-23", "logged", "62", "1:02", "25.00", "25.83", "USD"]
    assert rows[-2] == [inv["number"], "total", "", "122", "2:02", "25.00", "50.83", "USD"]
    assert rows[-1][1:3] == ["rounding", invoicing.ROUNDING_RULE]


def test_only_the_client_approves_and_only_during_the_review(diary):
    d = diary
    inv = _main(d)
    url = f"/api/v1/invoices/{inv['id']}/approve"
    for who, status, code in [
        ("free", 403, "forbidden"),
        ("other_client", 404, "not_found"),
        ("other_free", 404, "not_found"),
    ]:
        r = d.http.post(url, headers=d.headers[who])
        assert (r.status_code, r.json["code"]) == (status, code), who
    assert _main(d)["status"] == "issued"
    r = d.http.post(url, headers=d.headers["client"])
    assert r.status_code == 200 and r.json["status"] == "approved" and r.json["approved_by"] == "client", r.json
    assert r.json["approved_at"].startswith(d.clock().date().isoformat()) and not r.json["can_approve"]
    r = d.http.post(url, headers=d.headers["client"])
    assert (r.status_code, r.json["code"]) == (409, "not_in_review")
    # The approved one is released the Wednesday after; the other was approved by itself at review end.
    d.issue(invoicing.release_time(WEEK1))
    for i in d.http.get("/api/v1/invoices", headers=d.headers["free"]).json["invoices"]:
        assert i["status"] == "released" and i["released_at"].startswith("2026-12-09")
        assert i["approved_by"] == ("client" if i["id"] == inv["id"] else "automatic")


def test_an_approval_after_the_review_closed_is_refused(diary):
    d = diary
    inv = _main(d)
    d.clock.now = invoicing.review_end(WEEK1)  # the scheduler has not run yet
    r = d.http.post(f"/api/v1/invoices/{inv['id']}/approve", headers=d.headers["client"])
    assert (r.status_code, r.json["code"]) == (409, "review_closed")


# --- pages -----------------------------------------------------------------------------------


def _browser(d, email):
    d.app.config["WTF_CSRF_ENABLED"] = True
    client = d.app.test_client()
    r = client.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": _csrf(client, "/signin")})
    assert r.status_code == 302
    return client


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_the_pages_show_invoices_to_their_parties_only(diary):
    d = diary
    inv = _main(d)
    pages = [
        "/invoices",
        f"/invoices/{inv['id']}",
        f"/invoices/{inv['id']}.csv",
        f"/contracts/{d.contract}/invoices",
    ]
    for email in ("client@example.com", "free@example.com"):
        browser = _browser(d, email)
        for path in pages:
            r = browser.get(path)
            assert r.status_code == 200, (email, path)
        listing = browser.get("/invoices").get_data(as_text=True)
        assert inv["number"] in listing and "50.83 USD" in listing
        page = browser.get(f"/invoices/{inv['id']}").get_data(as_text=True)
        assert "Manual time" in page and "8.33 USD" in page and invoicing.ROUNDING_RULE in page
        assert ('id="approve"' in page) == (email == "client@example.com")
        assert 'id="open-invoices"' in browser.get(f"/contracts/{d.contract}").get_data(as_text=True)
    for email in ("other-client@example.com", "other-free@example.com"):
        browser = _browser(d, email)
        assert inv["number"] not in browser.get("/invoices").get_data(as_text=True)
        for path in pages[1:]:
            assert browser.get(path).status_code == 404, (email, path)
    assert d.app.test_client().get("/invoices").status_code == 302  # to the sign-in page


def test_the_client_approves_on_the_page_and_a_forged_approval_is_refused(diary):
    d = diary
    inv = _main(d)
    path = f"/invoices/{inv['id']}"
    free = _browser(d, "free@example.com")
    r = free.post(f"{path}/approve", data={"csrf_token": _csrf(free, path)})
    assert r.status_code == 403 and "Only the contract" in r.get_data(as_text=True)
    other = _browser(d, "other-client@example.com")
    assert other.post(f"{path}/approve", data={"csrf_token": _csrf(other, "/invoices")}).status_code == 404
    client = _browser(d, "client@example.com")
    assert client.post(f"{path}/approve", data={}).status_code == 400  # no CSRF token
    assert _main(d)["status"] == "issued"
    r = client.post(f"{path}/approve", data={"csrf_token": _csrf(client, path)})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Invoice approved" in page and "Approved by the client" in page and 'id="approve"' not in page
