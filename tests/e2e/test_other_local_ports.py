"""Another local server the browser visits gets nothing it could use against the Team app.

Browsers keep cookies apart by host, not by port: a cookie for 127.0.0.1 with ``Path=/`` goes to
every server on 127.0.0.1. The Team app serves under a random per-launch path prefix and scopes
its launch cookie to it (web/security.py), so another port's pages are not sent the cookie, and
the cookie's value is worth nothing outside the prefix.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.processes import TeamApp, free_port
from tests.e2e.test_team_app import DEMO_NAMES, expect_signed_in_as, open_signin, sign_out_quietly, submit_signin

OTHER_PAGE = b"""<!doctype html><html><head><title>Some other local app</title>
<link rel="icon" href="data:,"></head>
<body><h1>Some other local app</h1><img src="/pixel.png" alt=""></body></html>"""


class OtherLocalServer:
    """A tiny web server on another 127.0.0.1 port that records every request it gets."""

    def __init__(self):
        self.requests: list[tuple[str, dict[str, str]]] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = OTHER_PAGE if self.path in ("/", "/index.html") or self.path.startswith("/t-") else b""
                self.send_response(200 if body else 204)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="other-local-server", daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cookies_received(self) -> list[str]:
        return [headers.get("cookie", "") for _path, headers in self.requests]

    def __enter__(self) -> OtherLocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(5)
        self._server.server_close()


@pytest.fixture
def other_server() -> Iterator[OtherLocalServer]:
    with OtherLocalServer() as server:
        yield server


@pytest.fixture
def signed_in(page: Page, team_app: TeamApp) -> Iterator[Page]:
    """The Team app open in this browser context, the demo freelancer signed in."""
    sign_out_quietly(team_app)
    demo = team_app.demo["freelancer"]
    open_signin(page, team_app)
    submit_signin(page, demo.email, demo.password)
    expect_signed_in_as(page, DEMO_NAMES[demo.email], demo.email)
    yield page
    sign_out_quietly(team_app)


def test_the_launch_cookie_is_scoped_to_the_random_launch_prefix(signed_in: Page, team_app: TeamApp):
    cookies = [c for c in signed_in.context.cookies() if c["name"] == "teamapp_key"]
    assert len(cookies) == 1, cookies
    cookie = cookies[0]
    assert cookie["path"] == team_app.prefix and len(team_app.prefix) == len("/t-") + 22
    assert cookie["value"] == team_app.key and cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_a_page_on_another_local_port_is_not_sent_the_cookie(
    signed_in: Page, team_app: TeamApp, other_server: OtherLocalServer
):
    context = signed_in.context
    # The control: a cookie with Path=/ for 127.0.0.1 does reach the other port (browsers do not
    # isolate cookies by port), so the recorded headers would show a leak if there were one.
    context.add_cookies([{"name": "control", "value": "path-slash", "domain": "127.0.0.1", "path": "/"}])
    other = context.new_page()
    response = other.goto(other_server.origin + "/")
    assert response is not None and response.ok
    expect(other.get_by_role("heading", name="Some other local app")).to_be_visible()
    other.wait_for_load_state("load")  # the image too
    other.evaluate("fetch('/api/anything', {credentials: 'include'}).then(r => r.status)")
    # Even a guess at the path a Team app might use, on the other port, gets no cookie.
    other.goto(other_server.origin + "/t-" + secrets.token_urlsafe(16) + "/")

    paths = [path for path, _headers in other_server.requests]
    assert {"/", "/pixel.png", "/api/anything"} <= set(paths), paths
    received = other_server.cookies_received()
    assert all("control=path-slash" in c for c in received), received  # the control arrived
    for path, headers in other_server.requests:
        assert "teamapp_key" not in headers.get("cookie", ""), f"{path} was sent {headers.get('cookie')!r}"
        assert team_app.key not in " ".join(headers.values()), f"{path} was sent the launch key: {headers}"
        assert team_app.prefix not in headers.get("referer", ""), f"{path} learnt the prefix: {headers}"
    # And the Team app's own page still has it: the user is still signed in there.
    demo = team_app.demo["freelancer"]
    signed_in.reload()
    expect_signed_in_as(signed_in, DEMO_NAMES[demo.email], demo.email)


OUTSIDE_PATHS = ["/", "/signin", "/account/connection", "/logging/state", "/contracts/picker", "/diary", "/ws"]


def test_the_cookie_value_opens_nothing_outside_the_prefix(signed_in: Page, team_app: TeamApp):
    """Someone who got the value (not the prefix) and sends it to the app's port is refused."""
    demo = team_app.demo["freelancer"]
    stolen = {"Cookie": f"teamapp_key={team_app.key}"}
    with httpx.Client(base_url=team_app.origin, headers=stolen, timeout=30, follow_redirects=False) as http:
        for path in OUTSIDE_PATHS:
            r = http.get(path)
            assert r.status_code == 404, (path, r.status_code)
            assert demo.email not in r.text and DEMO_NAMES[demo.email] not in r.text, path
            assert "set-cookie" not in r.headers, path
        assert http.post("/signout").status_code == 404
        assert http.post("/logging/toggle").status_code == 404
        assert http.post("/instance/show").status_code == 404
        wrong_prefix = "/t-" + secrets.token_urlsafe(16)
        assert http.get(wrong_prefix + "/").status_code == 404
        assert http.get(team_app.prefix[:-1] + "/").status_code == 404  # almost the prefix
        # Only the health check answers at the root, and it names nobody.
        health = http.get("/healthz")
        assert health.status_code == 200 and demo.email not in health.text and team_app.key not in health.text
    # Nothing the refused requests did signed anyone out.
    signed_in.reload()
    expect_signed_in_as(signed_in, DEMO_NAMES[demo.email], demo.email)


def test_the_app_without_the_prefix_gives_no_access(signed_in: Page, team_app: TeamApp):
    """The same browser, the cookie in its jar, the key in the URL: without the prefix, 404."""
    demo = team_app.demo["freelancer"]
    stranger = signed_in.context.new_page()
    for path in ["/", f"/?key={team_app.key}", "/signin", "/diary"]:
        response = stranger.goto(team_app.origin + path)
        assert response is not None and response.status == 404, path
        body = stranger.content()
        assert demo.email not in body and DEMO_NAMES[demo.email] not in body, path
        assert "set-cookie" not in response.headers, path
    cookies = [c for c in signed_in.context.cookies() if c["name"] == "teamapp_key"]
    assert [c["path"] for c in cookies] == [team_app.prefix]  # no cookie for / was handed out
    # With the prefix, the same browser is in.
    response = stranger.goto(team_app.url("/"))
    assert response is not None and response.status == 200
    expect_signed_in_as(stranger, DEMO_NAMES[demo.email], demo.email)
