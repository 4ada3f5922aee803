"""The sync protocol in the JSON API: segment upsert in batches, snapshot upload, memo and
label edits, and the changes feed. Rules live in ``diary_server/sync_service/``."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime
from typing import Annotated, Literal

from apiflask import Schema, abort
from apiflask.fields import Boolean, DateTime, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from flask import current_app, g
from pydantic import BaseModel, BeforeValidator, Field

from diary_server import sync_service as svc
from diary_server.api import api_bp, auth
from diary_server.api import json_answer as _json
from diary_server.api_contracts import ContractOut

UUID_PATTERN = svc.UUID_RE.pattern
TAG = "Sync"


def _uuid(**kwargs):
    return String(validate=Regexp(svc.UUID_RE), metadata={"pattern": UUID_PATTERN, "format": "uuid"}, **kwargs)


# The push body is validated by pydantic (its Rust core): marshmallow took ~0.9 s for 500 nested
# segments, more than the database writes. The OpenAPI document is generated from these models,
# so the body is still checked against exactly the schema the document shows.
_UUID = Annotated[str, Field(strict=True, pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]


def _whole(value):
    """JSON Schema's ``integer`` takes ``1000000.0``: an integral float becomes an int, and strict
    validation still refuses ``1.5``, ``"1"`` and ``true``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_COUNT = Annotated[int, Field(strict=True, ge=0, le=10**6), BeforeValidator(_whole)]
_INT32 = Annotated[int, Field(strict=True, ge=1, le=2**31 - 1), BeforeValidator(_whole)]


def _text(max_length: int, description: str | None = None):
    return Annotated[str | None, Field(strict=True, max_length=max_length, description=description)]


class SegmentIn(BaseModel):
    uuid: _UUID
    contract_id: _INT32
    start: datetime = Field(description="Segment start, on a 10-minute UTC boundary")
    version: _INT32 = Field(description="Bumped by each capture write")
    logged_seconds: Annotated[float, Field(strict=True, ge=0, le=600)]
    minutes: Annotated[
        list[Annotated[list[_COUNT], Field(min_length=3, max_length=3)]],
        Field(min_length=10, max_length=10, description="Ten [keys, clicks, scrolls] counts"),
    ]
    app_name: _text(500) = None
    window_title: _text(1000) = None
    manual: Annotated[bool, Field(strict=True)] = False
    memo: _text(svc.MAX_MEMO) = None
    memo_edited_at: datetime | None = None
    label: _text(60) = None
    label_edited_at: datetime | None = None
    deleted_at: datetime | None = Field(default=None, description="Tombstone: deleted then")


class TombstoneIn(BaseModel):
    uuid: _UUID
    segment_uuid: _UUID
    kind: Literal["screen", "camera"]
    deleted_at: datetime


class PushIn(BaseModel):
    segments: Annotated[list[SegmentIn], Field(max_length=svc.MAX_BATCH)] = []
    snapshot_tombstones: Annotated[list[TombstoneIn], Field(max_length=svc.MAX_BATCH)] = []


class SegmentOut(Schema):
    uuid = String(required=True)
    contract_id = Integer(required=True)
    start = DateTime(required=True)
    version = Integer(required=True)
    logged_seconds = Float(required=True)
    minutes = List(List(Integer()), required=True)
    app_name = String(allow_none=True)
    window_title = String(allow_none=True)
    manual = Boolean(required=True)
    memo = String(allow_none=True)
    memo_edited_at = DateTime(allow_none=True)
    label = String(allow_none=True)
    label_edited_at = DateTime(allow_none=True)
    deleted_at = DateTime(allow_none=True)
    billed = Boolean(required=True, metadata={"description": "False for a duplicate of another computer's segment"})
    duplicate_of = String(allow_none=True)
    updated_at = DateTime(required=True)


class SnapshotOut(Schema):
    uuid = String(required=True)
    segment_uuid = String(required=True)
    kind = String(required=True)
    taken_at = DateTime(allow_none=True)
    mime = String(allow_none=True)
    size_bytes = Integer(allow_none=True)
    width = Integer(allow_none=True)
    height = Integer(allow_none=True)
    sha256 = String(allow_none=True)
    deleted_at = DateTime(allow_none=True)


