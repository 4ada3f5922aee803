"""Logging that was on when the app died comes back on.

A crash, a kill or a power cut must not cost the freelancer the hours until they notice the
switch is off. While logging is on, a marker in the database says so and for which contract;
every way logging stops on purpose (the switch, the tray, the weekly limit, quitting) removes
it. A marker found at start therefore means the app stopped unexpectedly: logging starts
again on the same contract when the contract, the work week and the weekly limit still allow
it, and the screen says what happened and how much time was not logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from core import rules
from desktop.refusals import StartRefused
from models.local import get_state, local_db, set_state
from sync.status import since_words

log = logging.getLogger(__name__)

RUN_KEY = "logging_run"


@dataclass(frozen=True)
class UnfinishedRun:
    contract_id: int
    started: datetime


def mark_on(contract_id: int, now: datetime) -> None:
    set_state(RUN_KEY, json.dumps({"contract_id": contract_id, "started": now.astimezone(UTC).isoformat()}))


def mark_off() -> None:
    """Clear the marker: a stop on purpose. On a full disk this cannot be written; the app
    must still stop cleanly (the next start then resumes, which a user would not mind)."""
    try:
        set_state(RUN_KEY, None)
    except Exception:
        log.exception("could not clear the logging-run marker")


def unfinished_run() -> UnfinishedRun | None:
    raw = get_state(RUN_KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return UnfinishedRun(int(data["contract_id"]), datetime.fromisoformat(data["started"]).astimezone(UTC))
    except (ValueError, KeyError, TypeError):
        return None  # a marker this version cannot read: nothing to resume


def last_logged(contract_id: int, since: datetime) -> datetime:
    """The end of the time logged on the contract in that run (its start if nothing was)."""
    from models.capture_store import CaptureSegment

    value = local_db.execute_sql(
        "SELECT MAX(logged_until) FROM capture_segment WHERE contract_id = ?", (contract_id,)
    ).fetchone()[0]
    until = CaptureSegment.logged_until.python_value(value) if value is not None else None
    return max(since, until) if until is not None else since


def gap_words(stopped: datetime, now: datetime) -> str:
    minutes = max(0, int((now - stopped).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def resumed_message(stopped: datetime, now: datetime, tz: tzinfo) -> str:
    return (
        f"Logging resumed after the app stopped unexpectedly at {since_words(stopped, now, tz)} "
        f"({gap_words(stopped, now)} not logged)."
    )


def not_resumed_message(stopped: datetime, now: datetime, tz: tzinfo, reason: str) -> str:
    return f"Logging was on when the app stopped unexpectedly at {since_words(stopped, now, tz)}. {reason}"


def resume_after_unclean_stop(controller, tz: tzinfo) -> str | None:
    """Resume an unfinished run (see the module docstring); the words for the screen, or None.

    Call with a database connection open, once the controller's worker runs."""

    run = unfinished_run()
    if run is None:
        return None
    now = controller.clock.now()
    stopped = last_logged(run.contract_id, run.started)
    if rules.week_start(stopped) != rules.week_start(now):
        mark_off()
        return not_resumed_message(
            stopped, now, tz, "It was not switched on again because a new work week has started."
        )
    try:
        controller.start(run.contract_id)
    except StartRefused as exc:
        mark_off()
        return not_resumed_message(stopped, now, tz, f"It could not be switched on again: {exc}")
    return resumed_message(stopped, now, tz)
