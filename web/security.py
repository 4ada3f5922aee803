"""Local web security: the Team app's server is reachable only by its own window.

Three gates, each a pure check plus one hook: the Host header (DNS rebinding), the origin of
state-changing requests (cross-site forms and fetches), and the per-launch secret that the
window and the printed URL carry once before it moves into an HttpOnly cookie.

Browsers do not keep cookies apart by port: a cookie for 127.0.0.1 goes to every local server
the browser visits. So the whole app lives under a random per-launch path prefix
(:class:`PrefixMount`) and the cookie's ``Path`` is that prefix: another local server is sent
the cookie only at a path it cannot know, and the app answers nothing private outside it.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, redirect, render_template, request
from werkzeug.wrappers import Response as WsgiResponse

ALLOWED_HOSTNAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEY_PARAM = "key"
COOKIE_NAME = "teamapp_key"
#: Paths (under the launch prefix) served without the secret: they hold nothing private.
PUBLIC_PREFIXES = ("/healthz", "/static/", "/ui/", "/instance/")  # /instance/ checks a key of its own
#: The only paths also answered outside the launch prefix (a liveness probe needs no prefix).
ROOT_PUBLIC_PATHS = frozenset({"/healthz"})
PREFIX_MARK = "/t-"

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


def new_path_prefix() -> str:
    """``/t-`` and 22 random URL-safe characters (128 bits): where this launch serves."""
    return PREFIX_MARK + secrets.token_urlsafe(16)


class PrefixMount:
    """WSGI middleware: the app answers under ``prefix`` (as its ``SCRIPT_NAME``, so ``url_for``
    builds prefixed URLs), and outside it only at :data:`ROOT_PUBLIC_PATHS`; anything else is a
    404 the app never sees. Works whether the server put the whole path in ``PATH_INFO`` or a
    test client already split it (``APPLICATION_ROOT``)."""

    def __init__(self, app, prefix: str):
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"a path prefix is /name, not {prefix!r}")
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if path.startswith(self.prefix + "/"):
            environ["SCRIPT_NAME"], environ["PATH_INFO"] = self.prefix, path[len(self.prefix) :]
            return self.app(environ, start_response)
        if path == self.prefix:
            query = environ.get("QUERY_STRING", "")
            target = self.prefix + "/" + ("?" + query if query else "")
            response = WsgiResponse("", 308, headers={"Location": target, "Cache-Control": "no-store"})
            return response(environ, start_response)
        if path in ROOT_PUBLIC_PATHS:
            environ["SCRIPT_NAME"], environ["PATH_INFO"] = "", path
            return self.app(environ, start_response)
        response = WsgiResponse("Not Found\n", 404, mimetype="text/plain")
        response.headers.update({"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
        return response(environ, start_response)


def mount(app: Flask, prefix: str) -> None:
    """Serve ``app`` under ``prefix`` only: for its server, its test client and its
    ``test_request_context`` (which builds URLs from ``APPLICATION_ROOT``) alike."""
    app.config["APPLICATION_ROOT"] = prefix
    app.config["PATH_PREFIX"] = prefix
    app.wsgi_app = PrefixMount(app.wsgi_app, prefix)


def launch_url(app: Flask, origin: str) -> str:
    """``http://127.0.0.1:PORT`` -> the URL that opens this launch's app once, key included."""
    return f"{origin}{app.config['PATH_PREFIX']}/?{KEY_PARAM}={app.config['LAUNCH_SECRET']}"


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
            target = request.script_root + request.path + ("?" + urlencode(rest) if rest else "")
            response = redirect(target, 303)
            # Path: the launch prefix, so the browser sends it to no other local server's pages.
            path = request.script_root or "/"
            response.set_cookie(COOKIE_NAME, expected, httponly=True, samesite="Strict", path=path)
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
