"""Step 3 of logging time: "Select the correct contract"."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for

from models.local import get_state
from sync import contracts as contracts_sync
from sync.account import current_account
from web.htmx import render

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


def picker_context(account, error: str | None = None, notice: str | None = None) -> dict:
    now = current_app.extensions["teamapp"]["clock"]()
    return {
        "rows": contracts_sync.picker_rows(account.diary_url, now),
        "picker_error": error,
        "picker_notice": notice,
        "problem": get_state(contracts_sync.PROBLEM_KEY),
        "refreshed_at": get_state(contracts_sync.REFRESHED_KEY),
    }


def _render_picker(account, **kw):
    return render(
        "home.html", "picker", title="Team", account=account, connection=None, **picker_context(account, **kw)
    )


@bp.get("/picker")
def picker():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    return _render_picker(account)


@bp.post("/refresh")
def refresh():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    svc = current_app.extensions["teamapp"]
    result = contracts_sync.refresh_contracts(
        client_factory=svc["client_factory"], token_store=svc["token_store"], now=svc["clock"]()
    )
    return _render_picker(account, error=None if result.ok else result.problem)


@bp.post("/select")
def select():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    try:
        contract_id = int(request.form.get("contract_id", ""))
    except ValueError:
        return _render_picker(account, error="Choose a contract from the list."), 422
    try:
        contract = contracts_sync.select_contract(account.diary_url, contract_id)
    except contracts_sync.ContractUnavailable as exc:
        return _render_picker(account, error=str(exc)), 422
    return _render_picker(account, notice=f"Logging time on “{contract.title}”.")
