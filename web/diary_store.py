"""The Team app's Work Diary store: one contract of the local cache, for its freelancer.

The routes are the shared blueprint's (:mod:`ui.diary_blueprint`); this supplies the Team
app's side of :class:`ui.diary_store.DiaryStore`: records from the local cache
(:func:`models.diary_records.records_between`), edits through :mod:`models.diary_edits` (which
checks the rules and queues each change for upload), the app's capture clock, the
preferences' time zone and the Team app's URLs. Works offline: nothing here talks to the
diary server. The viewer is always the freelancer (the Team app is theirs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import url_for

from core import rules
from core.diary import DeletionPlan, SegmentRecord
from models import diary_edits, diary_records
from models import segments as seg_store
from models.capture_store import CaptureSegment
from models.local import Contract
from models.segments import EditRefused
from ui import diary_view as dv
from ui.diary_store import Refused, Saved, parse_ids
from ui.diary_urls import DiaryUrls

#: Words of the refusals that are rules (409) rather than bad input (422).
_RULE_WORDS = ("locked", "ended", "deleted", "does not allow", "already logged", "not exist")


class TeamDiaryUrls(DiaryUrls):
    """The Team app's diary routes; snapshots come from the main screen's snapshot route."""

    contract_arg = "contract"

    def _snapshot(self, image_id, **values) -> str:
        return url_for("logging.snapshot", image_id=image_id, **values)

    @property
    def manual(self) -> str:  # type: ignore[override]
        return self._url("manual")


def _refusal(exc: EditRefused, status: int | None = None) -> Refused:
    text = str(exc)
    return Refused(status or (409 if any(w in text for w in _RULE_WORDS) else 422), text)


def _segment_number(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise Refused(422, f"“{value[:20]}” is not a segment number.")
    return int(value)


def client_zone(contract: Contract) -> tzinfo | None:
    name = contract.client_timezone
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


class TeamDiaryStore:
    """:class:`ui.diary_store.DiaryStore` over the local cache, for ``contract`` of ``account``."""

    viewer = dv.FREELANCER

    def __init__(self, account, contract: Contract, *, now: Callable[[], datetime], data_dir: Path, local_tz):
        self.account = account
        self.contract = contract
        self.contract_id = contract.id
        self.urls = TeamDiaryUrls(contract.id)
        self.weekly_limit_hours = contract.weekly_limit_hours
        self.currency = contract.currency
        self._now = now
        self._data_dir = data_dir
        self._local_tz = local_tz

    # --- reading ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return rules.to_utc(self._now())

    def zones(self) -> tuple[tzinfo, tzinfo | None]:
        return self._local_tz, client_zone(self.contract)

    def page_context(self) -> dict:
        c = self.contract
        return {
            "layout": "base.html",
            "title": "Work Diary",
            "account": self.account,
            "contract_title": c.title,
            "client_name": c.client_name,
            "party": f"client {c.client_name}" if c.client_name else "",
            "contract_url": None,
            "freelancer_name": c.freelancer_name,
            "labels": diary_edits.labels_of(c),
            "manual_allowed": bool(c.manual_time_allowed),
        }

    def rate(self, week_start: datetime) -> str:
        """The contract's rate for that week (a changed rate applies from its next_rate_from)."""
        c = self.contract
        nxt = getattr(c, "next_hourly_rate", None)
        since = getattr(c, "next_rate_from", None)
        if nxt and since is not None and week_start >= since:
            return nxt
        return c.hourly_rate

    def records(self, start, end, *, minutes=True, minutes_for=None) -> list[SegmentRecord]:
        return diary_records.records_between(self.contract_id, start, end, minutes=minutes, minutes_for=minutes_for)

    def grid_records(self, start, end) -> list[SegmentRecord]:
        return diary_records.grid_records_between(self.contract_id, start, end)

    def parse_ids(self, raw: Iterable[str] | str) -> list[int]:
        return parse_ids(raw, _segment_number)

    def segment_start(self, segment_id: int) -> datetime | None:
        row = CaptureSegment.get_or_none(
            (CaptureSegment.id == segment_id) & (CaptureSegment.contract_id == self.contract_id)
        )
        return rules.to_utc(row.start) if row else None

    def snapshot(self, snapshot_id: str, *, thumb: bool) -> tuple[bytes, str] | None:
        """A snapshot file of this contract (the Team app serves them at ``logging.snapshot``)."""
        image = seg_store.image_by_id(int(snapshot_id)) if str(snapshot_id).isdigit() else None
        if image is None or image.path is None or image.segment.contract_id != self.contract_id:
            return None
        rel = image.thumb_path if thumb else image.path
        data_dir = self._data_dir.resolve()
        path = (data_dir / rel).resolve() if rel else data_dir
        if data_dir not in path.parents or not path.is_file():
            return None
        return path.read_bytes(), "image/jpeg" if rel.endswith(".jpg") else (image.mime or "application/octet-stream")

    # --- edits -----------------------------------------------------------------------------

    def set_memo_label(self, ids: Sequence[int], memo: str | None, label: str | None) -> Saved:
        labels = diary_edits.labels_of(self.contract)
        try:
            return Saved(diary_edits.set_memo_label(self.contract_id, labels, ids, memo, label, self.now()))
        except EditRefused as exc:
            raise _refusal(exc) from None

    def plan_deletion(self, ids: Sequence[int]) -> DeletionPlan:
        try:
            return diary_edits.plan_deletion(self.contract_id, ids, self.now())
        except EditRefused as exc:
            raise _refusal(exc) from None

    def delete(self, ids: Sequence[int]) -> DeletionPlan:
        try:
            return diary_edits.delete_snapshots(self.contract_id, ids, self._data_dir, self.now())
        except EditRefused as exc:
            raise _refusal(exc) from None

    def camera_delete(self, segment_id: int) -> None:
        start = self.segment_start(segment_id)
        if start is None or not rules.can_delete_snapshot(start, self.now()):
            raise Refused(409, "The work week of this snapshot has ended; it can no longer be deleted.")
        try:
            diary_edits.delete_camera_snapshot(self.contract_id, segment_id, self._data_dir, self.now())
        except EditRefused as exc:
            raise _refusal(exc, 409) from None

    def add_manual_time(self, start: datetime, end: datetime, memo: str, label: str | None) -> None:
        try:
            diary_edits.add_manual_time(
                self.contract_id,
                allowed=bool(self.contract.manual_time_allowed),
                labels=diary_edits.labels_of(self.contract),
                start=start,
                end=end,
                memo=memo,
                label=label,
                now=self.now(),
            )
        except EditRefused as exc:
            raise _refusal(exc, 409) from None
