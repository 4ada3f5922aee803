"""What the main screen shows beyond the database (prompts, messages, pending reviews): the
controller's state, read by the views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Review:
    image_id: int
    segment: datetime
    contract_id: int
    deadline: datetime


@dataclass
class UiState:
    """Everything the main screen shows beyond the database: prompts and messages."""

    reviews: dict[int, Review] = field(default_factory=dict)
    reminder_at: datetime | None = None
    idle: tuple[datetime, datetime] | None = None
    #: (contract id, text): shown only while that contract is the selected one.
    limit_message: tuple[int, str] | None = None
    limit_warning: tuple[int, str] | None = None
    stop_message: str | None = None
    #: The answer to the freelancer's last action; kept until the next minute tick so that
    #: pushes of the same screen part do not wipe it.
    flash: str | None = None
    flash_error: str | None = None
    #: Logging was on when the app stopped unexpectedly: what happened at this start.
    resume_message: str | None = None
    #: Something found wrong with the stored data at start (e.g. snapshot files moved aside).
    start_notice: str | None = None
