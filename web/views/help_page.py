"""Help: troubleshooting tips, what is and is not recorded, and the diagnostics report."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for

from sync.account import current_account
from web import diagnostics
from web.services import services

bp = Blueprint("help", __name__)


def _report(account) -> str:
    svc = services()
    return diagnostics.report(svc.settings, svc.loop.status(), account, svc.clock.now())


@bp.get("/help")
def page():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    status = services().loop.status()
    return render_template("help.html", title="Help", account=account, status=status, report=None)


@bp.post("/help/diagnostics")
def make_report():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    return render_template("_diagnostics.html", report=_report(account))


@bp.get("/help/diagnostics.txt")
def report_text():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    return current_app.response_class(_report(account), mimetype="text/plain")
