"""The upload state on the status line, and its Retry button."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from sync import outbox
from sync.account import current_account
from web.services import services

bp = Blueprint("sync", __name__)


def _view():
    """What ``_sync_status.html`` shows (None when nobody is signed in)."""
    from sync.status import sync_status
    from web import preferences as prefs_mod

    if current_account() is None:
        return None
    svc = services()
    return sync_status(svc.clock.now(), prefs_mod.load().tz)


@bp.app_context_processor
def _sync_context():
    return {"sync_status_view": _view}


@bp.post("/sync/retry")
def retry():
    """Give every item that needed attention another try, and start a round now."""
    if current_account() is None:
        return redirect(url_for("auth.signin"))
    outbox.retry_all_parked()
    worker = services().sync_worker
    if worker is not None:
        worker.poke()
    from web.htmx import is_htmx

    if is_htmx():
        return render_template("_sync_status.html")
    return redirect(url_for("home.index"), 303)


@bp.get("/sync/status")
def status():
    if current_account() is None:
        return redirect(url_for("auth.signin"))
    return render_template("_sync_status.html")
