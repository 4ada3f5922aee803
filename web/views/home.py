"""The first screen after sign-in, and the health check."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from sync.account import current_account
from sync.diary_client import DiaryError
from web.htmx import render
from web.services import services

bp = Blueprint("home", __name__)


@bp.get("/healthz")
def healthz():
    from models.local import local_db

    local_db.execute_sql("SELECT 1")
    notice = services().storage_notice
    if notice:
        return {"status": "damaged", "service": "team-app", "damage": notice}
    return {"status": "ok", "service": "team-app"}


@bp.get("/")
def index():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    if account.role == "freelancer":
        from web.views.main_screen import screen_context

        return render("log.html", "content", title="Team", **screen_context(account))
    return render("home.html", "content", title="Team", account=account, connection=None)


@bp.get("/account/connection")
def connection():
    """Ask the diary whether the token still works: shown as a small status on the home page."""
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    svc = services()
    token = svc.token_store.get(account.diary_url)
    state = {"ok": False, "message": ""}
    if not token:
        state["message"] = "The sign-in token is missing on this computer. Sign out and sign in again."
    else:
        try:
            with svc.client_factory(account.diary_url, token=token) as client:
                client.me()
            state = {"ok": True, "message": "Connected to the Work Diary."}
        except DiaryError as exc:
            state["message"] = str(exc)
    return render("home.html", "connection", account=account, connection=state)
