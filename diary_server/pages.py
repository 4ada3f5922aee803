"""The diary server's own web pages: sign up, sign in, sign out, the account page.

Web sessions reuse API tokens (label "web"): the signed cookie carries the token, and
signing out deletes it on the server, so a copied cookie stops working too.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from diary_server.accounts import (
    AccountError,
    TooManyAttempts,
    authenticate,
    create_user,
    issue_token,
    revoke_token,
    set_timezone,
    timezones_of,
    user_for_token,
    zone_names,
)

pages_bp = Blueprint("pages", __name__)


@pages_bp.before_app_request
def _load_user() -> None:
    g.user = None
    token = session.get("token")
    if token and not request.path.startswith(("/api/", "/static/")):
        g.user = user_for_token(token, g.now)
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
    session["token"] = issue_token(user, "web", g.now)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("pages.home")


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
            minutes = max(1, round(exc.retry_after / 60))
            error = f"Too many failed sign-ins. Try again in about {minutes} minute(s)."
            status = 429
        except AccountError as exc:
            error = exc.message
            status = 401
        else:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("signin.html", title="Sign in", email=email, error=error), status


@pages_bp.post("/signout")
def signout():
    token = session.get("token")
    if token:
        revoke_token(token)
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
