"""Each local-security gate of the Team app, attacked."""

import re

from tests.integration.conftest import SECRET


def test_request_without_the_secret_gets_the_how_to_open_page_not_data(team_app, team, diary_account):
    team.post("/signin", data={"email": diary_account["email"], "password": diary_account["password"]})
    stranger = team_app.test_client()
    for path in ("/", "/signin", "/account/connection"):
        r = stranger.get(path)
        assert r.status_code == 403
        assert b"Open Team from its window" in r.data
        assert b"felix" not in r.data.lower()
    r = stranger.post("/signout")
    assert r.status_code == 403
    assert team.get("/").status_code == 200  # still signed in: the stranger changed nothing


def test_wrong_secret_is_refused(team_app):
    client = team_app.test_client()
    assert client.get("/?key=guess").status_code == 403
    client.set_cookie("teamapp_key", "guess")
    assert client.get("/").status_code == 403


def test_secret_moves_from_url_into_a_strict_httponly_cookie(team_app):
    client = team_app.test_client()
    prefix = team_app.config["PATH_PREFIX"]
    r = client.get(f"/signin?key={SECRET}&x=1")
    assert r.status_code == 303
    assert r.headers["Location"] == f"{prefix}/signin?x=1"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and SECRET in cookie
    assert f"Path={prefix};" in cookie + ";"  # not Path=/: other local servers are not sent it
    assert client.get("/signin").status_code == 200


def test_foreign_host_header_is_refused_dns_rebinding(team):
    for host in ("evil.example", "evil.example:80", "127.0.0.1.nip.io", "10.0.0.1"):
        r = team.get("/", headers={"Host": host})
        assert r.status_code == 400, host
    assert team.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert team.get("/", headers={"Host": "localhost:5000"}).status_code == 302
    # [::1] passes the host gate; the cookie belongs to "localhost", so the secret gate answers.
    r = team.get("/", headers={"Host": "[::1]:5000"})
    assert r.status_code == 403 and b"Open Team from its window" in r.data


def test_cross_site_post_is_refused(team, diary_account, team_app):
    form = {"email": diary_account["email"], "password": diary_account["password"]}
    r = team.post("/signin", data=form, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = team.post("/signin", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = team.post("/signin", data=form, headers={"Origin": "http://localhost:1234"})
    assert r.status_code == 403
    with team_app.app_context():
        from sync.account import current_account

        assert current_account() is None  # nothing changed
    r = team.post("/signin", data=form, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 303


def test_security_headers(team):
    r = team.get("/signin")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Frame-Options"] == "DENY"


def test_healthz_is_public_and_minimal(team_app):
    r = team_app.test_client().get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "service": "team-app"}


def _handshake(team_app, origin):
    """The first line of the Team app's answer to a WebSocket handshake on a real server."""
    import socket
    import threading

    from werkzeug.serving import make_server

    from tests.integration.conftest import SECRET

    server = make_server("127.0.0.1", 0, team_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                (
                    f"GET {team_app.config['PATH_PREFIX']}/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    f"Origin: {origin.format(port=port)}\r\nCookie: teamapp_key={SECRET}\r\n\r\n"
                ).encode()
            )
            return conn.recv(4096).decode("latin-1").split("\r\n", 1)[0]
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_websocket_from_a_foreign_origin_is_refused_at_the_handshake(team_app):
    assert " 403 " in _handshake(team_app, "https://evil.example")
    assert " 403 " in _handshake(team_app, "http://127.0.0.1:1")  # another local port
    assert " 101 " in _handshake(team_app, "http://127.0.0.1:{port}")  # the app's own page


def test_the_app_answers_only_under_its_random_launch_prefix(team_app):
    from werkzeug.test import Client

    prefix = team_app.config["PATH_PREFIX"]
    assert re.fullmatch(r"/t-[A-Za-z0-9_-]{22}", prefix)
    raw = Client(team_app, use_cookies=False)  # sends the path and Cookie header as given
    cookie = {"Cookie": f"teamapp_key={SECRET}"}
    for path in ("/", "/signin", "/?key=" + SECRET, "/ws", "/logging/state", "/static/js/app.js", "/ui/team.css"):
        r = raw.get(path, headers=cookie)
        assert r.status_code == 404, path
        assert SECRET not in r.get_data(as_text=True) and "Set-Cookie" not in r.headers, path
    for wrong in ("/t-" + "A" * 22 + "/", prefix[:-1] + "/", prefix + "x/"):
        assert raw.get(wrong, headers=cookie).status_code == 404, wrong
    assert raw.post("/instance/show").status_code == 404  # a second copy asks under the prefix
    health = raw.get("/healthz")  # the one public path at the root: nothing private in it
    assert health.status_code == 200 and health.json == {"status": "ok", "service": "team-app"}
    assert raw.get(prefix + "/signin", headers=cookie).status_code == 200
    bare = raw.get(prefix + "?key=x")
    assert bare.status_code == 308 and bare.headers["Location"] == f"{prefix}/?key=x"
    opened = raw.get(f"{prefix}/?key={SECRET}")
    assert opened.status_code == 303 and opened.headers["Location"] == f"{prefix}/"


def test_pages_link_under_the_prefix(team, team_app):
    prefix = team_app.config["PATH_PREFIX"]
    page = team.get("/signin").get_data(as_text=True)
    links = re.findall(r'(?:href|src|action|hx-post|hx-get|ws-connect)="(/[^"]*)"', page)
    assert links and all(link.startswith(prefix + "/") for link in links), links


def test_launch_url_carries_the_prefix_and_the_key(team_app):
    from web.security import launch_url

    url = launch_url(team_app, "http://127.0.0.1:5000")
    assert url == f"http://127.0.0.1:5000{team_app.config['PATH_PREFIX']}/?key={SECRET}"
