"""Invoice pages of the diary server, for the two parties of a contract: the list (all of
the user's contracts, or one contract's), one invoice with its lines and dates, the client's
approval during the review, and the CSV. Anyone else gets "not found", as for contracts."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, g, redirect, render_template, request, url_for

from diary_server import contracts as contracts_svc
from diary_server import invoices as svc
from diary_server.invoice_models import Invoice
from diary_server.pages import login_required, pages_bp


def _render(template: str, **context) -> str:
    """Invoice pages print a week's last day and a review's last second (the ends are exclusive)."""
    return render_template(template, delta_day=timedelta(days=1), delta_second=timedelta(seconds=1), **context)


def _visible(invoice_id: int) -> Invoice:
    """The invoice for a party to its contract; "not found" for anyone else."""
    try:
        return svc.get_visible(g.user, invoice_id)
    except svc.InvoiceError:
        abort(404)


@pages_bp.get("/invoices")
@login_required
def invoices():
    rows = svc.invoices_json(svc.visible_invoices(g.user), g.now)
    return _render("invoices.html", title="Invoices", invoices=rows, contract=None)


@pages_bp.get("/contracts/<int:contract_id>/invoices")
@login_required
def contract_invoices(contract_id: int):
    try:
        contract = contracts_svc.get_visible(g.user, contract_id)
    except contracts_svc.ContractError:
        abort(404)
    rows = svc.invoices_json(svc.contract_invoices(contract.id), g.now)
    return _render("invoices.html", title=f"Invoices · {contract.title}", invoices=rows, contract=contract)


def _page(invoice_id: int, error: svc.InvoiceError | None = None, notice: str | None = None):
    invoice = _visible(invoice_id)
    data = svc.invoice_json(invoice, g.now)
    for line in data["lines"]:
        line["day_label"] = date.fromisoformat(line["day"]).strftime("%a %d %b")
    is_client = invoice.contract.client_id == g.user.id
    page = _render(
        "invoice.html", title=f"Invoice {data['number']}", i=data, is_client=is_client, error=error, notice=notice
    )
    return page, (error.status if error else 200)


@pages_bp.get("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int):
    return _page(invoice_id, notice="Invoice approved. Thank you." if request.args.get("approved") else None)


@pages_bp.post("/invoices/<int:invoice_id>/approve")
@login_required
def approve_invoice(invoice_id: int):
    try:
        svc.approve(g.user, invoice_id, g.now)
    except svc.InvoiceError as exc:
        if exc.status == 404:
            abort(404)
        return _page(invoice_id, error=exc)
    return redirect(url_for("pages.invoice", invoice_id=invoice_id, approved=1))


@pages_bp.get("/invoices/<int:invoice_id>.csv")
@login_required
def invoice_csv(invoice_id: int):
    return svc.csv_response(_visible(invoice_id))
