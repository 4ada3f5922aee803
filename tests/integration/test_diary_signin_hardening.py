"""The diary server's sign-in under attack (issue 12), on SQLite and PostgreSQL: the throttle
holds under parallel requests, slows a guesser without locking the owner out, sees through
e-mail spellings and (only when told) through a reverse proxy; password hashing is bounded;
the web session is a server-side id, Secure behind TLS; no open redirect; no weak passwords."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from argon2 import PasswordHasher

from diary_server import create_app
from diary_server.models import User, WebSession

PASSWORD = "correct horse 1"


def _sign_in(http, email="ana@example.com", password=PASSWORD, address="10.0.0.1", **headers):
    return http.post(
        "/api/v1/sessions",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


@pytest.fixture
def real_argon2():
    """Production Argon2 parameters for one test: a hash takes long enough for requests to overlap."""
    from diary_server import accounts
    from diary_server.passwords import PRODUCTION_HASHER

    cheap = accounts._hashing.hasher
    accounts.use_password_hasher(PRODUCTION_HASHER)
    yield
    accounts.use_password_hasher(cheap)


def test_parallel_wrong_passwords_get_exactly_the_allowance(served, make_user, real_argon2):
    make_user()
    body = {"email": "ana@example.com", "password": "wrong password"}

    def attempt(_):
        with httpx.Client(base_url=served, timeout=60) as client:
            return client.post("/api/v1/sessions", json=body).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = Counter(pool.map(attempt, range(30)))
    # Five may try (the README's promise); the other 25 are refused without a password check.
    assert statuses == {401: 5, 429: 25}


def test_a_guesser_elsewhere_does_not_lock_the_owner_out(diary_http, make_user):
    make_user()
    for _ in range(8):
        assert _sign_in(diary_http, password="wrong guess 1", address="198.51.100.7").status_code in (401, 429)
    assert _sign_in(diary_http, address="10.0.0.1").status_code == 201


def test_delays_grow_after_the_allowance_and_say_when(diary_http, make_user, clock):
    make_user()
    for _ in range(5):
        assert _sign_in(diary_http, password="wrong guess 1").status_code == 401
    r = _sign_in(diary_http)  # even the right password waits its turn
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert r.json["message"] == "Too many failed sign-ins. Try again in 1 minute."
    clock.advance(seconds=2)
    assert _sign_in(diary_http, password="wrong guess 1").status_code == 401
    assert _sign_in(diary_http).headers["Retry-After"] == "4"
    clock.advance(seconds=4)
    assert _sign_in(diary_http).status_code == 201  # and the key is forgotten
    for _ in range(5):
        assert _sign_in(diary_http, password="wrong guess 1").status_code == 401


def test_the_wait_is_capped_at_15_minutes_in_minutes(diary_http, make_user, clock):
    make_user()
    waits = []
    for _ in range(40):
        r = _sign_in(diary_http, password="wrong guess 1")
        if r.status_code == 429:
            waits.append(int(r.headers["Retry-After"]))
            clock.advance(seconds=waits[-1])
    assert waits[:10] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900] and set(waits[10:]) == {900}
    assert r.json["message"] == "Too many failed sign-ins. Try again in 15 minutes."


def test_email_spellings_count_as_one_address(diary_http, make_user):
    make_user()
    for spelling in (
        "ANA@example.com",
        " ana@example.com ",
        "ａｎａ@ｅｘａｍｐｌｅ.ｃｏｍ",
        "Ana@Example.COM",
        "ana@EXAMPLE.com",
    ):
        assert _sign_in(diary_http, email=spelling, password="wrong guess 1").status_code == 401
    assert _sign_in(diary_http, email="ａｎａ@example.com", password="wrong guess 1").status_code == 429


def test_full_width_spelling_signs_in(diary_http, make_user):
    make_user()
    assert _sign_in(diary_http, email="ＡＮＡ@example.com").status_code == 201


def test_one_address_has_a_ceiling_across_emails(diary_http, make_user):
    make_user()
    for n in range(50):  # ten times the per-e-mail allowance, one attempt per e-mail
        assert _sign_in(diary_http, email=f"nobody{n}@example.com", address="198.51.100.7").status_code == 401
    assert _sign_in(diary_http, address="198.51.100.7").status_code == 429
    assert _sign_in(diary_http, address="10.0.0.1").status_code == 201


def test_correct_sign_ins_do_not_use_up_the_address(diary_http, make_user):
    make_user()
    for _ in range(60):  # one office address, many correct sign-ins
        assert _sign_in(diary_http, address="192.0.2.10").status_code == 201


@pytest.fixture
def proxied_app(diary_database_url, tmp_path, clock):
    def make(**config):
        return create_app(
            {
                "DATA_DIR": tmp_path / "diary",
                "DATABASE_URL": diary_database_url,
                "CLOCK": clock,
                "TESTING": True,
                **config,
            }
        )

    return make


def _guess_then_owner(app):
    from diary_server.accounts import create_user

    with app.extensions["diary_db"].connection_context():
        create_user("ana@example.com", "Ana Lopez", "freelancer", PASSWORD, app.extensions["diary_clock"]())
    http = app.test_client()
    for _ in range(5):
        _sign_in(http, password="wrong guess 1", address="127.0.0.1", **{"X-Forwarded-For": "198.51.100.7"})
    return _sign_in(http, address="127.0.0.1", **{"X-Forwarded-For": "203.0.113.5"}).status_code


def test_behind_a_trusted_proxy_clients_are_told_apart(proxied_app):
    assert _guess_then_owner(proxied_app(TRUSTED_PROXIES=1)) == 201


def test_without_the_setting_forwarded_headers_are_ignored(proxied_app):
    assert _guess_then_owner(proxied_app()) == 429


def test_sign_ins_beyond_the_hashing_slots_get_503(proxied_app, make_user):
    from diary_server import accounts

    app = proxied_app(HASH_SLOTS=1, HASH_WAIT_SECONDS=0)
    with app.extensions["diary_db"].connection_context():
        accounts.create_user("ana@example.com", "Ana Lopez", "freelancer", PASSWORD, app.extensions["diary_clock"]())
    http = app.test_client()
    for _ in range(4):
        assert _sign_in(http, password="wrong guess 1").status_code == 401
    with accounts._hashing.slot():  # another sign-in is hashing
        r = _sign_in(http)
        assert r.status_code == 503 and r.headers["Retry-After"] and r.json["code"] == "busy"
        form = {"email": "ana@example.com", "password": PASSWORD, "csrf_token": _csrf(http, "/signin")}
        page = http.post("/signin", data=form)
        assert page.status_code == 503 and "busy" in page.get_data(as_text=True)
    # The two refused attempts were given back: this is the fifth counted one, still allowed.
    assert _sign_in(http).status_code == 201


def test_an_older_hash_still_verifies_and_is_upgraded(diary_app, diary_http, make_user):
    make_user()
    old = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=2).hash(PASSWORD)
    with diary_app.extensions["diary_db"].connection_context():
        User.update(password_hash=old).execute()
    assert _sign_in(diary_http).status_code == 201
    with diary_app.extensions["diary_db"].connection_context():
        upgraded = User.get().password_hash
    assert upgraded != old and "m=2048" not in upgraded
    assert _sign_in(diary_http).status_code == 201


# ---- the web session ------------------------------------------------------------------------


def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def pages(diary_app):
    diary_app.config["WTF_CSRF_ENABLED"] = True
    return diary_app.test_client()


def _web_sign_in(client, next_=None):
    url = "/signin" + (f"?next={next_}" if next_ else "")
    return client.post(
        url, data={"email": "ana@example.com", "password": PASSWORD, "csrf_token": _csrf(client, "/signin")}
    )


def test_the_session_cookie_holds_no_api_token(diary_app, pages, make_user):
    make_user()
    assert _web_sign_in(pages).status_code == 302
    cookie = pages.get_cookie("diary_session").value
    content = diary_app.session_interface.get_signing_serializer(diary_app).loads(cookie)
    values = [v for v in content.values() if isinstance(v, str)]
    assert values
    for value in values:
        assert pages.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401
    with diary_app.extensions["diary_db"].connection_context():
        stored = [s.id_hash for s in WebSession.select()]
    assert len(stored) == 1 and content["sid"] not in stored  # only its hash is kept
    copied = diary_app.test_client()
    copied.set_cookie("diary_session", cookie)
    assert copied.get("/").status_code == 200
    pages.post("/signout", data={"csrf_token": _csrf(pages, "/")})
    with diary_app.extensions["diary_db"].connection_context():
        assert WebSession.select().count() == 0
    assert copied.get("/").status_code == 302  # the copied cookie stopped working too


def _set_cookie_after_sign_in(app, **headers):
    from diary_server.accounts import create_user

    with app.extensions["diary_db"].connection_context():
        create_user("ana@example.com", "Ana Lopez", "freelancer", PASSWORD, app.extensions["diary_clock"]())
    client = app.test_client()
    form = {"email": "ana@example.com", "password": PASSWORD, "csrf_token": _csrf(client, "/signin")}
    r = client.post("/signin", data=form, headers={"Referer": "https://localhost/signin", **headers})
    assert r.status_code == 302
    return r.headers["Set-Cookie"], r.headers.get("Strict-Transport-Security")


def test_cookie_is_secure_and_hsts_sent_behind_tls(proxied_app):
    cookie, hsts = _set_cookie_after_sign_in(proxied_app(BEHIND_TLS=True))
    assert "Secure" in cookie and hsts == "max-age=31536000"


def test_cookie_is_secure_under_a_trusted_proxy_saying_https(proxied_app):
    cookie, hsts = _set_cookie_after_sign_in(proxied_app(TRUSTED_PROXIES=1), **{"X-Forwarded-Proto": "https"})
    assert "Secure" in cookie and hsts


def test_plain_http_without_a_proxy_setting_has_no_secure_flag(proxied_app):
    cookie, hsts = _set_cookie_after_sign_in(proxied_app(), **{"X-Forwarded-Proto": "https"})
    assert "Secure" not in cookie and hsts is None


@pytest.mark.parametrize(
    "next_", ["/%09/evil.example", "/%5Cevil.example", "%20//evil.example", "https://evil.example"]
)
def test_sign_in_never_redirects_off_site(pages, make_user, next_):
    make_user()
    assert _web_sign_in(pages, next_).headers["Location"] == "/"


def test_sign_in_keeps_a_local_next(pages, make_user):
    make_user()
    assert _web_sign_in(pages, "/account").headers["Location"] == "/account"


@pytest.mark.parametrize(
    ("password", "why"), [("aaaaaaaaaa", "one character repeated"), ("password12", "most common passwords")]
)
def test_sign_up_refuses_weak_passwords_saying_why(pages, diary_app, password, why):
    data = {"name": "Dana", "email": "dana@example.com", "password": password, "role": "client"}
    r = pages.post("/signup", data={**data, "csrf_token": _csrf(pages, "/signup")})
    assert r.status_code == 422 and why in r.get_data(as_text=True)
    with diary_app.extensions["diary_db"].connection_context():
        assert User.select().count() == 0
