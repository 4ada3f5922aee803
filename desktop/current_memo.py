"""The current memo: what the freelancer said they are working on, and its Activity label.

One memo and one label at a time, kept in the cache's app state (so they survive a restart):
saving them applies them to the segment being logged and to every segment after it until
they change. Saved while logging is off, the segment logging resumes into may already hold
the old memo (time logged earlier in those 10 minutes), so a flag says that the next
segment written takes the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from models import segments as seg_store
from models.capture_store import CaptureSegment
from models.local import Contract, get_state, local_db, set_state

MEMO_KEY = "memo"
LABEL_KEY = "label"
#: Set when the memo was saved while logging was off; the next segment written takes it.
MEMO_PENDING_KEY = "memo_pending"


def current() -> tuple[str, str]:
    """(memo, label); empty strings when none is set."""
    return get_state(MEMO_KEY, "") or "", get_state(LABEL_KEY, "") or ""


def save(memo: str, label: str, contract: Contract | None, status, now: datetime) -> None:
    """Remember the memo and label and put them on the segment being logged, if any
    (``status`` is the capture loop's); refused with ``EditRefused`` like any memo edit."""
    memo = seg_store.validate_memo(memo)
    if label and contract is not None and label not in contract.labels:
        raise seg_store.EditRefused(f"“{label}” is not one of this contract's Activity labels.")
    with local_db.atomic():
        set_state(MEMO_KEY, memo or None)
        set_state(LABEL_KEY, label or None)
        if status.logging and status.segment is not None:
            seg_store.apply_memo(status.contract_id, status.segment, memo, label, now)
            set_state(MEMO_PENDING_KEY, None)
        else:
            # Saved while off: the segment logging resumes into may already hold the old
            # memo (time logged earlier in those 10 minutes); it gets this one (fill_new_segment).
            set_state(MEMO_PENDING_KEY, "1")


def fill_new_segment(update, segment_id: int, contract_lookup: Callable[[int], Contract | None], now: datetime) -> None:
    """Sink hook, inside the segment's write transaction: a new segment gets the memo."""
    memo, label = current()
    if label:
        # The label was chosen for the contract selected then; another contract may not
        # have it, and the diary would refuse the segment ("not one of its labels").
        contract = contract_lookup(update.contract_id)
        if contract is None or label not in contract.labels:
            label = ""
    if get_state(MEMO_PENDING_KEY):
        set_state(MEMO_PENDING_KEY, None)
        seg_store.apply_memo(update.contract_id, update.segment, memo, label, now)
        return
    if memo or label:
        CaptureSegment.update(memo=memo or None, label=label or None).where(
            (CaptureSegment.id == segment_id) & CaptureSegment.memo.is_null() & CaptureSegment.label.is_null()
        ).execute()
