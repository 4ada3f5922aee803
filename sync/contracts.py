"""The local copy of the signed-in user's contracts, and choosing the one to log time on.

The copy is replaced as a whole from the diary (a handful of rows), so a contract the client
ended or removed never lingers; when the diary cannot be reached, the copy stays as it was
and the picker keeps working from it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from core.rules import WEEK, minutes_within_weekly_limit, week_start
from models.local import Contract, get_state, local_db, set_state
from sync.account import current_account
from sync.credentials import TokenStore
from sync.diary_client import DiaryClient, DiaryError, NotSignedIn

log = logging.getLogger(__name__)

SELECTED_KEY = "selected_contract_id"
REFRESHED_KEY = "contracts_refreshed_at"
PROBLEM_KEY = "contracts_problem"
#: How often the poller asks the diary for contract changes (the issue allows a minute).
POLL_SECONDS = 30


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(UTC)


def store_contracts(diary_url: str, items: list[dict], complete: bool = True) -> bool:
    """Replace the local copy for ``diary_url``; return whether anything changed. With
    ``complete=False`` (contracts that came through the changes feed) only the given
    contracts are replaced and the others stay."""
    rows = [
        {
            "id": int(c["id"]),
            "diary_url": diary_url,
            "title": c["title"],
            "client_name": c["client"]["name"],
            "client_email": c["client"]["email"],
            "client_timezone": c["client"].get("timezone"),
            "freelancer_name": c["freelancer"]["name"],
            "hourly_rate": c["hourly_rate"],
            "currency": c["currency"],
            "next_hourly_rate": c.get("next_hourly_rate"),
            "next_rate_from": _parse_time(c.get("next_rate_from")),
            "weekly_limit_hours": c.get("weekly_limit_hours"),
            "manual_time_allowed": bool(c["manual_time_allowed"]),
            "status": c["status"],
            "activity_labels": json.dumps(list(c["activity_labels"])),
            "updated_at": _parse_time(c["updated_at"]),
        }
        for c in items
    ]
    with local_db.atomic():
        before = _row_keys(diary_url)
        gone = Contract.diary_url == diary_url
        if not complete:
            gone &= Contract.id.in_([r["id"] for r in rows])
        Contract.delete().where(gone).execute()
        if rows:
            Contract.insert_many(rows).execute()
        after = _row_keys(diary_url)
    return sorted(before) != sorted(after)


def _row_keys(diary_url: str) -> list[tuple]:
    # peewee's stubs keep the model as the row type after .dicts(): say what the rows are
    rows = cast("Iterable[dict]", Contract.select().where(Contract.diary_url == diary_url).dicts())
    return [_row_key(r) for r in rows]


def _row_key(row: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in row.items()))


@dataclass(frozen=True)
class RefreshResult:
    ok: bool
    changed: bool = False
    problem: str | None = None


def refresh_contracts(
    *, client_factory: Callable[..., DiaryClient], token_store: TokenStore, now: datetime
) -> RefreshResult:
    """Fetch the contracts of the signed-in account; on failure keep the copy and say why."""
    account = current_account()
    if account is None:
        return RefreshResult(False, problem="Not signed in.")
    token = token_store.get(account.diary_url)
    if not token:
        problem = "The sign-in token is missing on this computer. Sign out and sign in again."
        set_state(PROBLEM_KEY, problem)
        return RefreshResult(False, problem=problem)
    try:
        with client_factory(account.diary_url, token=token) as client:
            items = client.contracts()
    except NotSignedIn:
        problem = "The Work Diary no longer accepts this sign-in. Sign out and sign in again."
        set_state(PROBLEM_KEY, problem)
        return RefreshResult(False, problem=problem)
    except DiaryError as exc:
        set_state(PROBLEM_KEY, f"Offline: showing the contracts saved on this computer. ({exc})")
        return RefreshResult(False, problem=str(exc))
    changed = store_contracts(account.diary_url, items)
    set_state(REFRESHED_KEY, now.isoformat())
    set_state(PROBLEM_KEY, None)
    return RefreshResult(True, changed=changed)


# ---- choosing ------------------------------------------------------------------------------


def unavailable_reason(contract: Contract) -> str | None:
    """Why time cannot be logged on ``contract`` now (None when it can)."""
    if contract.status == "paused":
        return f"Paused by {contract.client_name}. You can log time again when they resume it."
    if contract.status == "ended":
        return "This contract has ended; it no longer accepts time."
    return None


@dataclass(frozen=True)
class PickerRow:
    contract: Contract
    week_minutes: int
    reason: str | None
    selected: bool

    @property
    def week_text(self) -> str:
        """Within the weekly limit, as billed (a minute over it is not shown as 1:01 of 1:00)."""
        billed = minutes_within_weekly_limit(0, self.week_minutes, self.contract.weekly_limit_hours)
        return f"{billed // 60}:{billed % 60:02d}"

    @property
    def limit_ratio(self) -> float | None:
        limit = self.contract.weekly_limit_hours
        return None if not limit else min(1.0, self.week_minutes / (limit * 60))


def week_minutes(contract_id: int, now: datetime) -> int:
    """Billable minutes logged on this computer for the contract in the current work week."""
    from models.segments import billable_minutes_between

    start = week_start(now)
    return billable_minutes_between(contract_id, start, start + WEEK)


def picker_rows(diary_url: str, now: datetime) -> list[PickerRow]:
    selected = selected_contract_id()
    # Raw SQL: the picker is part of every render of the main screen.
    contracts = Contract.raw(
        "SELECT * FROM contract WHERE diary_url = ? ORDER BY status != 'active', status != 'paused', title",
        diary_url,
    )
    return [PickerRow(c, week_minutes(c.id, now), unavailable_reason(c), c.id == selected) for c in contracts]


def selected_contract_id() -> int | None:
    value = get_state(SELECTED_KEY)
    return int(value) if value else None


class ContractUnavailable(ValueError):
    pass


def select_contract(diary_url: str, contract_id: int) -> Contract:
    """Remember the contract to log time on; refuse one that cannot take time, saying why."""
    contract = Contract.get_or_none((Contract.diary_url == diary_url) & (Contract.id == contract_id))
    if contract is None:
        raise ContractUnavailable("That contract is not in your list; refresh and try again.")
    reason = unavailable_reason(contract)
    if reason:
        raise ContractUnavailable(reason)
    set_state(SELECTED_KEY, str(contract.id))
    return contract


class ContractPoller:
    """Refreshes the contract copy every ``interval`` seconds on a background thread.

    The thread only schedules; the work is :func:`refresh_contracts`, which tests call
    directly, so no test waits on this timer.
    """

    def __init__(self, refresh: Callable[[], RefreshResult], interval: float = POLL_SECONDS):
        self._refresh = refresh
        self._interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="contract-poller", daemon=True)

    def start(self) -> ContractPoller:
        self._thread.start()
        return self

    def poke(self) -> None:
        """Refresh now (e.g. right after sign-in)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with local_db.connection_context():
                    self._refresh()
            except Exception:  # never let the poller die; the next round retries
                log.exception("contract refresh failed")
            self._wake.wait(self._interval)
            self._wake.clear()
