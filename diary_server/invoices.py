"""Invoices for the two parties of a contract: who sees which, the client's approval during
the review window, and their JSON and CSV forms. Used by the JSON API and the web pages
alike; a refusal is an :class:`InvoiceError` (the house :class:`core.refusal.Refused`).

Only the contract's client and freelancer see an invoice: to anyone else it does not exist
(404, as contracts). Only its client approves it, from its issue (Monday 12:00 UTC) until the
review closes (Friday 23:59:59 UTC); after that it was approved by itself.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Response

from core import invoicing
from core.refusal import Refused
from core.rules import WEEK, to_utc
from diary_server.contracts import MAX_ID, format_rate
from diary_server.invoice_models import Invoice, InvoiceLine
from diary_server.models import Contract, User


class InvoiceError(Refused):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, status=status, code=code)


def visible_invoices(user: User) -> list[Invoice]:
    """The invoices of the contracts ``user`` is a party to, newest week first."""
    party = Contract.client if user.role == "client" else Contract.freelancer
    return list(
        Invoice.select(Invoice, Contract)
        .join(Contract)
        .where(party == user.id)
        .order_by(Invoice.week_start.desc(), Invoice.number.desc())
    )


def contract_invoices(contract_id: int) -> list[Invoice]:
    """A contract's invoices (the caller checked that the user is a party), newest first."""
    query = Invoice.select(Invoice, Contract).join(Contract).where(Invoice.contract == contract_id)
    return list(query.order_by(Invoice.week_start.desc()))


def get_visible(user: User, invoice_id: int) -> Invoice:
    """The invoice if ``user`` is a party to its contract, else 404."""
    if not 1 <= invoice_id <= MAX_ID:
        raise InvoiceError(404, "not_found", "No such invoice.")
    invoice = Invoice.select(Invoice, Contract).join(Contract).where(Invoice.id == invoice_id).first()
    if invoice is None or user.id not in (invoice.contract.client_id, invoice.contract.freelancer_id):
        raise InvoiceError(404, "not_found", "No such invoice.")
    return invoice


def in_review(invoice: Invoice, now: datetime) -> bool:
    """Can the client approve it now? Issued, and within the review window."""
    week = invoice.week_start
    return invoice.status == "issued" and invoicing.issue_time(week) <= to_utc(now) < invoicing.review_end(week)


def approve(user: User, invoice_id: int, now: datetime) -> Invoice:
    """The client approves an invoice during its review; anyone else is refused, and so is an
    approval after the review closed or of an invoice approved already."""
    invoice = get_visible(user, invoice_id)
    if invoice.contract.client_id != user.id:
        raise InvoiceError(403, "forbidden", "Only the contract's client can approve its invoices.")
    if invoice.status != "issued":
        raise InvoiceError(409, "not_in_review", f"This invoice is {invoice.status} already.")
    if not in_review(invoice, now):
        raise InvoiceError(409, "review_closed", "The review of this invoice has closed.")
    changed = (
        Invoice.update(status="approved", approved_at=to_utc(now), approved_by=user.id)
        .where((Invoice.id == invoice.id) & (Invoice.status == "issued"))
        .execute()
    )
    if changed != 1:  # approved by itself (or by another request) a moment ago
        raise InvoiceError(409, "not_in_review", "This invoice was approved already.")
    return get_visible(user, invoice_id)


def lines_of(invoices: list[Invoice]) -> dict[int, list[InvoiceLine]]:
    found: dict[int, list[InvoiceLine]] = {i.id: [] for i in invoices}
    if found:
        query = InvoiceLine.select().where(InvoiceLine.invoice.in_(list(found)))
        for line in query.order_by(InvoiceLine.day, InvoiceLine.kind):  # logged before manual
            found[line.invoice_id].append(line)
    return found


def money(amount_cents: int) -> str:
    return format_rate(amount_cents)


def invoices_json(invoices: list[Invoice], now: datetime) -> list[dict]:
    """The API form of invoices, lines included, in three queries whatever their number."""
    lines = lines_of(invoices)
    ids = {i.contract.client_id for i in invoices} | {i.contract.freelancer_id for i in invoices}
    names = dict(User.select(User.id, User.name).where(User.id.in_(list(ids))).tuples()) if ids else {}
    return [_json(i, lines[i.id], names, now) for i in invoices]


def invoice_json(invoice: Invoice, now: datetime) -> dict:
    return invoices_json([invoice], now)[0]


def _json(invoice: Invoice, lines: list[InvoiceLine], names: dict, now: datetime) -> dict:
    week = invoice.week_start
    contract = invoice.contract
    return {
        "id": invoice.id,
        "number": invoice.number,
        "contract": {
            "id": contract.id,
            "title": contract.title,
            "client": {"id": contract.client_id, "name": names.get(contract.client_id, "")},
            "freelancer": {"id": contract.freelancer_id, "name": names.get(contract.freelancer_id, "")},
        },
        "week_start": week,
        "week_end": week + WEEK,
        "hourly_rate": money(invoice.rate_cents),
        "currency": invoice.currency,
        "minutes": invoice.minutes,
        "amount": money(invoice.amount_cents),
        "rounding_rule": invoice.rounding_rule,
        "status": invoice.status,
        "issued_at": invoice.issued_at,
        "review_ends_at": invoicing.review_end(week),
        "approved_at": invoice.approved_at,
        "approved_by": "client" if invoice.approved_by_id else ("automatic" if invoice.approved_at else None),
        "release_at": invoicing.release_time(week),
        "released_at": invoice.released_at,
        "can_approve": in_review(invoice, now),
        "lines": [
            {
                "day": line.day.date().isoformat(),
                "kind": line.kind,
                "minutes": line.minutes,
                "amount": money(line.amount_cents),
            }
            for line in lines
        ],
    }


CSV_HEADER = ("invoice", "day", "kind", "minutes", "hours", "hourly_rate", "amount", "currency")


def invoice_csv(invoice: Invoice) -> str:
    """One row per line, then the total and the rounding rule (numbers and fixed words only:
    nothing a spreadsheet would read as a formula)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    rate, currency = money(invoice.rate_cents), invoice.currency
    for line in lines_of([invoice])[invoice.id]:
        hours = f"{line.minutes // 60}:{line.minutes % 60:02d}"
        writer.writerow(
            (
                invoice.number,
                line.day.date().isoformat(),
                line.kind,
                line.minutes,
                hours,
                rate,
                money(line.amount_cents),
                currency,
            )
        )
    total_hours = f"{invoice.minutes // 60}:{invoice.minutes % 60:02d}"
    writer.writerow(
        (invoice.number, "total", "", invoice.minutes, total_hours, rate, money(invoice.amount_cents), currency)
    )
    writer.writerow((invoice.number, "rounding", invoice.rounding_rule, "", "", "", "", ""))
    return out.getvalue()


def csv_response(invoice: Invoice) -> Response:
    """The CSV as a download (the API's and the page's)."""
    return Response(
        invoice_csv(invoice),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="invoice-{invoice.number}.csv"'},
    )
