"""The OpenAPI document says exactly what the server does (issue "Hardening", item 9): which
request bodies are required, that a body must be a JSON object, which hourly rates pass, and
that a JSON integer may be written as an integral float. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from tests.integration.sync.helpers import PASSWORD, segment

START = datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)  # a 10-minute boundary an hour before the test clock


@pytest.fixture
def api(diary_http, make_user):
    make_user("client@example.com", "Cleo Client", "client")
    make_user("free@example.com", "Fran Freelancer", "freelancer")

    def headers(email):
        r = diary_http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json['token']}"}

    h = {"client": headers("client@example.com"), "free": headers("free@example.com")}
    body = {"freelancer_email": "free@example.com", "title": "Site", "hourly_rate": "30", "activity_labels": ["Code"]}
    r = diary_http.post("/api/v1/contracts", json=body, headers=h["client"])
    assert r.status_code == 201, r.json
    h["contract"] = r.json["id"]
    return h


def _spec(http) -> dict:
    return http.get("/api/v1/openapi.json").json


def _segments(http, headers) -> list:
    r = http.get("/api/v1/sync/changes?since=0", headers=headers)
    assert r.status_code == 200, r.json
    return r.json["segments"]


def _body_operations(http, api, segment_uuid: str):
    """(method, path as sent, who may call it, the operation in the document) for every body."""
    cid = api["contract"]
    sent = {
        "/api/v1/sessions": None,
        "/api/v1/contracts": "client",
        "/api/v1/contracts/{contract_id}": "client",
        "/api/v1/contracts/{contract_id}/status": "client",
        "/api/v1/sync/push": "free",
        "/api/v1/snapshots/{snapshot_uuid}": "free",
        "/api/v1/segments/{segment_uuid}": "free",
    }
    found = []
    for path, item in _spec(http)["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            assert path in sent, f"{method} {path}: add it to this test"
            url = path.format(contract_id=cid, snapshot_uuid=str(uuid.uuid4()), segment_uuid=segment_uuid)
            found.append((method, url, api[sent[path]] if sent[path] else {}, operation | {"path": path}))
    assert len(found) == 7, [(m, u) for m, u, _, _ in found]
    return found


def test_request_bodies_are_required_exactly_where_a_request_without_one_is_refused(diary_http, api):
    seg = segment(api["contract"], START)
    r = diary_http.post("/api/v1/sync/push", json={"segments": [seg]}, headers=api["free"])
    assert r.status_code == 200 and r.json["results"][0]["status"] == "ok", r.json
    required = {}
    for method, url, headers, operation in _body_operations(diary_http, api, seg["uuid"]):
        required[f"{method.upper()} {operation['path'][len('/api/v1') :]}"] = operation["requestBody"].get("required")
        r = diary_http.open(url, method=method.upper(), headers=headers)
        if operation["requestBody"].get("required"):
            assert r.status_code in (400, 422), (method, url, r.status_code, r.json)
            assert r.json["code"] in ("bad_request", "validation_error") and r.json["message"]
        else:  # a PATCH without a body changes nothing
            assert r.status_code == 200, (method, url, r.status_code, r.json)
    assert required == {
        "POST /sessions": True,
        "POST /contracts": True,
        "PATCH /contracts/{contract_id}": None,
        "POST /contracts/{contract_id}/status": True,
        "POST /sync/push": True,
        "PUT /snapshots/{snapshot_uuid}": True,
        "PATCH /segments/{segment_uuid}": None,
    }


@pytest.mark.parametrize("raw", ["null", "[]", '["segments"]', "0", '"segments"', "true"])
def test_a_body_that_is_not_a_json_object_is_refused_and_stores_nothing(diary_http, api, raw):
    r = diary_http.post("/api/v1/sync/push", data=raw, content_type="application/json", headers=api["free"])
    assert r.status_code == 422, r.json
    assert r.json["code"] == "validation_error"
    assert r.json["message"] == "The request body must be a JSON object."
    assert _segments(diary_http, api["client"]) == []
    for method, url, headers, _ in _body_operations(diary_http, api, str(uuid.uuid4())):
        r = diary_http.open(url, method=method.upper(), data=raw, content_type="application/json", headers=headers)
        assert r.status_code == 422 and r.json["message"] == "The request body must be a JSON object.", (method, url)
    r = diary_http.post("/api/v1/sync/push", data="{nope", content_type="application/json", headers=api["free"])
    assert r.status_code == 400 and r.json["code"] == "bad_request"


RATES = [
    "0", "00", "0.0", "0.00", "000000.00", "0.01", "0.1", "0.10", "1", "7.5", "25.50", "007", "000001",
    "999999.99", "999999", "1000000", "0000001", "25.555", "25.", ".5", "-3", "+3", " 25", "25 ", "1,000",
    "25\n", "1e3", "\u0663",
]  # fmt: skip


@pytest.mark.parametrize("rate", RATES)
def test_the_documented_rate_pattern_is_the_rate_rule(diary_http, api, rate):
    """A rate the document's pattern allows is taken, and one it does not is refused, as invalid_rate."""
    spec = _spec(diary_http)["components"]["schemas"]
    patterns = {spec[name]["properties"]["hourly_rate"]["pattern"] for name in ("ContractIn", "ContractPatch")}
    assert len(patterns) == 1
    allowed = re.fullmatch(patterns.pop(), rate) is not None  # $ as in JSON Schema: the very end
    body = {"freelancer_email": "free@example.com", "title": "T", "hourly_rate": rate}
    r = diary_http.post("/api/v1/contracts", json=body, headers=api["client"])
    assert r.status_code == (201 if allowed else 422), (rate, r.json)
    r = diary_http.patch(f"/api/v1/contracts/{api['contract']}", json={"hourly_rate": rate}, headers=api["client"])
    assert r.status_code == (200 if allowed else 422), (rate, r.json)
    if not allowed:
        assert r.json["code"] in ("invalid_rate", "validation_error"), r.json  # control characters: the latter


