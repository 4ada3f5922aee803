"""The diary server's account API, on SQLite and PostgreSQL."""

from diary_server.accounts import hash_token
from diary_server.models import ApiToken, User


def _sign_in(http, email="ana@example.com", password="correct horse 1"):
    return http.post("/api/v1/sessions", json={"email": email, "password": password})


def test_sign_in_me_sign_out(diary_http, make_user):
    make_user()
    r = _sign_in(diary_http)
    assert r.status_code == 201
    token = r.json["token"]
    assert r.json["user"] == {"id": 1, "email": "ana@example.com", "name": "Ana Lopez", "role": "freelancer"}
    auth = {"Authorization": f"Bearer {token}"}
    assert diary_http.get("/api/v1/me", headers=auth).json["email"] == "ana@example.com"
    assert diary_http.delete("/api/v1/sessions/current", headers=auth).status_code == 204
    assert diary_http.get("/api/v1/me", headers=auth).status_code == 401


def test_passwords_and_tokens_are_stored_hashed(diary_app, diary_http, make_user):
    make_user()
    token = _sign_in(diary_http).json["token"]
    with diary_app.extensions["diary_db"].connection_context():
        user = User.get()
        assert user.password_hash.startswith("$argon2id$") and "correct horse" not in user.password_hash
        stored = [t.token_hash for t in ApiToken.select()]
    assert stored == [hash_token(token)] and token not in stored


def test_wrong_password_unknown_email_and_anonymous(diary_http, make_user):
    make_user()
    for email, password in (("ana@example.com", "wrong"), ("nobody@example.com", "correct horse 1")):
        r = _sign_in(diary_http, email, password)
        assert r.status_code == 401 and r.json == {
            "code": "invalid_credentials",
            "message": "Wrong e-mail or password.",
        }
    r = diary_http.get("/api/v1/me")
    assert r.status_code == 401 and r.json["code"] == "unauthorized"
    r = diary_http.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401


def test_bad_body_is_a_validation_error(diary_http):
    r = diary_http.post("/api/v1/sessions", json={"email": 5})
    assert r.status_code == 422 and r.json["code"] == "validation_error"
    assert "password" in r.json["detail"]["json"]
    r = diary_http.post("/api/v1/sessions", data="not json", content_type="application/json")
    assert r.status_code in (400, 422) and "code" in r.json


def test_sign_in_is_rate_limited_per_email_and_recovers(diary_http, make_user, clock):
    make_user()
    for _ in range(5):
        assert _sign_in(diary_http, password="wrong").status_code == 401
    r = _sign_in(diary_http)  # even the right password waits now
    assert r.status_code == 429 and r.json["code"] == "too_many_attempts"
    assert 1 <= int(r.headers["Retry-After"]) <= 15 * 60 + 1
    clock.advance(minutes=16)
    assert _sign_in(diary_http).status_code == 201


def test_healthz_and_openapi(diary_http):
    assert diary_http.get("/healthz").json == {"status": "ok", "service": "diary-server"}
    spec = diary_http.get("/api/v1/openapi.json").json
    assert spec["info"]["title"] == "Team app Work Diary API"
    assert {"/api/v1/sessions", "/api/v1/me", "/api/v1/sessions/current"} <= set(spec["paths"])


def test_unknown_api_path_is_json_404(diary_http):
    r = diary_http.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json["code"] == "not_found"
