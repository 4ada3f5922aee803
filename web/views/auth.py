"""Sign in to a diary server and sign out."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for

from sync import account as accounts
from sync import contracts
from sync.diary_client import DiaryError
from web.htmx import is_htmx, render
from web.services import services

bp = Blueprint("auth", __name__)

#: Messages the sign-in page shows after a redirect, by code (never text from the URL).
NOTICES = {
    "signed_out": "You are signed out.",
    "signed_out_here": "You are signed out on this computer. The Work Diary could not be reached to end the "
    "session there; it ends when the token expires or you sign out again while online.",
}


def _context(**extra) -> dict:
    cfg = current_app.config
    return {
        "title": "Sign in",
        "default_url": cfg["DEFAULT_DIARY_URL"],
        "embedded": bool(services().embedded_diary),
        "demo_file": cfg["DEMO_ACCOUNTS_FILE"],
        "form": {"server_url": cfg["DEFAULT_DIARY_URL"], "email": ""},
        "error": None,
        "notice": None,
        **extra,
    }


@bp.get("/signin")
def signin():
    if accounts.current_account() is not None:
        return redirect(url_for("home.index"))
    notice = NOTICES.get(request.args.get("notice", ""))
    return render("signin.html", "signin_form", **_context(notice=notice))


@bp.post("/signin")
def signin_post():
    svc = services()
    form = {
        "server_url": request.form.get("server_url", "").strip() or current_app.config["DEFAULT_DIARY_URL"],
        "email": request.form.get("email", "").strip(),
    }
    try:
        accounts.sign_in(
            form["server_url"],
            form["email"],
            request.form.get("password", ""),
            client_factory=svc.client_factory,
            token_store=svc.token_store,
            now=svc.now(),
        )
        # Fill the contract picker at once; the poller keeps it fresh afterwards.
        contracts.refresh_contracts(client_factory=svc.client_factory, token_store=svc.token_store, now=svc.now())
    except DiaryError as exc:
        ctx = _context(form=form, error={"code": exc.code, "message": str(exc)})
        status = 429 if exc.code == "too_many_attempts" else 422
        # htmx swaps only 2xx by default: answer 200 to htmx so the message shows in place.
        return render("signin.html", "signin_form", **ctx), (200 if is_htmx() else status)
    if is_htmx():
        return "", 204, {"HX-Redirect": url_for("home.index")}
    return redirect(url_for("home.index"), 303)


@bp.post("/signout")
def signout():
    svc = services()
    if svc.controller.logging:
        svc.controller.stop("signed out")  # the last interval is stored before the account goes
    result = accounts.sign_out(client_factory=svc.client_factory, token_store=svc.token_store)
    return redirect(url_for("auth.signin", notice="signed_out" if result.revoked_on_server else "signed_out_here"), 303)
