"""Contracts in their API form, read with three plain queries whatever their number.

The contract list is the Team app's most frequent authenticated read. Built through peewee's
query builder and model rows, then dumped by marshmallow, twenty contracts cost ~6 ms of
CPU, most of it composing SQL and making objects; here the SQL is written once, rows stay
tuples, and each column goes through its field's ``python_value`` only (so a stored format
is read as the models read it). The answers hold exactly ContractOut's fields (the API tests
check them against the OpenAPI document).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from diary_server.models import ActivityLabel, Contract, ContractRate, User, diary_db

_CONTRACTS = (
    "SELECT c.id, c.title, c.currency, c.weekly_limit_hours, c.manual_time_allowed, c.status, c.created_at,"
    " c.updated_at, cl.id, cl.name, cl.email, cl.timezone, fr.id, fr.name, fr.email, fr.timezone"
    " FROM contracts c JOIN users cl ON cl.id = c.client_id JOIN users fr ON fr.id = c.freelancer_id"
)
#: Active contracts first, the newest first (as ``contracts.visible_contracts`` orders them).
_VISIBLE_ORDER = " ORDER BY c.status <> 'active', c.created_at DESC"


_CONTRACT_FIELDS = tuple(Contract._meta.fields.items())
_CONTRACT_COLUMNS = ", ".join(field.column_name for _, field in _CONTRACT_FIELDS)


def contracts_by_id(ids: list[int]) -> dict[int, Contract]:
    """Contract rows as models, by id: one plain statement (``Contract.get_or_none`` and
    ``select().where(...)`` compose their SQL anew on every call, which cost more than running
    it)."""
    if not ids:
        return {}
    db = diary_db.obj
    marks = ", ".join([db.param] * len(ids))
    found = {}
    for row in db.execute_sql(f"SELECT {_CONTRACT_COLUMNS} FROM contracts WHERE id IN ({marks})", list(ids)):  # noqa: S608
        contract = Contract(
            **{name: field.python_value(v) for (name, field), v in zip(_CONTRACT_FIELDS, row, strict=True)}
        )
        contract._dirty.clear()  # (a row as read, as peewee's own select leaves it)
        found[contract.id] = contract
    return found


def contract_by_id(contract_id: int) -> Contract | None:
    return contracts_by_id([contract_id]).get(contract_id)


def label_names_by_contract(ids: list[int]) -> dict[int, set[str]]:
    """Every label name of these contracts, archived ones too (segments may still carry them)."""
    if not ids:
        return {}
    db = diary_db.obj
    marks = ", ".join([db.param] * len(ids))
    found: dict[int, set[str]] = {}
    for contract_id, name in db.execute_sql(
        f"SELECT contract_id, name FROM activity_labels WHERE contract_id IN ({marks})",  # noqa: S608
        list(ids),
    ):
        found.setdefault(contract_id, set()).add(name)
    return found


def format_rate(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def visible_contracts_json(user: User, now: datetime) -> list[dict]:
    """The API form of the contracts ``user`` is a party to."""
    column = "c.client_id" if user.role == "client" else "c.freelancer_id"
    param = diary_db.obj.param
    return _contracts(f"{_CONTRACTS} WHERE {column} = {param}{_VISIBLE_ORDER}", [user.id], now)


def contracts_json_by_id(ids: list[int], now: datetime) -> list[dict]:
    """The API form of the contracts with these ids, by id."""
    if not ids:
        return []
    marks = ", ".join([diary_db.obj.param] * len(ids))
    return _contracts(f"{_CONTRACTS} WHERE c.id IN ({marks}) ORDER BY c.id", list(ids), now)


def _contracts(sql: str, params: list, now: datetime) -> list[dict]:
    db = diary_db.obj
    rows = db.execute_sql(sql, params).fetchall()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    marks = ", ".join([db.param] * len(ids))
    rates: dict[int, list[tuple[datetime, int]]] = {i: [] for i in ids}
    from_value = ContractRate.effective_from.python_value
    # (only placeholders are formatted into these statements: every value is a parameter)
    sql = f"SELECT contract_id, rate_cents, effective_from FROM contract_rates WHERE contract_id IN ({marks})"  # noqa: S608
    for contract_id, cents, effective_from in db.execute_sql(sql, ids):
        rates[contract_id].append((from_value(effective_from), cents))
    labels: dict[int, list[str]] = {i: [] for i in ids}
    sql = f"SELECT contract_id, name FROM activity_labels WHERE contract_id IN ({marks}) AND archived = {db.param}"  # noqa: S608
    for contract_id, name in db.execute_sql(
        f"{sql} ORDER BY position, id", [*ids, ActivityLabel.archived.db_value(False)]
    ):
        labels[contract_id].append(name)
    created, updated, manual = Contract.created_at.python_value, Contract.updated_at.python_value, bool
    result = []
    for row in rows:
        current, upcoming = rates_at(rates[row[0]], now)
        result.append(
            {
                "id": row[0],
                "title": row[1],
                "client": {"id": row[8], "name": row[9], "email": row[10], "timezone": zone_name(row[11])},
                "freelancer": {"id": row[12], "name": row[13], "email": row[14], "timezone": zone_name(row[15])},
                "hourly_rate": format_rate(current),
                "currency": row[2],
                "next_hourly_rate": format_rate(upcoming[1]) if upcoming else None,
                "next_rate_from": upcoming[0] if upcoming else None,
                "weekly_limit_hours": row[3],
                "manual_time_allowed": manual(row[4]),
                "status": row[5],
                "activity_labels": labels[row[0]],
                "created_at": created(row[6]),
                "updated_at": updated(row[7]),
            }
        )
    return result


def rates_at(rates: list[tuple[datetime, int]], now: datetime) -> tuple[int, tuple[datetime, int] | None]:
    """Of a contract's ``(effective_from, cents)`` rates: the one in effect at ``now`` (the
    earliest if none has started yet) and the latest upcoming one (a change takes effect from
    the next work week)."""
    rates = sorted(rates, key=lambda r: r[0])
    started = [r for r in rates if r[0] <= now]
    upcoming = [r for r in rates if r[0] > now]
    return (started[-1] if started else rates[0])[1], (upcoming[-1] if upcoming else None)


@lru_cache(maxsize=1024)
def zone_name(name: str | None) -> str:
    """The account's IANA zone as the API shows it (UTC for one this machine does not know)."""
    try:
        return ZoneInfo(name or "UTC").key
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
