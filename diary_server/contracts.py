"""Hourly contracts: who may see and change what, and how changes take effect.

Used by the JSON API and the web pages alike, so both enforce the same rules. Every failure
is a ContractError with a stable code, a message for people and the HTTP status it maps to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import peewee

from core.refusal import Refused
from core.rules import week_end, week_start
from diary_server.accounts import normalize_email
from diary_server.contract_reads import (  # noqa: F401
    contract_by_id,
    contracts_json_by_id,
    format_rate,
    rates_at,
    visible_contracts_json,
)
from diary_server.models import ActivityLabel, Contract, ContractRate, User, diary_db

MAX_RATE_CENTS = 99_999_999  # 999,999.99 an hour
MAX_LABELS = 30
MAX_LABEL_LENGTH = 60
MAX_TITLE_LENGTH = 120
MAX_WEEKLY_LIMIT = 168
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "INR", "JPY", "PLN", "BRL")
_RATE = re.compile(r"^\d{1,6}(\.\d{1,2})?$")

#: Which status each status may move to (ended is final).
MAX_ID = 2**31 - 1

TRANSITIONS = {"active": {"paused", "ended"}, "paused": {"active", "ended"}, "ended": set()}


class ContractError(Refused):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message, status=status, code=code, field=field)


# ---- pure input rules ---------------------------------------------------------------------


def parse_rate(raw: str | int | float | Decimal) -> int:
    """``"25"``, ``"25.5"``, ``"25.50"`` -> cents. Refuses more than two decimals or <= 0."""
    text = str(raw).strip().replace(",", "") if not isinstance(raw, bool) else ""
    if not _RATE.match(text):
        raise ContractError(422, "invalid_rate", "Enter the hourly rate as an amount like 25 or 25.50.", "hourly_rate")
    try:
        cents = int((Decimal(text) * 100).to_integral_exact())
    except InvalidOperation:
        raise ContractError(
            422, "invalid_rate", "Enter the hourly rate as an amount like 25.50.", "hourly_rate"
        ) from None
    if cents <= 0 or cents > MAX_RATE_CENTS:
        raise ContractError(
            422, "invalid_rate", "The hourly rate must be above 0 and at most 999999.99.", "hourly_rate"
        )
    return cents


def parse_weekly_limit(raw: str | int | None) -> int | None:
    """Whole hours 1-168, or None for "no limit" (empty, "none", "no limit")."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "no limit", "unlimited")):
        return None
    try:
        hours = int(str(raw).strip()) if not isinstance(raw, bool) else -1
    except ValueError:
        hours = -1
    if not 1 <= hours <= MAX_WEEKLY_LIMIT:
        raise ContractError(
            422, "invalid_limit", "The weekly limit is whole hours from 1 to 168, or no limit.", "weekly_limit_hours"
        )
    return hours


def parse_labels(raw: list[str] | str) -> list[str]:
    """Labels from a list or from text with one label per line; trimmed, de-duplicated, ordered."""
    items = raw.splitlines() if isinstance(raw, str) else list(raw)
    labels: list[str] = []
    seen = set()
    for item in items:
        name = " ".join(str(item).split())
        if not name:
            continue
        if len(name) > MAX_LABEL_LENGTH:
            raise ContractError(
                422, "invalid_labels", f"Activity labels are at most {MAX_LABEL_LENGTH} characters.", "activity_labels"
            )
        if name.lower() not in seen:
            seen.add(name.lower())
            labels.append(name)
    if len(labels) > MAX_LABELS:
        raise ContractError(
            422, "invalid_labels", f"A contract has at most {MAX_LABELS} Activity labels.", "activity_labels"
        )
    return labels


def parse_title(raw: str) -> str:
    title = " ".join((raw or "").split())
    if not title or len(title) > MAX_TITLE_LENGTH:
        raise ContractError(422, "invalid_title", "Give the contract a title (up to 120 characters).", "title")
    return title


def parse_currency(raw: str) -> str:
    code = (raw or "USD").strip().upper()
    if code not in CURRENCIES:
        raise ContractError(422, "invalid_currency", f"Currency must be one of {', '.join(CURRENCIES)}.", "currency")
    return code


def next_week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC after ``now``: when a rate change starts."""
    return week_end(now)


def this_week_start(now: datetime) -> datetime:
    return week_start(now)


# ---- queries and authorization ------------------------------------------------------------


def visible_contracts(user: User) -> peewee.ModelSelect:
    """The contracts ``user`` is a party to; nobody sees anyone else's."""
    field = Contract.client if user.role == "client" else Contract.freelancer
    return Contract.select().where(field == user.id).order_by(Contract.status != "active", Contract.created_at.desc())


def get_visible(user: User, contract_id: int) -> Contract:
    """The contract if ``user`` is a party, else 404 (others' contracts do not exist for them)."""
    if not 1 <= contract_id <= MAX_ID:
        raise ContractError(404, "not_found", "No such contract.")
    contract = contract_by_id(contract_id)
    if contract is None or user.id not in (contract.client_id, contract.freelancer_id):
        raise ContractError(404, "not_found", "No such contract.")
    return contract


def get_for_client_change(user: User, contract_id: int) -> Contract:
    contract = get_visible(user, contract_id)
    if contract.client_id != user.id:
        raise ContractError(403, "forbidden", "Only the client who hired can change this contract.")
    return contract


# ---- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateInfo:
    current_cents: int
    next_cents: int | None
    next_from: datetime | None


