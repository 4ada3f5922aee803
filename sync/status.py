"""The upload state in words, for the status line (read from the outbox and a few app_state keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from models import segments
from models.local import get_state
from sync import outbox
from sync.sync_state import OFFLINE_KEY, PROBLEM_KEY, SERVER_ERROR_KEY


@dataclass(frozen=True)
class ProblemGroup:
    """Items refused for the same reason, shown as one line."""

    message: str
    count: int
    first_start: datetime | None


def group_problems(problems: list[outbox.Problem]) -> list[ProblemGroup]:
    groups: dict[str, list[outbox.Problem]] = {}
    for problem in problems:
        groups.setdefault(problem.message, []).append(problem)
    return [
        ProblemGroup(message, len(items), min((p.segment_start for p in items if p.segment_start), default=None))
        for message, items in groups.items()
    ]


@dataclass(frozen=True)
class SyncStatus:
    state: str  # "online", "uploading", "offline", "attention"
    words: str
    problems: list[ProblemGroup]
    lock_warning: str | None
    duplicates: int
    sign_in_problem: str | None


def sync_status(now: datetime, tz: tzinfo = UTC) -> SyncStatus:
    counts = outbox.counts(now)
    offline = get_state(OFFLINE_KEY)
    problem = get_state(PROBLEM_KEY)
    duplicates = segments.duplicate_count()
    server_error = get_state(SERVER_ERROR_KEY)
    waiting = f", {_items(counts.pending)} waiting" if counts.pending else ""
    if counts.attention:
        state, words = "attention", f"Needs attention: {_items(counts.attention)} the diary refused"
    elif server_error:
        state, words = "offline", f"The diary has a problem (HTTP {server_error}){waiting}; retrying"
    elif offline:
        since = since_words(datetime.fromisoformat(offline), now, tz)
        state, words = "offline", f"Offline since {since}{waiting}"
    elif counts.pending:
        state, words = "uploading", f"Uploading {_items(counts.pending)}"
    else:
        state, words = "online", "Online"
    lock_warning = None
    if counts.lock_warning:
        lock, lock_waiting = counts.lock_warning
        lock_warning = (
            f"{_items(lock_waiting)} of the week locking {lock.astimezone(tz).strftime('%a %H:%M')} "
            "still wait to upload: connect before then, or that time cannot be billed."
        )
    return SyncStatus(state, words, group_problems(counts.problems), lock_warning, duplicates, problem)


def since_words(moment: datetime, now: datetime, tz: tzinfo = UTC) -> str:
    """``04:51`` today; ``Tue 1 Dec 04:51`` on another day (in the user's zone)."""
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b %H:%M')}"


def _items(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"
