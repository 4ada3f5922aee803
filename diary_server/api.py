"""The versioned JSON API (``/api/v1``) used by the Team app.

Every body is validated against a schema, and the OpenAPI document is generated from the
same schemas. Errors are JSON ``{"code", "message"}`` with a stable code.
"""

from __future__ import annotations

import json
import numbers
from datetime import datetime

from apiflask import APIBlueprint, HTTPTokenAuth, Schema, abort, fields
from apiflask.fields import Nested, String
from apiflask.validators import Length, OneOf
from flask import Response, current_app, g, request

from diary_server.accounts import (
    AccountError,
    TooManyAttempts,
    authenticate,
    issue_token,
    revoke_token,
    user_for_token,
)
from diary_server.models import ROLES
from diary_server.passwords import ServerBusy

api_bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="Accounts")
auth = HTTPTokenAuth(scheme="Bearer", description="A token from POST /api/v1/sessions")


class Integer(fields.Integer):
    """A JSON integer, as JSON Schema's ``integer`` means it: a whole number, also when written
    ``40.0``; ``40.5``, ``"40"`` and ``true`` are refused (marshmallow's own Integer truncated
    ``40.5`` to 40 and took numeric strings)."""

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid")
        return super()._validated(value)


NOT_AN_OBJECT = "The request body must be a JSON object."


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_answer(data: dict) -> Response:
    """An answer written directly as JSON, past the output schema's dump (marshmallow took
    longer to dump 20 contracts, or 500 segments, than the database took to read them). The
    dicts must hold exactly the documented schema's fields: the API tests check the answers
    against the OpenAPI document."""
    return current_app.response_class(
        json.dumps(data, default=_jsonable, separators=(",", ":")), mimetype="application/json"
    )


@api_bp.before_request
def _body_is_an_object():
    """A JSON body that is ``null``, a list, a string or a number is refused before any schema
    sees it (the pydantic adapter read ``null`` as ``{}``, so ``null`` to /sync/push did nothing
    and answered 200). A body that is not JSON at all is left to the 400 of the input decorator."""
    view = current_app.view_functions.get(request.endpoint)
    if request.method not in ("POST", "PUT", "PATCH") or "body" not in getattr(view, "_spec", {}):
        return
    data = request.get_json(force=True, silent=True)
    if isinstance(data, dict):
        return
    if data is None and request.get_data(cache=True).strip() != b"null":
        return  # empty or not JSON: the input decorator answers
    abort(
        422,
        message=NOT_AN_OBJECT,
        detail={"json": {"_schema": [NOT_AN_OBJECT]}},
        extra_data={"code": "validation_error"},
    )


@auth.verify_token
def _verify(token: str):
    user = user_for_token(token, g.now)
    if user is not None:
        g.token = token
    return user


class SignInIn(Schema):
    email = String(required=True, validate=Length(min=1, max=254))
    password = String(required=True, validate=Length(min=1, max=1024))
    device = String(load_default="Team app", validate=Length(max=100))


class UserOut(Schema):
    id = Integer(required=True)
    email = String(required=True)
    name = String(required=True)
    role = String(required=True, validate=OneOf(ROLES))


class SessionOut(Schema):
    token = String(required=True)
    user = Nested(UserOut, required=True)


class ErrorOut(Schema):
    code = String(required=True)
    message = String(required=True)


@api_bp.post("/sessions")
@api_bp.input(SignInIn, arg_name="body")
@api_bp.output(SessionOut, status_code=201, description="Signed in")
@api_bp.doc(
    summary="Sign in with e-mail and password",
    responses={
        401: "Wrong e-mail or password",
        429: "Too many failed attempts (see Retry-After)",
        503: "Too many sign-ins at once (see Retry-After)",
    },
)
def sign_in(body):
    try:
        user = authenticate(
            body["email"],
            body["password"],
            request.remote_addr or "unknown",
            g.now,
            _limit(),
        )
    except TooManyAttempts as exc:
        abort(
            429,
            message=str(exc),
            extra_data={"code": "too_many_attempts"},
            headers={"Retry-After": str(exc.retry_after)},
        )
    except ServerBusy as exc:
        abort(
            503,
            message=str(exc),
            extra_data={"code": "busy"},
            headers={"Retry-After": str(exc.retry_after)},
        )
    except AccountError as exc:
        abort(401, message=exc.message, extra_data={"code": exc.code})
    token = issue_token(user, body["device"], g.now)
    return {"token": token, "user": user.public()}


@api_bp.get("/me")
@api_bp.auth_required(auth)
@api_bp.output(UserOut)
@api_bp.doc(summary="The signed-in account")
def me():
    return auth.current_user.public()


@api_bp.delete("/sessions/current")
@api_bp.auth_required(auth)
@api_bp.output({}, status_code=204)
@api_bp.doc(summary="Sign out: revoke this token")
def sign_out():
    revoke_token(g.token)
    return ""


def _limit() -> int:
    from flask import current_app

    return current_app.config["LOGIN_ATTEMPTS"]


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_attempts",
    503: "busy",
}


def register_error_processor(app) -> None:
    @app.spec_processor
    def _document_bad_json(spec: dict) -> dict:
        """Every operation with a body also answers 400 when the body is not JSON at all. The body
        is required except for PATCH: a partial edit without a body changes nothing and answers
        200, while POST and PUT without one are refused (400 or 422)."""
        for path in spec.get("paths", {}).values():
            for method, operation in path.items():
                if isinstance(operation, dict) and "requestBody" in operation:
                    if method != "patch":
                        operation["requestBody"]["required"] = True
                    operation.setdefault("responses", {}).setdefault(
                        "400",
                        {
                            "description": "The body is not valid JSON",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}},
                        },
                    )
        return spec

    @auth.error_processor
    @app.error_processor
    def _error(error):
        message = error.message
        if error.status_code == 400 and message == "Bad Request":
            message = "The request body is not valid JSON."
        if error.status_code == 401 and not (error.extra_data or {}).get("code"):
            message = "Sign in first: send 'Authorization: Bearer <token>'."
        body = {
            "code": (error.extra_data or {}).get("code") or _CODES.get(error.status_code, "error"),
            "message": message,
        }
        if error.detail:
            body["detail"] = error.detail
        return body, error.status_code, error.headers