def rate_info(contract: Contract, now: datetime, rates: list[ContractRate] | None = None) -> RateInfo:
    if rates is None:
        rates = list(ContractRate.select().where(ContractRate.contract == contract.id))
    current, upcoming = rates_at([(r.effective_from, r.rate_cents) for r in rates], now)
    return RateInfo(current, upcoming[1] if upcoming else None, upcoming[0] if upcoming else None)


def active_labels(contract: Contract) -> list[str]:
    query = ActivityLabel.select().where(
        (ActivityLabel.contract == contract.id) & (ActivityLabel.archived == False)  # noqa: E712
    )
    return [label.name for label in query.order_by(ActivityLabel.position)]


def contracts_json(contracts: list[Contract], now: datetime) -> list[dict]:
    """The API form of many contracts, in their order, in three queries whatever their number."""
    by_id = {c["id"]: c for c in contracts_json_by_id([c.id for c in contracts], now)}
    return [by_id[c.id] for c in contracts]


def contract_json(contract: Contract, now: datetime) -> dict:
    return contracts_json([contract], now)[0]


# ---- changing -----------------------------------------------------------------------------


def create_contract(
    client: User,
    *,
    freelancer_email: str,
    title: str,
    hourly_rate,
    currency: str = "USD",
    weekly_limit_hours=None,
    manual_time_allowed: bool = False,
    activity_labels=(),
    now: datetime,
) -> Contract:
    if client.role != "client":
        raise ContractError(403, "forbidden", "Only clients can create contracts.")
    title = parse_title(title)
    cents = parse_rate(hourly_rate)
    currency = parse_currency(currency)
    limit = parse_weekly_limit(weekly_limit_hours)
    labels = parse_labels(activity_labels)
    freelancer = User.get_or_none(User.email == normalize_email(freelancer_email or "")[:254])
    if freelancer is None or freelancer.role != "freelancer":
        raise ContractError(
            422,
            "unknown_freelancer",
            "No freelancer has an account with that e-mail. Ask them to sign up first.",
            "freelancer_email",
        )
    with diary_db.atomic():
        contract = Contract.create(
            client=client,
            freelancer=freelancer,
            title=title,
            currency=currency,
            weekly_limit_hours=limit,
            manual_time_allowed=bool(manual_time_allowed),
            status="active",
            created_at=now,
            updated_at=now,
        )
        ContractRate.create(contract=contract, rate_cents=cents, effective_from=this_week_start(now))
        _set_labels(contract, labels)
    return contract


def update_contract(user: User, contract_id: int, changes: dict, now: datetime) -> Contract:
    """Apply a client's edit, in one transaction with the checks (callers need none of their
    own). A new rate starts next work week; the rest applies at once."""
    with diary_db.atomic():
        contract = get_for_client_change(user, contract_id)
        if contract.status == "ended":
            raise ContractError(409, "contract_ended", "This contract has ended and can no longer be changed.")
        if "title" in changes:
            contract.title = parse_title(changes["title"])
        if "weekly_limit_hours" in changes:
            contract.weekly_limit_hours = parse_weekly_limit(changes["weekly_limit_hours"])
        if "manual_time_allowed" in changes:
            contract.manual_time_allowed = bool(changes["manual_time_allowed"])
        if "hourly_rate" in changes:
            cents = parse_rate(changes["hourly_rate"])
            starts = next_week_start(now)
            if cents == rate_info(contract, now).current_cents:
                # Back to the current rate: cancel a pending change instead of adding one.
                ContractRate.delete().where(
                    (ContractRate.contract == contract.id) & (ContractRate.effective_from > now)
                ).execute()
            else:
                (
                    ContractRate.insert(contract=contract, rate_cents=cents, effective_from=starts)
                    .on_conflict(
                        conflict_target=[ContractRate.contract, ContractRate.effective_from],
                        update={ContractRate.rate_cents: cents},
                    )
                    .execute()
                )
        if "activity_labels" in changes:
            _set_labels(contract, parse_labels(changes["activity_labels"]))
        contract.updated_at = now
        contract.save(only=contract.dirty_fields)  # (the changed columns: composing all cost more)
    return contract


def change_status(user: User, contract_id: int, status: str, now: datetime) -> Contract:
    contract = get_for_client_change(user, contract_id)
    if status not in TRANSITIONS:
        raise ContractError(422, "invalid_status", "Status must be active, paused or ended.", "status")
    if status == contract.status:
        return contract
    if status not in TRANSITIONS[contract.status]:
        raise ContractError(409, "contract_ended", "This contract has ended; it cannot be resumed or paused.")
    contract.status = status
    contract.updated_at = now
    if status == "ended":
        contract.ended_at = now
    contract.save()
    return contract


def _set_labels(contract: Contract, labels: list[str]) -> None:
    """Make ``labels`` the contract's active list, archiving removed ones (segments may use them)."""
    existing = {
        label.name.lower(): label for label in ActivityLabel.select().where(ActivityLabel.contract == contract.id)
    }
    wanted = {name.lower() for name in labels}
    for key, label in existing.items():
        if key not in wanted and not label.archived:
            label.archived = True
            label.save()
    for position, name in enumerate(labels):
        label = existing.get(name.lower())
        if label is None:
            ActivityLabel.create(contract=contract, name=name, position=position, archived=False)
        else:
            label.name, label.position, label.archived = name, position, False
            label.save()
