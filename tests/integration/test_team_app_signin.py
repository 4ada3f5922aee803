"""Signing the Team app in and out against a real (in-process) diary server."""

import json
import socket

from models.local import Account
from tests.integration.conftest import DIARY_URL


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unsigned_home_goes_to_signin(team, team_app):
    r = team.get("/")
    assert r.status_code == 302 and r.headers["Location"] == team_app.config["PATH_PREFIX"] + "/signin"
    page = team.get("/signin").get_data(as_text=True)
    assert "Sign in to Team" in page and DIARY_URL in page


def test_sign_in_shows_who_and_keeps_token_out_of_the_db(team, team_app, diary_account, tmp_path):
    r = team.post("/signin", data={"email": "Felix@Example.com ", "password": diary_account["password"]})
    assert r.status_code == 303 and r.headers["Location"] == team_app.config["PATH_PREFIX"] + "/"
    page = team.get("/").get_data(as_text=True)
    assert "Felix Freelancer" in page and "felix@example.com" in page and "Freelancer" in page
    token_file = tmp_path / "team" / "diary-token.json"
    assert token_file.stat().st_mode & 0o777 == 0o600
    token = json.loads(token_file.read_text())[DIARY_URL]
    db_bytes = (tmp_path / "team" / "teamapp.sqlite3").read_bytes()
    assert token.encode() not in db_bytes
    with team_app.app_context():
        assert Account.select().count() == 1
    r = team.get("/account/connection")
    assert "Connected to the Work Diary" in r.get_data(as_text=True)


def _signin_error(team, **form):
    data = {"email": "felix@example.com", "password": "correct horse 1", **form}
    r = team.post("/signin", data=data)
    return r.status_code, r.get_data(as_text=True)


def test_wrong_password_gets_a_clear_message_and_changes_nothing(team, team_app, diary_account, tmp_path):
    status, page = _signin_error(team, password="wrong password")
    assert status == 422 and "Wrong e-mail or password." in page
    assert 'value="felix@example.com"' in page  # the e-mail is kept for the next try
    with team_app.app_context():
        assert Account.select().count() == 0
    assert not (tmp_path / "team" / "diary-token.json").exists()


def test_unreachable_server_gets_a_clear_message(team, diary_account):
    url = f"http://127.0.0.1:{_closed_port()}"
    status, page = _signin_error(team, server_url=url)
    assert status == 422 and "Cannot reach the diary server at" in page and url in page


def test_malformed_server_url_gets_a_clear_message(team, diary_account):
    status, page = _signin_error(team, server_url="not a url")
    assert status == 422 and "is not a web address" in page
    status, page = _signin_error(team, server_url="ftp://diary.example.com")
    assert status == 422 and "uses ftp://" in page


def test_a_server_that_is_not_a_diary_gets_a_clear_message(team, diary_account, team_app):
    """Any HTTP server that does not speak the diary API (here: the Team app itself)."""
    from web.serving import ServerThread

    server = ServerThread(team_app, "127.0.0.1", 0, name="not-a-diary").start()
    try:
        status, page = _signin_error(team, server_url=server.base_url)
    finally:
        server.stop()
    assert status == 422 and "is this a Team diary server?" in page


def test_htmx_gets_the_form_fragment_only(team, team_app, diary_account):
    r = team.post("/signin", data={"email": "felix@example.com", "password": "nope"}, headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith("<form") and "<html" not in body
    assert "Wrong e-mail or password." in body
    r = team.post(
        "/signin",
        data={"email": "felix@example.com", "password": "correct horse 1"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"] == team_app.config["PATH_PREFIX"] + "/"


def test_sign_out_forgets_locally_and_revokes_on_the_server(team, team_app, sqlite_diary, diary_account, tmp_path):
    team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    token = json.loads((tmp_path / "team" / "diary-token.json").read_text())[DIARY_URL]
    r = team.post("/signout")
    location = r.headers["Location"].removeprefix(team_app.config["PATH_PREFIX"])  # the client adds it
    assert r.status_code == 303 and location.startswith("/signin")
    assert "You are signed out" in team.get(location).get_data(as_text=True)
    assert json.loads((tmp_path / "team" / "diary-token.json").read_text()) == {}
    with team_app.app_context():
        assert Account.select().count() == 0
    me = sqlite_diary.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_control_characters_in_the_sign_in_form_get_a_clear_message(team, team_app, diary_account):
    from models.local import Account

    status, page = _signin_error(team, server_url="http://127.0.0.1:80\x00/x")
    assert status == 422 and "contains a control character" in page
    status, page = _signin_error(team, email="felix\x00@example.com")
    assert status == 422 and "contains a control character" in page
    with team_app.app_context():
        assert Account.select().count() == 0


def test_a_memo_with_a_control_character_is_refused_and_nothing_changes(team, team_app, diary_account):
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303
    r = team.post("/logging/memo", data={"memo": "bro\x00ken", "label": ""}, headers={"HX-Request": "true"})
    assert "control character" in r.get_data(as_text=True)
    r = team.post("/logging/memo", data={"memo": "two\nlines", "label": ""}, headers={"HX-Request": "true"})
    assert "Memo saved" in r.get_data(as_text=True)
