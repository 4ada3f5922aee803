"""Text coming in to the diary server: control characters refused with 422 naming the field,
deep JSON refused with 400, one bad segment refused alone; the same on SQLite and PostgreSQL
(PostgreSQL cannot store U+0000, and answered 500 before)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import text_rules
from tests.integration.sync.helpers import push, segment

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x7f", "\x85"])
def test_a_control_character_in_a_sign_in_is_refused_with_the_field_named(diary_http, bad):
    r = diary_http.post("/api/v1/sessions", json={"email": f"a{bad}@x.test", "password": "whatever 123"})
    assert r.status_code == 422
    assert "'email'" in r.json["message"] and "control character" in r.json["message"]


def test_control_characters_in_forms_are_refused(diary_http):
    for path, form in (
        ("/signin", {"email": "a\x00@x.test", "password": "x"}),
        ("/signup", {"email": "b@x.test", "name": "Bo\x00b", "role": "client", "password": "a long passphrase 9"}),
    ):
        r = diary_http.post(path, data=form)
        assert r.status_code == 422, path
        assert "control character" in r.get_data(as_text=True)
    assert (
        diary_http.post("/api/v1/sessions", json={"email": "b@x.test", "password": "a long passphrase 9"}).status_code
        == 401
    )


def test_a_contract_title_or_label_with_nul_is_refused(diary_http, party):
    body = {"freelancer_email": "free@example.com", "title": "Si\x00te", "hourly_rate": "30"}
    r = diary_http.post("/api/v1/contracts", json=body, headers=party["client"])
    assert r.status_code == 422 and "'title'" in r.json["message"]
    body = {**body, "title": "Site 2", "activity_labels": ["Design", "Co\x00de"]}
    r = diary_http.post("/api/v1/contracts", json=body, headers=party["client"])
    assert r.status_code == 422 and "activity_labels" in r.json["message"]


def test_one_segment_with_a_nul_memo_is_refused_alone(diary_http, party):
    cid = party["contract"]
    good = segment(cid, MONDAY - timedelta(minutes=30), memo="fine")
    bad = segment(cid, MONDAY - timedelta(minutes=20), memo="bro\x00ken")
    also_good = segment(cid, MONDAY - timedelta(minutes=10), memo="two\nlines")
    results = push(diary_http, party["free"], [good, bad, also_good])["results"]
    assert [r["status"] for r in results] == ["ok", "refused", "ok"]
    assert results[1]["code"] == "invalid_text" and "'memo'" in results[1]["message"]


@pytest.mark.parametrize("shape", ["[", '{"a":'])
def test_deep_json_is_refused_before_parsing(diary_http, party, shape):
    closing = {"[": "]", '{"a":': "}"}[shape]
    body = shape * 1000 + "1" + closing * 1000
    for method, path in (("post", "/api/v1/sync/push"), ("patch", f"/api/v1/contracts/{party['contract']}")):
        r = getattr(diary_http, method)(path, data=body, content_type="application/json", headers=party["client"])
        assert r.status_code == 400, (path, r.status_code)


def test_the_rule_itself():
    assert text_rules.bad_character("ok\ttext") == "U+0009"
    assert text_rules.bad_character("ok\ttext\n", multiline=True) is None
    assert text_rules.bad_character("\ud800") == "U+D800"
    assert text_rules.without_controls("a\x00b\tc") == "a b c"
    assert text_rules.without_controls("plain") == "plain"
    assert not text_rules.json_depth_exceeds(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert text_rules.json_depth_exceeds(b"[" * 40)