STATUSES = ("ok", "duplicate", "refused")


class SegmentResult(Schema):
    uuid = String(required=True)
    status = String(required=True, validate=OneOf(STATUSES))
    code = String(allow_none=True)
    message = String(allow_none=True)
    segment = Nested(SegmentOut, allow_none=True)


class TombstoneResult(Schema):
    uuid = String(required=True)
    status = String(required=True, validate=OneOf(STATUSES))
    code = String(allow_none=True)
    message = String(allow_none=True)
    snapshot = Nested(SnapshotOut, allow_none=True)


class PushOut(Schema):
    results = List(Nested(SegmentResult), required=True)
    snapshot_results = List(Nested(TombstoneResult), required=True)


class SnapshotIn(Schema):
    segment_uuid = _uuid(required=True)
    kind = String(required=True, validate=OneOf(("screen", "camera")))
    taken_at = DateTime(required=True)
    mime = String(required=True, validate=OneOf(tuple(svc.IMAGE_TYPES)))
    sha256 = String(required=True, validate=Regexp(r"^[0-9a-fA-F]{64}$"), metadata={"pattern": "^[0-9a-fA-F]{64}$"})
    data = String(required=True, metadata={"description": "The image, base64", "format": "byte"})


class SegmentEditIn(Schema):
    memo = String(allow_none=True, validate=Length(max=svc.MAX_MEMO))
    label = String(allow_none=True, validate=Length(max=60))
    edited_at = DateTime(load_default=None, allow_none=True, metadata={"description": "Default: now"})


#: Longest a pull may be held open waiting for a change (below the usual 60 s proxy timeout).
MAX_WAIT_SECONDS = 55


class ChangesQuery(Schema):
    since = Integer(load_default=0, validate=Range(0, 2**63 - 1))
    limit = Integer(load_default=500, validate=Range(1, svc.MAX_BATCH))
    wait = Integer(
        load_default=0,
        validate=Range(0, MAX_WAIT_SECONDS),
        metadata={
            "description": "Seconds to hold the answer while there is nothing new (a long-poll):"
            " it comes back as soon as something changes on one of the caller's contracts."
        },
    )


class ChangesOut(Schema):
    cursor = Integer(required=True, metadata={"description": "Pass as since= on the next pull"})
    more = Boolean(required=True)
    segments = List(Nested(SegmentOut), required=True)
    snapshots = List(Nested(SnapshotOut), required=True)
    contracts = List(
        Nested(ContractOut), required=True, metadata={"description": "Contracts changed (edited, paused, ended, new)"}
    )
    locked_before = DateTime(
        allow_none=True, metadata={"description": "Time before this instant lies in weeks locked for invoicing"}
    )


def _fail(error: svc.SyncError):
    abort(error.status, message=error.message, extra_data={"code": error.code})


def _origin() -> int:
    """The calling session, as the changes feed names it (its own writes are left out of its pulls)."""
    return svc.session_origin(g.token)


def _check_uuid(value: str) -> str:
    if not svc.UUID_RE.match(value):
        abort(404, message="No such resource.", extra_data={"code": "not_found"})
    return value


@api_bp.post("/sync/push")
@api_bp.auth_required(auth)
@api_bp.input(PushIn, arg_name="body")
@api_bp.output(PushOut)
@api_bp.doc(
    summary="Upsert segments (and snapshot tombstones) by client UUID; one result per item",
    tags=[TAG],
    responses={401: "Not signed in", 413: "Batch too large", 422: "Invalid input"},
)
def sync_push(body: PushIn):
    data = body.model_dump()
    try:
        return _json(svc.push(auth.current_user, data["segments"], data["snapshot_tombstones"], g.now, _origin()))
    except svc.SyncError as exc:
        _fail(exc)


