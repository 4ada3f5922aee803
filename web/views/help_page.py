"""Help: troubleshooting tips, the diagnostics report, and what the help page links to: the
software licence and the third-party licences, the privacy statement, the supported systems.

The licence, privacy and systems pages answer before sign-in too: a freelancer may want to
read them before signing in.
"""

from __future__ import annotations

import sys

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from sync.account import current_account
from web import diagnostics, licenses
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


@bp.get("/help/licenses")
def license_page():
    return render_template(
        "help_licenses.html",
        title="Licences",
        account=current_account(),
        project_license=licenses.project_license(),
        components=licenses.components(),
    )


@bp.get("/help/licenses/<name>")
def license_text(name: str):
    texts = licenses.license_texts(name)
    if texts is None:
        abort(404)
    component = next(c for c in licenses.components() if c.name == name)
    return render_template(
        "help_license_text.html",
        title=f"Licence of {component.display}",
        account=current_account(),
        component=component,
        texts=texts,
    )


@bp.get("/help/privacy")
def privacy():
    account = current_account()
    return render_template(
        "help_privacy.html",
        title="Privacy statement",
        account=account,
        data_dir=services().settings.data_dir,
        diary_url=account.diary_url if account else None,
        embedded=bool(getattr(services(), "embedded_diary", False)),
    )


@bp.get("/help/systems")
def systems():
    return render_template(
        "help_systems.html",
        title="Supported systems",
        account=current_account(),
        python=f"{sys.version_info.major}.{sys.version_info.minor}",
    )
