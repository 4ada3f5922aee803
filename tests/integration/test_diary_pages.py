"""The diary server's own web pages: sign up, sign in, sign out; CSRF and CSP."""

import re

import pytest

from diary_server.models import User


@pytest.fixture
def pages(diary_app):
    diary_app.config["WTF_CSRF_ENABLED"] = True
    return diary_app.test_client()


def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _signup(client, **fields):
    data = {
        "name": "Dana Client",
        "email": "dana@example.com",
        "password": "long enough pw",
        "role": "client",
        **fields,
    }
    data["csrf_token"] = _csrf(client, "/signup")
    return client.post("/signup", data=data)


def test_sign_up_sign_out_sign_in(pages):
    r = _signup(pages)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    home = pages.get("/").get_data(as_text=True)
    assert "Your contracts" in home and "Dana Client" in home and "dana@example.com" in home
    r = pages.post("/signout", data={"csrf_token": _csrf(pages, "/")})
    assert r.status_code == 302
    assert pages.get("/").status_code == 302  # signed out
    token = _csrf(pages, "/signin")
    r = pages.post("/signin", data={"email": "dana@example.com", "password": "long enough pw", "csrf_token": token})
    assert r.status_code == 302
    assert "Signed in as Dana Client" in pages.get("/").get_data(as_text=True)


def test_bad_sign_up_explains_and_creates_nothing(pages, diary_app):
    r = _signup(pages, password="short")
    assert r.status_code == 422 and "at least 10 characters" in r.get_data(as_text=True)
    r = _signup(pages, email="not-an-email")
    assert r.status_code == 422 and "valid e-mail" in r.get_data(as_text=True)
    with diary_app.extensions["diary_db"].connection_context():
        assert User.select().count() == 0
    _signup(pages)
    pages.post("/signout", data={"csrf_token": _csrf(pages, "/")})
    r = _signup(pages, name="Someone Else")
    assert r.status_code == 422 and "already exists" in r.get_data(as_text=True)
    with diary_app.extensions["diary_db"].connection_context():
        assert User.select().count() == 1


def test_wrong_password_page(pages, make_user):
    make_user()
    token = _csrf(pages, "/signin")
    r = pages.post("/signin", data={"email": "ana@example.com", "password": "nope", "csrf_token": token})
    assert r.status_code == 401 and "Wrong e-mail or password." in r.get_data(as_text=True)


def test_forms_require_the_csrf_token(pages, diary_app):
    r = pages.post(
        "/signup", data={"name": "X Y", "email": "x@example.com", "password": "long enough pw", "role": "client"}
    )
    assert r.status_code == 400 and "Reload the page" in r.get_data(as_text=True)
    with diary_app.extensions["diary_db"].connection_context():
        assert User.select().count() == 0


def test_open_redirect_is_refused(pages, make_user):
    make_user()
    token = _csrf(pages, "/signin")
    r = pages.post(
        "/signin?next=//evil.example/",
        data={"email": "ana@example.com", "password": "correct horse 1", "csrf_token": token},
    )
    assert r.headers["Location"] == "/"


def test_csp_forbids_inline_script_and_output_is_escaped(pages):
    r = pages.get("/signin")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    _signup(pages, name="<script>alert(1)</script> Evil")
    page = pages.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