@api_bp.put("/snapshots/<string:snapshot_uuid>")
@api_bp.auth_required(auth)
@api_bp.input(SnapshotIn, arg_name="body")
@api_bp.output(SnapshotOut, description="Stored (or already stored: the upload is idempotent)")
@api_bp.doc(
    summary="Upload a snapshot by client UUID; the SHA-256, type and pixel limits are verified",
    tags=[TAG],
    responses={
        401: "Not signed in",
        404: "Bad UUID",
        409: "The segment is not uploaded yet, or the UUID names other content",
        413: "Too large",
        415: "Not a PNG/JPEG image, or not the type it claims",
        422: "Invalid input, hash mismatch or too many pixels",
    },
)
def put_snapshot(snapshot_uuid: str, body):
    _check_uuid(snapshot_uuid)
    try:
        result, _new = svc.upload_snapshot(auth.current_user, snapshot_uuid, body, g.now, _origin())
    except svc.SyncError as exc:
        _fail(exc)
    return result


@api_bp.get("/snapshots/<string:snapshot_uuid>")
@api_bp.auth_required(auth)
@api_bp.output(SnapshotOut)
@api_bp.doc(summary="A snapshot's metadata", tags=[TAG], responses={401: "Not signed in", 404: "No such snapshot"})
def get_snapshot(snapshot_uuid: str):
    _check_uuid(snapshot_uuid)
    try:
        return svc.get_snapshot(auth.current_user, snapshot_uuid)
    except svc.SyncError as exc:
        _fail(exc)


@api_bp.get("/segments/<string:segment_uuid>")
@api_bp.auth_required(auth)
@api_bp.output(SegmentOut)
@api_bp.doc(summary="One segment", tags=[TAG], responses={401: "Not signed in", 404: "No such segment"})
def get_segment(segment_uuid: str):
    _check_uuid(segment_uuid)
    try:
        return svc.get_segment(auth.current_user, segment_uuid)
    except svc.SyncError as exc:
        _fail(exc)


@api_bp.patch("/segments/<string:segment_uuid>")
@api_bp.auth_required(auth)
@api_bp.input(SegmentEditIn, arg_name="body")
@api_bp.output(SegmentOut)
@api_bp.doc(
    summary="Edit a segment's memo (freelancer) or Activity label (either party) until the week locks",
    tags=[TAG],
    responses={
        401: "Not signed in",
        403: "Clients edit labels only",
        404: "No such segment",
        409: "Deleted, or the week is locked",
        422: "Invalid input or unknown label",
    },
)
def patch_segment(segment_uuid: str, body):
    _check_uuid(segment_uuid)
    try:
        return svc.edit_segment(auth.current_user, segment_uuid, body, g.now, _origin())
    except svc.SyncError as exc:
        _fail(exc)


@api_bp.get("/sync/changes")
@api_bp.auth_required(auth)
@api_bp.input(ChangesQuery, location="query", arg_name="query")
@api_bp.output(ChangesOut)
@api_bp.doc(
    summary="Segments, snapshots and contracts changed after a cursor, on the caller's contracts",
    description="Changes written with the calling token (its own pushes, uploads and edits) are left out:"
    " their results were in its own answers. The cursor still moves past them.",
    tags=[TAG],
    responses={401: "Not signed in", 422: "Invalid input"},
)
def sync_changes(query):
    user, origin = auth.current_user, _origin()
    waiters = current_app.extensions["change_waiters"]
    wait = min(query["wait"], current_app.config["CHANGES_MAX_WAIT"])
    deadline = time.monotonic() + wait
    generation = waiters.generation()
    page = svc.changes(user, query["since"], query["limit"], g.now, origin)
    while _nothing_in(page) and (left := deadline - time.monotonic()) > 0:
        with _connection_released():
            woke = waiters.wait([user.id], page["cursor"], left, generation, origin)
        if not woke:
            break
        generation = waiters.generation()
        page = svc.changes(user, page["cursor"], query["limit"], current_app.extensions["diary_clock"](), origin)
    return _json(page)


def _nothing_in(page: dict) -> bool:
    return not (page["more"] or page["segments"] or page["snapshots"] or page["contracts"])


@contextlib.contextmanager
def _connection_released():
    """A held pull gives its database connection back while it waits (a pool of 20 would
    otherwise hold 20 Team apps), and takes one again to read the feed."""
    db = current_app.extensions["diary_db"]
    if not db.is_closed():
        db.close()
    try:
        yield
    finally:
        db.connect(reuse_if_open=True)