def test_a_zero_rate_is_refused_and_the_pattern_says_so(diary_http, api):
    pattern = _spec(diary_http)["components"]["schemas"]["ContractIn"]["properties"]["hourly_rate"]["pattern"]
    for zero in ("0", "0.0", "0.00", "000000.00"):
        assert re.search(pattern, zero) is None
    body = {"freelancer_email": "free@example.com", "title": "T", "hourly_rate": "0"}
    r = diary_http.post("/api/v1/contracts", json=body, headers=api["client"])
    assert r.status_code == 422 and r.json["code"] == "invalid_rate"


def test_integral_floats_are_integers_in_contract_bodies(diary_http, api):
    base = {"freelancer_email": "free@example.com", "title": "T", "hourly_rate": "25"}
    r = diary_http.post("/api/v1/contracts", json={**base, "weekly_limit_hours": 40.0}, headers=api["client"])
    assert r.status_code == 201 and r.json["weekly_limit_hours"] == 40, r.json
    for wrong in (40.5, "40", True, 1e300):
        r = diary_http.post("/api/v1/contracts", json={**base, "weekly_limit_hours": wrong}, headers=api["client"])
        assert r.status_code == 422 and "weekly_limit_hours" in r.json["detail"]["json"], (wrong, r.json)
    cid = api["contract"]
    r = diary_http.patch(f"/api/v1/contracts/{cid}", json={"weekly_limit_hours": 12.0}, headers=api["client"])
    assert r.status_code == 200 and r.json["weekly_limit_hours"] == 12, r.json
    r = diary_http.patch(f"/api/v1/contracts/{cid}", json={"weekly_limit_hours": 12.5}, headers=api["client"])
    assert r.status_code == 422, r.json


def test_integral_floats_are_integers_in_a_push(diary_http, api):
    schemas = _spec(diary_http)["components"]["schemas"]
    (segment_in,) = [s for name, s in schemas.items() if name.endswith("SegmentIn")]
    count = {"type": "integer", "minimum": 0, "maximum": 10**6}
    assert segment_in["properties"]["minutes"]["items"]["items"] == count  # the bounds are documented
    version = segment_in["properties"]["version"]
    assert (version["type"], version["minimum"], version["maximum"]) == ("integer", 1, 2**31 - 1)
    seg = segment(float(api["contract"]), START, version=2.0, minutes=[[1000000.0, 0.0, 1]] * 10)
    r = diary_http.post("/api/v1/sync/push", json={"segments": [seg]}, headers=api["free"])
    assert r.status_code == 200 and r.json["results"][0]["status"] == "ok", r.json
    stored = r.json["results"][0]["segment"]
    assert stored["contract_id"] == api["contract"] and stored["version"] == 2
    assert stored["minutes"][0] == [1000000, 0, 1] and all(type(n) is int for n in stored["minutes"][0])
    for field, wrong in [("version", 2.5), ("version", "3"), ("contract_id", True), ("minutes", [[1.5, 0, 0]] * 10)]:
        bad = {**segment(api["contract"], START), field: wrong}
        r = diary_http.post("/api/v1/sync/push", json={"segments": [bad]}, headers=api["free"])
        assert r.status_code == 422, (field, wrong, r.json)
    assert [s["uuid"] for s in _segments(diary_http, api["client"])] == [seg["uuid"]]


def test_a_start_before_year_one_in_utc_is_refused_not_a_server_error(diary_http, api):
    """Found by schemathesis: 0001-01-01T00:00:00+00:01 is a valid date-time that has no UTC form."""
    seg = {**segment(api["contract"], START), "start": "0001-01-01T00:00:00+00:01"}
    r = diary_http.post("/api/v1/sync/push", json={"segments": [seg]}, headers=api["free"])
    assert r.status_code in (200, 422), r.json
    text = str(r.json)
    assert "invalid_time" in text and "2000 and 2100" in text, r.json
