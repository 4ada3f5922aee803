"""Step 3 of logging time: "Select the correct contract"."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block

from sync import contracts as contracts_sync
from sync.account import current_account
from web.errors import is_id
from web.htmx import is_htmx
from web.services import services
from web.views.main_screen import picker_context, screen_context

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


def _render_picker(
    account, error: str | None = None, notice: str | None = None, status: int = 200, memo_too: bool = True
):
    """The picker alone for htmx (with the logging panel, which shows the chosen contract),
    or the whole main screen otherwise. The memo box (whose labels are the chosen contract's)
    comes along only when the choice changed (``memo_too``): the periodic refresh must never
    replace a memo the freelancer is typing."""
    ctx = screen_context(account, **picker_context(account, error=error, notice=notice))
    if not is_htmx():
        return render_template("log.html", title="Team", **ctx), status
    oob = {**ctx, "oob": True}
    body = render_block("log.html", "picker", **ctx) + "".join(
        render_block("log.html", block, **oob) for block in ("panel", "memo", "prompts") if memo_too or block != "memo"
    )
    return body, 200


@bp.get("/picker")
def picker():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    return _render_picker(account, memo_too=False)


@bp.post("/refresh")
def refresh():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    svc = services()
    result = contracts_sync.refresh_contracts(
        client_factory=svc.client_factory, token_store=svc.token_store, now=svc.now()
    )
    return _render_picker(account, error=None if result.ok else result.problem, memo_too=False)


@bp.post("/select")
def select():
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    try:
        contract_id = int(request.form.get("contract_id", ""))
    except ValueError:
        contract_id = 0
    if not is_id(contract_id):
        return _render_picker(account, error="Choose a contract from the list.", status=422)
    controller = services().controller
    if controller.logging and controller.contract_id != contract_id:
        return _render_picker(account, error="Switch logging off before changing the contract.", status=409)
    try:
        contract = contracts_sync.select_contract(account.diary_url, contract_id)
    except contracts_sync.ContractUnavailable as exc:
        return _render_picker(account, error=str(exc), status=422)
    return _render_picker(account, notice=f"“{contract.title}” selected. Switch logging on when you start.")
