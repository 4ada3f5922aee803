"""What the shared Work Diary blueprint (:mod:`ui.diary_blueprint`) needs of a program.

Both programs show the same Work Diary over different data: the Team app over its local
cache (``web/diary_store.py``), the diary server over its own tables
(``diary_server/diary_store.py``). Each implements :class:`DiaryStore` for one contract, as
seen by one viewer, in one request; the blueprint holds the routes, the messages and the
htmx answers once.

A store refuses an edit by raising :class:`Refused` (``status`` 409 for a rule: lock, week
ended, deleted; 403 not this viewer's to change; 422 bad input) before anything changes.

Nothing here imports the programs (``web``, ``diary_server``, ``sync``, ``tracker``): they
import this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Protocol, overload, runtime_checkable

from flask import request

from core import refusal as core_refusal
from core.diary import DeletionPlan, SegmentRecord
from ui.diary_urls import DiaryUrls

MAX_SELECTION = 1008  # a whole week

SegmentId = Any  # an int on the Team app, a UUID string on the diary server


class BadInput(ValueError):
    """A malformed request (a bad date or time, a missing field): 422, nothing changes."""


class Refused(core_refusal.Refused):
    """A refused edit: ``status`` 409 (a rule), 403 (not this viewer's) or 422 (bad input);
    ``message`` is for people. Nothing changed."""

    def __init__(self, status: int, message: str):
        super().__init__(message, status=status)


@dataclass(frozen=True)
class Saved:
    """What a memo/label edit did: ``changed`` segments got a new value; ``kept`` kept a
    later edit made elsewhere (the last edit wins)."""

    changed: int
    kept: int = 0


@runtime_checkable
class DiaryStore(Protocol):
    """One contract's Work Diary for one viewer (the freelancer or the client)."""

    contract_id: int
    #: The program's diary URLs (:class:`ui.diary_urls.DiaryUrls`).
    urls: DiaryUrls
    #: ``ui.diary_view.FREELANCER`` or ``CLIENT``.
    viewer: str
    weekly_limit_hours: int | None
    currency: str | None

    def now(self) -> datetime:
        """The current time, aware UTC (the program's clock)."""

    def zones(self) -> tuple[tzinfo, tzinfo | None]:
        """The viewer's own time zone and the client's (None when unknown)."""

    def page_context(self) -> dict:
        """The program's part of the page: layout, title, urls, names, labels, manual_allowed."""

    def rate(self, week_start: datetime) -> str:
        """The contract's hourly rate that week, as text."""

    def records(
        self,
        start: datetime,
        end: datetime,
        *,
        minutes: bool = True,
        minutes_for: tuple[datetime, datetime] | None = None,
    ) -> list[SegmentRecord]:
        """Segments starting in ``[start, end)``, deleted ones included (see ``records_between``)."""

    def grid_records(self, start: datetime, end: datetime) -> list[SegmentRecord]:
        """The week grid's lighter records of ``[start, end)``."""

    def parse_ids(self, raw: Iterable[str] | str) -> list[SegmentId]:
        """Segment ids from a form; raises :class:`Refused` (422)."""

    def segment_start(self, segment_id: SegmentId) -> datetime | None:
        """When the contract's segment starts (aware UTC), None if it has no such segment."""

    def set_memo_label(self, ids: Sequence[SegmentId], memo: str | None, label: str | None) -> Saved:
        """Set memo and/or label (None keeps, "" clears); raises :class:`Refused`."""

    def plan_deletion(self, ids: Sequence[SegmentId]) -> DeletionPlan:
        """What deleting the selection's snapshots would do; refuses as :meth:`delete` would."""

    def delete(self, ids: Sequence[SegmentId]) -> DeletionPlan:
        """Delete the selection's snapshots and their time, all or nothing."""

    def camera_delete(self, segment_id: SegmentId) -> None:
        """Delete a segment's camera snapshot alone (its time stays)."""

    def snapshot(self, snapshot_id: str, *, thumb: bool) -> tuple[bytes, str] | None:
        """A live snapshot's image (or thumbnail) and its MIME type; None if there is none."""

    def add_manual_time(self, start: datetime, end: datetime, memo: str, label: str | None) -> None:
        """Add manual time (where the program has it); raises :class:`Refused`."""


# --- shared helpers ----------------------------------------------------------------------


def parse_ids(raw: Iterable[str] | str, one: Callable[[str], SegmentId]) -> list[SegmentId]:
    """Segment ids from a form (repeated fields or one comma-separated value), each checked
    by ``one`` (which returns the id or raises :class:`Refused`); duplicates dropped."""
    values = raw.split(",") if isinstance(raw, str) else [p for v in raw for p in str(v).split(",")]
    ids = [one(v) for v in (v.strip() for v in values) if v]
    if not ids:
        raise Refused(422, "Select at least one segment first.")
    if len(ids) > MAX_SELECTION:
        raise Refused(422, f"Select at most {MAX_SELECTION} segments at a time (a whole week).")
    return list(dict.fromkeys(ids))


@overload
def parse_date(raw: str, default: date) -> date: ...


@overload
def parse_date(raw: str, default: None) -> date | None: ...


def parse_date(raw: str, default: date | None) -> date | None:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"“{raw[:20]}” is not a date (YYYY-MM-DD).") from None


def param(name: str, default: str = "") -> str:
    """A form field on POST, else (or when empty) the query string's."""
    return (request.form.get(name) if request.method == "POST" else None) or request.args.get(name) or default


def is_htmx() -> bool:
    """A request made by htmx for a fragment (boosted links want whole pages)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
