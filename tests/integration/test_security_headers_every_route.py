"""Security headers and cookie flags on every route of both programs, signed in and not.

Walks each app's URL map (so a route added later is covered without anyone remembering to
add it here), fills its variables with plausible values, and sends every method it accepts:
pages, htmx fragments, the API, static files, the WebSocket handshake, 404s, and a 500 from
a route that fails. Every answer must carry the same headers, and every cookie set must be
HttpOnly and SameSite.
"""

from __future__ import annotations

import re
import uuid

import pytest
from werkzeug.routing import Map

from tests.integration.conftest import SECRET

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
SAMPLE = {"int": "1", "uuid": str(uuid.UUID(int=1)), "path": "x/y.txt", "default": "x", "string": "x"}


def urls_of(url_map: Map) -> list[tuple[str, str]]:
    """(method, URL) for every rule and method, variables filled with sample values."""
    out = []
    for rule in url_map.iter_rules():
        path = rule.rule
        for name, converter in ((a, rule._converters[a]) for a in rule.arguments):
            kind = type(converter).__name__.removesuffix("Converter").lower()
            path = re.sub(rf"<[^>]*\b{name}>", SAMPLE.get(kind, "1"), path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return sorted(out, key=lambda mp: "signout" in mp[1])  # stay signed in until the end


def check(response, where: str) -> None:
    for header, value in REQUIRED.items():
        assert response.headers.get(header) == value, f"{where}: {header} is {response.headers.get(header)!r}"
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, f"{where}: CSP {csp!r}"
    for cookie in response.headers.getlist("Set-Cookie"):
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=" in flags, f"{where}: cookie without HttpOnly/SameSite: {cookie}"


def walk(client, url_map: Map, who: str) -> int:
    seen = 0
    for method, path in urls_of(url_map):
        response = client.open(path, method=method, headers={"Origin": "http://localhost"})
        check(response, f"{who} {method} {path} -> {response.status_code}")
        response = client.open(path, method=method, headers={"HX-Request": "true"})
        check(response, f"{who} htmx {method} {path} -> {response.status_code}")
        seen += 1
    return seen


def add_failing_route(app) -> None:
    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production, not raise into the test


@pytest.fixture
def diary_with_boom(sqlite_diary):
    add_failing_route(sqlite_diary)
    return sqlite_diary


def test_every_diary_server_route_has_the_headers_signed_out_and_in(diary_with_boom, diary_account):
    app = diary_with_boom
    anonymous = app.test_client()
    assert walk(anonymous, app.url_map, "anonymous") > 30
    boom = anonymous.get("/test-boom")
    assert boom.status_code == 500
    check(boom, "500 page")
    check(anonymous.get("/no/such/page"), "404 page")

    browser = app.test_client()
    page = browser.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"email": diary_account["email"], "password": diary_account["password"]}
    if csrf:
        form["csrf_token"] = csrf.group(1)
    signed_in = browser.post("/signin", data=form, headers={"Origin": "http://localhost"})
    assert signed_in.status_code in (302, 303), signed_in.get_data(as_text=True)[:300]
    check(signed_in, "sign-in answer")  # the session cookie: HttpOnly, SameSite
    assert any("diary_session" in c for c in signed_in.headers.getlist("Set-Cookie"))
    walk(browser, app.url_map, "signed in")

    api = app.test_client()
    token = api.post("/api/v1/sessions", json=diary_account).json["token"]
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    walk(api, app.url_map, "API token")


def test_every_team_app_route_has_the_headers_signed_out_and_in(team_app, diary_account):
    add_failing_route(team_app)
    stranger = team_app.test_client()  # no launch key: refused, with the headers
    walk(stranger, team_app.url_map, "no launch key")

    window = team_app.test_client()
    opened = window.get(f"/?key={SECRET}")
    check(opened, "launch")
    cookies = opened.headers.getlist("Set-Cookie")
    assert cookies and all("httponly" in c.lower() and "samesite=strict" in c.lower() for c in cookies)
    walk(window, team_app.url_map, "window, signed out")
    r = window.post("/signin", data=diary_account, headers={"Origin": "http://localhost"})
    assert r.status_code == 303
    walk(window, team_app.url_map, "window, signed in")
    boom = window.get("/test-boom")
    assert boom.status_code == 500
    check(boom, "500 page")
    ws = window.get("/ws", headers={"Upgrade": "websocket", "Connection": "Upgrade", "Origin": "http://evil.test"})
    assert ws.status_code == 403
    check(ws, "WebSocket handshake from another origin")
