"""The diary server's own web pages: sign up, sign in, sign out, the account page.

The signed session cookie carries only a random session id whose SHA-256 is kept on the
server (``web_sessions``); it is no API token, and signing out deletes it on the server, so
a copied cookie stops working too.
"""

from __future__ import annotations

import re
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from diary_server import web_sessions
from diary_server.accounts import (
    AccountError,
    TooManyAttempts,
    authenticate,
    create_user,
    set_timezone,
    timezones_of,
    zone_names,
)
from diary_server.passwords import ServerBusy

pages_bp = Blueprint("pages", __name__)


@pages_bp.before_app_request
def _load_user() -> None:
    g.user = None
    session_id = session.get("sid")
    if session_id and not request.path.startswith(("/api/", "/static/")):
        g.user = web_sessions.user_for(session_id, g.now)
        if g.user is None:
            session.clear()


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("pages.signin", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def _start_session(user) -> None:
    session.clear()
    session["sid"] = web_sessions.start(user, g.now)


#: Browsers drop tabs and newlines anywhere in a URL and other control characters and spaces
#: at its ends, so "/\t/evil.example" reaches them as "//evil.example": remove them all first.
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f-\x9f\s]")


def safe_next_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site once normalised as a browser would; else None.

    Refused: anything with a scheme or host, a leading ``//``, or a backslash (browsers read
    ``/\\evil`` as ``//evil``)."""
    if not target:
        return None
    path = _IGNORED_BY_BROWSERS.sub("", target)
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return None
    return path


def _safe_next(target: str | None) -> str:
    return safe_next_path(target) or url_for("pages.home")


@pages_bp.get("/")
@login_required
def home():
    from diary_server.contracts import contracts_json, visible_contracts

    contracts = contracts_json(list(visible_contracts(g.user)), g.now)
    return render_template("home.html", title="Your contracts", contracts=contracts)


@pages_bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = {"email": "", "name": "", "role": "freelancer"}
    error = None
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in ("email", "name", "role")}
        try:
            user = create_user(form["email"], form["name"], form["role"], request.form.get("password", ""), g.now)
        except AccountError as exc:
            error = exc
        except ServerBusy as exc:
            return _busy(exc)
        else:
            _start_session(user)
            return redirect(url_for("pages.home"))
    status = 422 if error else 200
    return render_template("signup.html", title="Create an account", form=form, error=error), status


@pages_bp.route("/signin", methods=["GET", "POST"])
def signin():
    email = ""
    error = None
    status = 200
    if request.method == "POST":
        email = request.form.get("email", "")
        try:
            user = authenticate(
                email,
                request.form.get("password", ""),
                request.remote_addr or "unknown",
                g.now,
                current_app.config["LOGIN_ATTEMPTS"],
            )
        except TooManyAttempts as exc:
            error = str(exc)
            status = 429
        except ServerBusy as exc:
            return _busy(exc)
        except AccountError as exc:
            error = exc.message
            status = 401
        else:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("signin.html", title="Sign in", email=email, error=error), status


def _busy(exc: ServerBusy):
    """Every password-hashing slot stayed taken: 503, and when to come back."""
    page = render_template("error.html", title="Please try again", message=str(exc))
    return page, 503, {"Retry-After": str(exc.retry_after)}


@pages_bp.post("/signout")
def signout():
    web_sessions.end(session.get("sid", ""))
    session.clear()
    return redirect(url_for("pages.signin", signed_out=1))


@pages_bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The account page: who is signed in, and the time zone the Work Diary shows (a
    client's zone is also what their freelancer can switch the diary to)."""
    error = notice = None
    zone = timezones_of([g.user.id])[g.user.id].key
    if request.method == "POST":
        try:
            zone = set_timezone(g.user, request.form.get("timezone", ""))
        except AccountError as exc:
            error = exc.message
        else:
            notice = f"Time zone saved: {zone}."
    return render_template(
        "account.html", title="Your account", zone=zone, zones=zone_names(), error=error, notice=notice
    ), (422 if error else 200)
