"""Invoices in the JSON API: the caller's list, one invoice, its CSV, and the client's approval."""

from __future__ import annotations

from apiflask import Schema, abort
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.schemas import FileSchema
from apiflask.validators import OneOf
from flask import g

from diary_server import invoices as svc
from diary_server.api import api_bp, auth
from diary_server.invoice_models import INVOICE_STATUSES, LINE_KINDS

MONEY = {"description": "Exact money with two decimals, e.g. 412.50"}


class InvoicePartyOut(Schema):
    id = Integer(required=True)
    name = String(required=True)


class InvoiceContractOut(Schema):
    id = Integer(required=True)
    title = String(required=True)
    client = Nested(InvoicePartyOut, required=True)
    freelancer = Nested(InvoicePartyOut, required=True)


class InvoiceLineOut(Schema):
    day = String(required=True, metadata={"description": "The UTC day, e.g. 2026-11-23", "format": "date"})
    kind = String(required=True, validate=OneOf(LINE_KINDS), metadata={"description": "Logged by the app, or manual"})
    minutes = Integer(required=True)
    amount = String(required=True, metadata=MONEY)


class InvoiceOut(Schema):
    id = Integer(required=True)
    number = String(required=True, metadata={"description": "Gap-free per client and year, e.g. C12-2026-0001"})
    contract = Nested(InvoiceContractOut, required=True)
    week_start = DateTime(required=True, metadata={"description": "Monday 00:00 UTC of the invoiced work week"})
    week_end = DateTime(required=True, metadata={"description": "The next Monday 00:00 UTC (exclusive)"})
    hourly_rate = String(required=True, metadata={"description": "The rate in effect that week"})
    currency = String(required=True)
    minutes = Integer(required=True, metadata={"description": "Billable minutes of the week"})
    amount = String(required=True, metadata=MONEY)
    rounding_rule = String(required=True)
    status = String(required=True, validate=OneOf(INVOICE_STATUSES))
    issued_at = DateTime(required=True)
    review_ends_at = DateTime(required=True, metadata={"description": "The client's review closes (exclusive)"})
    approved_at = DateTime(allow_none=True)
    approved_by = String(allow_none=True, validate=OneOf(["client", "automatic"]))
    release_at = DateTime(required=True, metadata={"description": "When the payment is marked released"})
    released_at = DateTime(allow_none=True)
    can_approve = Boolean(required=True, metadata={"description": "Issued and in review (only its client may approve)"})
    lines = List(Nested(InvoiceLineOut), required=True)


class InvoiceListOut(Schema):
    invoices = List(Nested(InvoiceOut), required=True)


def _fail(error: svc.InvoiceError):
    abort(error.status, message=error.message, extra_data={"code": error.code})


def _visible(invoice_id: int):
    """The invoice for a party to its contract; 404 for anyone else."""
    try:
        return svc.get_visible(auth.current_user, invoice_id)
    except svc.InvoiceError as exc:
        _fail(exc)


ERRORS = {401: "Not signed in", 404: "Not a party to this invoice's contract"}


@api_bp.get("/invoices")
@api_bp.auth_required(auth)
@api_bp.output(InvoiceListOut)
@api_bp.doc(summary="Invoices of the signed-in user's contracts", tags=["Invoices"], responses={401: ERRORS[401]})
def list_invoices():
    return {"invoices": svc.invoices_json(svc.visible_invoices(auth.current_user), g.now)}


@api_bp.get("/invoices/<int:invoice_id>")
@api_bp.auth_required(auth)
@api_bp.output(InvoiceOut)
@api_bp.doc(summary="One invoice", tags=["Invoices"], responses={401: ERRORS[401], 404: ERRORS[404]})
def get_invoice(invoice_id: int):
    return svc.invoice_json(_visible(invoice_id), g.now)


@api_bp.get("/invoices/<int:invoice_id>/csv")
@api_bp.auth_required(auth)
@api_bp.output(FileSchema(type="string", format="binary"), content_type="text/csv", description="The invoice as CSV")
@api_bp.doc(summary="One invoice as CSV", tags=["Invoices"], responses={401: ERRORS[401], 404: ERRORS[404]})
def invoice_csv(invoice_id: int):
    return svc.csv_response(_visible(invoice_id))


@api_bp.post("/invoices/<int:invoice_id>/approve")
@api_bp.auth_required(auth)
@api_bp.output(InvoiceOut)
@api_bp.doc(
    summary="Approve an invoice during its review (the contract's client only)",
    tags=["Invoices"],
    responses={
        401: ERRORS[401],
        403: "Not this contract's client",
        404: ERRORS[404],
        409: "Approved already, or the review has closed",
    },
)
def approve_invoice(invoice_id: int):
    try:
        return svc.invoice_json(svc.approve(auth.current_user, invoice_id, g.now), g.now)
    except svc.InvoiceError as exc:
        _fail(exc)
