"""The diary server's Work Diary store: one contract's tables, for its client or freelancer.

The routes are the shared blueprint's (:mod:`ui.diary_blueprint`); this supplies the diary
server's side of :class:`ui.diary_store.DiaryStore`: records from its tables
(:mod:`diary_server.diary_records`), who is looking (the freelancer edits memos and labels
until the week's lock and deletes snapshots until the end of the work week; the client sets
Activity labels only and sees deletions as removed time), the edits applied through
``sync_service`` (:mod:`diary_server.diary_page_edits`, so they reach the Team app through
the changes feed), the snapshots from its blob store and the server's URLs. Record ids are
the segments' UUIDs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from io import BytesIO

from flask import url_for

from core.diary import DeletionPlan, SegmentRecord
from diary_server import contracts as contracts_svc
from diary_server import diary_page_edits as edits
from diary_server.accounts import timezones_of
from diary_server.diary_models import DiaryBlob, DiarySegment, DiarySnapshot
from diary_server.diary_records import grid_records_between, records_between
from diary_server.models import Contract, User
from ui import diary_view as dv
from ui.diary_store import Refused, Saved
from ui.diary_urls import DiaryUrls

THUMB_SIZE = (320, 180)


class ServerDiaryUrls(DiaryUrls):
    """The diary server's diary routes, snapshots served only to the contract's parties (manual
    time is added in the Team app, where time is logged)."""

    contract_arg = "contract_id"

    def _snapshot(self, image_id, **values) -> str:
        return self._url("snapshot", snapshot_id=image_id, **values)


class ServerDiaryStore:
    """:class:`ui.diary_store.DiaryStore` over the diary server's tables, for ``user`` (a party
    of ``contract``) at ``now`` (aware UTC, the request's clock ``g.now``)."""

    def __init__(self, user: User, contract: Contract, now: datetime):
        self.user = user
        self.contract = contract
        self.contract_id = contract.id
        self.urls = ServerDiaryUrls(contract.id)
        self.viewer = dv.FREELANCER if contract.freelancer_id == user.id else dv.CLIENT
        self.weekly_limit_hours = contract.weekly_limit_hours
        self.currency = contract.currency
        self._now = now

    # --- reading ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._now

    def zones(self) -> tuple[tzinfo, tzinfo | None]:
        c = self.contract
        zones = timezones_of(list({self.user.id, c.client_id}))
        return zones.get(self.user.id, UTC), zones.get(c.client_id, UTC)

    def page_context(self) -> dict:
        c = self.contract
        client_viewing = self.viewer == dv.CLIENT
        other = User.get_by_id(c.freelancer_id if client_viewing else c.client_id)
        return {
            "layout": "diary_layout.html",
            "title": f"Work Diary · {c.title}",
            "contract_title": c.title,
            "contract_url": url_for("pages.contract", contract_id=c.id),
            "party": f"{'freelancer' if client_viewing else 'client'} {other.name}",
            "client_name": self.user.name if client_viewing else other.name,
            "freelancer_name": other.name if client_viewing else self.user.name,
            "labels": contracts_svc.active_labels(c),
            "manual_allowed": False,
        }

    def rate(self, week_start: datetime) -> str:
        info = contracts_svc.rate_info(self.contract, week_start)
        return contracts_svc.format_rate(info.current_cents)

    def records(self, start, end, *, minutes=True, minutes_for=None) -> list[SegmentRecord]:
        return records_between(self.contract_id, start, end, minutes=minutes, minutes_for=minutes_for)

    def grid_records(self, start, end) -> list[SegmentRecord]:
        return grid_records_between(self.contract_id, start, end)

    def parse_ids(self, raw: Iterable[str] | str) -> list[str]:
        return edits.parse_ids(raw)

    def segment_start(self, segment_id: str) -> datetime | None:
        seg = DiarySegment.get_or_none((DiarySegment.uuid == segment_id) & (DiarySegment.contract == self.contract_id))
        return seg.start if seg else None

    def snapshot(self, snapshot_id: str, *, thumb: bool) -> tuple[bytes, str] | None:
        """A live snapshot of this contract; a deleted one is gone (its content left the diary)."""
        try:
            (uid,) = edits.parse_ids(snapshot_id)
        except (Refused, ValueError):
            return None
        snap = (
            DiarySnapshot.select(DiarySnapshot, DiarySegment)
            .join(DiarySegment)
            .where((DiarySnapshot.uuid == uid) & (DiarySegment.contract == self.contract_id))
            .first()
        )
        if snap is None or snap.deleted_at is not None or snap.segment.deleted_at is not None or not snap.sha256:
            return None
        if thumb:
            try:
                return _thumbnail(snap.sha256), "image/jpeg"
            except LookupError:
                return None
        blob = DiaryBlob.get_or_none(DiaryBlob.sha256 == snap.sha256)
        if blob is None:
            return None
        return bytes(blob.data), snap.mime or "application/octet-stream"

    # --- edits (each refuses with edits.PageRefusal, which is ui.diary_store.Refused) -------

    def set_memo_label(self, ids: Sequence[str], memo: str | None, label: str | None) -> Saved:
        result = edits.set_memo_label(self.user, self.contract, ids, memo, label, self._now)
        return Saved(len(result.changed), len(result.kept))

    def plan_deletion(self, ids: Sequence[str]) -> DeletionPlan:
        return edits.plan_deletion(self.user, self.contract, ids, self._now)

    def delete(self, ids: Sequence[str]) -> DeletionPlan:
        return edits.delete_snapshots(self.user, self.contract, ids, self._now)

    def camera_delete(self, segment_id: str) -> None:
        edits.delete_camera_snapshot(self.user, self.contract, segment_id, self._now)

    def add_manual_time(self, start: datetime, end: datetime, memo: str, label: str | None) -> None:
        raise Refused(409, "Manual time is added in the Team app, where time is logged.")


@lru_cache(maxsize=512)
def _thumbnail(sha256: str) -> bytes:
    """A 320x180 JPEG of a stored snapshot (content-addressed, so a cache entry never goes
    stale); LookupError when its blob is missing (not remembered)."""
    from PIL import Image

    blob = DiaryBlob.get_or_none(DiaryBlob.sha256 == sha256)
    if blob is None:
        raise LookupError(sha256)
    with Image.open(BytesIO(bytes(blob.data))) as img:
        img = img.convert("RGB")
        img.thumbnail(THUMB_SIZE)
        out = BytesIO()
        img.save(out, "JPEG", quality=70)
    return out.getvalue()
