"""Local web security: the Team app's server is reachable only by its own window.

Three gates, each a pure check plus one hook: the Host header (DNS rebinding), the origin of
state-changing requests (cross-site forms and fetches), and the per-launch secret that the
window and the printed URL carry once before it moves into an HttpOnly cookie.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, redirect, render_template, request

ALLOWED_HOSTNAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEY_PARAM = "key"
COOKIE_NAME = "teamapp_key"
#: Paths served without the secret: they hold nothing private.
PUBLIC_PREFIXES = ("/healthz", "/static/", "/ui/", "/instance/")  # /instance/ checks a key of its own

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def hostname_of(host_header: str) -> str:
    """``127.0.0.1:5000`` -> ``127.0.0.1``; ``[::1]:80`` -> ``[::1]``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    return host.split(":", 1)[0]


def is_allowed_host(host_header: str | None) -> bool:
    return bool(host_header) and hostname_of(host_header) in ALLOWED_HOSTNAMES


def is_cross_site(method: str, origin: str | None, sec_fetch_site: str | None, host: str) -> bool:
    """True for a state-changing request that another site (or another local port) sent."""
    if method.upper() in SAFE_METHODS:
        return False
    if sec_fetch_site:
        # The browser's own verdict; it is sent with "Origin: null" on some same-origin
        # form posts (no-referrer pages, QtWebEngine), so it must win over Origin.
        return sec_fetch_site.lower() not in ("same-origin", "none")
    if origin:
        if origin == "null":
            return True
        parts = urlsplit(origin)
        return parts.netloc.lower() != host.lower() or parts.scheme not in ("http", "https")
    return False


def new_launch_secret() -> str:
    return secrets.token_urlsafe(32)


def install(app: Flask) -> None:
    @app.before_request
    def _gates():
        if not is_allowed_host(request.host):
            return Response("Bad Request: this local app answers only to localhost.\n", 400, mimetype="text/plain")
        if is_cross_site(
            request.method, request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), request.host
        ):
            return Response("Forbidden: cross-site request refused.\n", 403, mimetype="text/plain")
        if request.path.startswith(PUBLIC_PREFIXES):
            return None
        expected = current_app.config["LAUNCH_SECRET"]
        offered = request.args.get(KEY_PARAM)
        if offered is not None and secrets.compare_digest(offered, expected):
            # Move the secret out of the URL (history, screenshots) into a strict cookie.
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != KEY_PARAM]
            target = request.path + ("?" + urlencode(rest) if rest else "")
            response = redirect(target, 303)
            response.set_cookie(COOKIE_NAME, expected, httponly=True, samesite="Strict", path="/")
            return response
        cookie = request.cookies.get(COOKIE_NAME, "")
        if not (cookie and secrets.compare_digest(cookie, expected)):
            return render_template("locked.html", title="Open the Team app"), 403
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
