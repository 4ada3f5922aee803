"""Contracts in the JSON API: list, read, create, edit, pause/resume/end."""

from __future__ import annotations

import re

from apiflask import Schema, abort
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import g

from diary_server import contracts as svc
from diary_server.api import Integer as WholeNumber
from diary_server.api import api_bp, auth, json_answer
from diary_server.models import CONTRACT_STATUSES

#: An amount above 0 with at most six digits before the point and two after, as
#: ``svc.parse_rate`` takes it: "0", "0.00" and "000.0" are refused (a rate of 0 is not a rate),
#: "0.01" and "007" are taken. ASCII digits ([0-9]: Python's \d also matches other scripts' digits)
#: and no lookahead, so every JSON Schema tool reads and generates it alike.
_POSITIVE_WHOLE = "|".join("0" * k + f"[1-9][0-9]{{0,{5 - k}}}" for k in range(6))  # k leading zeros
RATE_PATTERN = rf"^(?:(?:{_POSITIVE_WHOLE})(?:\.[0-9]{{1,2}})?|0{{1,6}}\.(?:0[1-9]|[1-9][0-9]?))$"


class PartyOut(Schema):
    id = Integer(required=True)
    name = String(required=True)
    email = String(required=True)
    timezone = String(required=True, metadata={"description": "The account's IANA time zone, e.g. Europe/Berlin"})


class ContractOut(Schema):
    id = Integer(required=True)
    title = String(required=True)
    client = Nested(PartyOut, required=True)
    freelancer = Nested(PartyOut, required=True)
    hourly_rate = String(required=True, metadata={"description": "Rate in effect now, e.g. 25.00"})
    currency = String(required=True)
    next_hourly_rate = String(allow_none=True, metadata={"description": "Rate from next work week, if changed"})
    next_rate_from = DateTime(allow_none=True)
    weekly_limit_hours = Integer(allow_none=True)
    manual_time_allowed = Boolean(required=True)
    status = String(required=True, validate=OneOf(CONTRACT_STATUSES))
    activity_labels = List(String(), required=True)
    created_at = DateTime(required=True)
    updated_at = DateTime(required=True)


class ContractListOut(Schema):
    contracts = List(Nested(ContractOut), required=True)


class ContractIn(Schema):
    freelancer_email = String(required=True, validate=Length(min=3, max=254))
    title = String(required=True, validate=Length(min=1, max=svc.MAX_TITLE_LENGTH))
    hourly_rate = String(required=True, validate=Length(min=1, max=12), metadata={"pattern": RATE_PATTERN})
    currency = String(load_default="USD", validate=OneOf(svc.CURRENCIES))
    weekly_limit_hours = WholeNumber(load_default=None, allow_none=True, validate=Range(1, svc.MAX_WEEKLY_LIMIT))
    manual_time_allowed = Boolean(load_default=False)
    activity_labels = List(
        String(validate=Length(min=1, max=svc.MAX_LABEL_LENGTH)), load_default=list, validate=Length(max=svc.MAX_LABELS)
    )


class ContractPatch(Schema):
    title = String(validate=Length(min=1, max=svc.MAX_TITLE_LENGTH))
    hourly_rate = String(validate=Length(min=1, max=12), metadata={"pattern": RATE_PATTERN})
    weekly_limit_hours = WholeNumber(allow_none=True, validate=Range(1, svc.MAX_WEEKLY_LIMIT))
    manual_time_allowed = Boolean()
    activity_labels = List(
        String(validate=Length(min=1, max=svc.MAX_LABEL_LENGTH)), validate=Length(max=svc.MAX_LABELS)
    )


class StatusIn(Schema):
    status = String(required=True, validate=OneOf(CONTRACT_STATUSES))


class ContractPath(Schema):
    contract_id = Integer(required=True, validate=Range(1, 2**31 - 1))


def _check_rate(body: dict) -> None:
    """The rate must match the documented pattern: ``svc.parse_rate`` also reads " 25" and
    "1,000" (it serves the web forms too), which the API document does not allow."""
    if "hourly_rate" in body and not re.fullmatch(RATE_PATTERN, body["hourly_rate"]):
        _fail(
            svc.ContractError(
                422, "invalid_rate", "Enter the hourly rate as an amount above 0 like 25 or 25.50.", "hourly_rate"
            )
        )


def _fail(error: svc.ContractError):
    detail = {"field": error.field} if error.field else {}
    abort(error.status, message=error.message, detail=detail, extra_data={"code": error.code})


ERRORS = {401: "Not signed in", 404: "Not a party to this contract", 422: "Invalid input"}


@api_bp.get("/contracts")
@api_bp.auth_required(auth)
@api_bp.output(ContractListOut)
@api_bp.doc(summary="Contracts the signed-in user is a party to", tags=["Contracts"], responses={401: ERRORS[401]})
def list_contracts():
    return json_answer({"contracts": svc.visible_contracts_json(auth.current_user, g.now)})


@api_bp.post("/contracts")
@api_bp.auth_required(auth)
@api_bp.input(ContractIn, arg_name="body")
@api_bp.output(ContractOut, status_code=201)
@api_bp.doc(
    summary="Hire a freelancer on an hourly contract (clients only)",
    tags=["Contracts"],
    responses={401: ERRORS[401], 403: "Not a client", 422: ERRORS[422]},
)
def create_contract(body):
    _check_rate(body)
    try:
        contract = svc.create_contract(auth.current_user, now=g.now, **body)
    except svc.ContractError as exc:
        _fail(exc)
    return svc.contract_json(contract, g.now)


@api_bp.get("/contracts/<int:contract_id>")
@api_bp.auth_required(auth)
@api_bp.output(ContractOut)
@api_bp.doc(summary="One contract", tags=["Contracts"], responses={401: ERRORS[401], 404: ERRORS[404]})
def get_contract(contract_id: int):
    try:
        return json_answer(svc.contract_json(svc.get_visible(auth.current_user, contract_id), g.now))
    except svc.ContractError as exc:
        _fail(exc)


@api_bp.patch("/contracts/<int:contract_id>")
@api_bp.auth_required(auth)
@api_bp.input(ContractPatch, arg_name="body")
@api_bp.output(ContractOut)
@api_bp.doc(
    summary="Change a contract (its client only); a new rate starts next work week",
    tags=["Contracts"],
    responses={401: ERRORS[401], 403: "Not this contract's client", 404: ERRORS[404], 409: "Ended", 422: ERRORS[422]},
)
def update_contract(contract_id: int, body):
    _check_rate(body)
    try:
        contract = svc.update_contract(auth.current_user, contract_id, body, g.now)
    except svc.ContractError as exc:
        _fail(exc)
    return json_answer(svc.contract_json(contract, g.now))


@api_bp.post("/contracts/<int:contract_id>/status")
@api_bp.auth_required(auth)
@api_bp.input(StatusIn, arg_name="body")
@api_bp.output(ContractOut)
@api_bp.doc(
    summary="Pause, resume or end a contract (its client only)",
    tags=["Contracts"],
    responses={401: ERRORS[401], 403: "Not this contract's client", 404: ERRORS[404], 409: "Already ended"},
)
def set_status(contract_id: int, body):
    try:
        contract = svc.change_status(auth.current_user, contract_id, body["status"], g.now)
    except svc.ContractError as exc:
        _fail(exc)
    return svc.contract_json(contract, g.now)
