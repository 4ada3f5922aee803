"""The weekly cycle on the diary server: issuing each contract's invoice for every due week
exactly once, then approving undisputed invoices when the review closes and marking them
released (the dates the rules name: ``core.invoicing``).

Exactly-once comes from the database, never from timing: settling a (contract, week) starts
by inserting its ``invoice_weeks`` row, whose primary key lets one transaction in; a racing
issuer (another thread, gunicorn worker or process on the same SQLite file) finds the row and
skips the week, and on PostgreSQL waits for the first one's commit to know. The invoice's
number comes from the client's counter row for the year, locked (``SELECT ... FOR UPDATE``;
SQLite's write lock is held from ``BEGIN IMMEDIATE``) and incremented in the same
transaction, so a rolled-back issue leaves no gap. The billable minutes are the Work Diary's
own (``ui.diary_view.annotate`` over ``diary_records.grid_records_between``): deleted and
duplicate time and minutes past the weekly limit are not billed, manual time is billed apart.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import peewee

from core import invoicing
from core.rules import WEEK, to_utc, week_start
from dbkit.fields import from_db, is_postgres_db, to_db
from diary_server.contracts import rate_info
from diary_server.diary_records import grid_records_between
from diary_server.invoice_models import Invoice, InvoiceLine, InvoiceWeek
from diary_server.models import Contract, diary_db
from ui.diary_view import annotate

log = logging.getLogger(__name__)

#: The cycle's moments relative to a week's start (the same for every week: UTC has no DST).
_MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
ISSUE_AFTER = invoicing.issue_time(_MONDAY) - _MONDAY
APPROVE_AFTER = invoicing.review_end(_MONDAY) - _MONDAY
RELEASE_AFTER = invoicing.release_time(_MONDAY) - _MONDAY


def cents(money: Decimal) -> int:
    return int((money * 100).to_integral_exact())


@dataclass
class CycleResult:
    """What one round of the cycle did (for logs and tests)."""

    issued: list[int] = field(default_factory=list)  # invoice ids
    approved: int = 0
    released: int = 0


def run_cycle(now: datetime) -> CycleResult:
    """Everything due at ``now``: issue, then approve, then release (a server back from a long
    downtime does all three for its oldest weeks in one round)."""
    result = CycleResult(issued=[i.id for i in issue_due_invoices(now)])
    result.approved = approve_due(now)
    result.released = release_due(now)
    return result


def issue_due_invoices(now: datetime) -> list[Invoice]:
    """Issue every due week's invoice of every contract (``core.invoicing.weeks_due``: each
    week whose lock has passed and that no issuer settled yet, oldest first). Idempotent and
    safe to run in many processes at once; returns the invoices this call issued."""
    now = to_utc(now)
    settled = {
        cid: from_db(last)
        for cid, last in InvoiceWeek.select(InvoiceWeek.contract, peewee.fn.MAX(InvoiceWeek.week_start))
        .group_by(InvoiceWeek.contract)
        .tuples()
    }
    issued = []
    query = Contract.select(Contract.id, Contract.created_at, Contract.ended_at).order_by(Contract.id)
    # Read whole before writing: a SELECT still being read holds a SQLite read snapshot, and a
    # write after another process's commit would fail at once ("database is locked").
    for contract_id, created_at, ended_at in list(query.tuples()):
        weeks = invoicing.weeks_due(settled.get(contract_id), from_db(created_at), now)
        if ended_at is not None:  # no time can be logged after the week it ended
            weeks = [w for w in weeks if w <= week_start(from_db(ended_at))]
        for week in weeks:
            try:
                invoice = settle_week(contract_id, week, now)
            except peewee.IntegrityError:  # another issuer's invoice won the unique key: it is issued
                log.info("invoice of contract %s, week %s: issued by another issuer", contract_id, week)
                continue
            if invoice is not None:
                issued.append(invoice)
    return issued


def settle_week(contract_id: int, week: datetime, now: datetime) -> Invoice | None:
    """Issue the invoice of one (contract, week) unless an issuer settled it already; None when
    it was settled before or nothing is billable."""
    db = diary_db
    pg = is_postgres_db(db)
    p = db.param
    with db.atomic():
        claimed = db.execute_sql(
            f"INSERT INTO invoice_weeks (contract_id, week_start, settled_at) VALUES ({p}, {p}, {p})"  # noqa: S608
            " ON CONFLICT DO NOTHING",
            (contract_id, to_db(week, pg), to_db(now, pg)),
        ).rowcount
        if claimed != 1:
            return None
        contract = Contract.get_by_id(contract_id)
        draft = draft_for(contract, week, now)
        if draft is None:
            return None
        issued_at = now
        year = invoicing.issue_time(week).year
        number = invoicing.invoice_number(contract.client_id, year, next_number(contract.client_id, year))
        invoice = Invoice.create(
            contract=contract_id,
            week_start=week,
            number=number,
            rate_cents=cents(draft.rate),
            currency=draft.currency,
            minutes=draft.minutes,
            amount_cents=cents(draft.total),
            rounding_rule=invoicing.ROUNDING_RULE,
            status="issued",
            issued_at=issued_at,
        )
        InvoiceLine.insert_many(
            [
                {
                    "invoice": invoice.id,
                    "day": week + timedelta(days=(line.day - week.date()).days),
                    "kind": line.kind,
                    "minutes": line.minutes,
                    "amount_cents": cents(line.amount),
                }
                for line in draft.lines
            ]
        ).execute()
        InvoiceWeek.update(invoice=invoice.id).where(
            (InvoiceWeek.contract == contract_id) & (InvoiceWeek.week_start == week)
        ).execute()
    return invoice


def draft_for(contract: Contract, week: datetime, now: datetime) -> invoicing.InvoiceDraft | None:
    """The week's invoice as the Work Diary bills it, at the rate in effect that week."""
    cells = annotate(
        grid_records_between(contract.id, week, week + WEEK), now=now, weekly_limit_hours=contract.weekly_limit_hours
    )
    logged: dict[date, int] = defaultdict(int)
    manual: dict[date, int] = defaultdict(int)
    for cell in cells:
        if cell.billed > 0:
            (manual if cell.record.manual else logged)[cell.start.date()] += cell.billed
    rate = Decimal(rate_info(contract, week).current_cents) / 100
    return invoicing.draft_invoice(week, rate, contract.currency, logged, manual)


def next_number(client_id: int, year: int) -> int:
    """The client's next invoice number in ``year``, inside the caller's transaction: the
    counter row is created if missing, locked, and incremented."""
    db = diary_db
    p = db.param
    db.execute_sql(
        f"INSERT INTO invoice_counters (client_id, year, last_number) VALUES ({p}, {p}, 0) ON CONFLICT DO NOTHING",  # noqa: S608
        (client_id, year),
    )
    lock = " FOR UPDATE" if is_postgres_db(db) else ""  # SQLite: the transaction holds the write lock
    (last,) = db.execute_sql(
        f"SELECT last_number FROM invoice_counters WHERE client_id = {p} AND year = {p}{lock}",  # noqa: S608
        (client_id, year),
    ).fetchone()
    db.execute_sql(
        f"UPDATE invoice_counters SET last_number = {p} WHERE client_id = {p} AND year = {p}",  # noqa: S608
        (last + 1, client_id, year),
    )
    return last + 1


def _due_weeks(status: str, after: timedelta, now: datetime) -> list[datetime]:
    query = (
        Invoice.select(Invoice.week_start)
        .where((Invoice.status == status) & (Invoice.week_start <= to_utc(now) - after))
        .distinct()
    )
    return sorted({i.week_start for i in query})


def approve_due(now: datetime) -> int:
    """Approve every issued invoice whose review closed (Friday 23:59:59 UTC), dated when it
    closed (or when the invoice was issued, for one issued late after a downtime)."""
    count = 0
    for week in _due_weeks("issued", APPROVE_AFTER, now):
        moment = invoicing.review_end(week)
        base = (Invoice.status == "issued") & (Invoice.week_start == week)
        count += (
            Invoice.update(status="approved", approved_at=moment).where(base & (Invoice.issued_at <= moment)).execute()
        )
        count += Invoice.update(status="approved", approved_at=Invoice.issued_at).where(base).execute()
    return count


def release_due(now: datetime) -> int:
    """Mark released every approved invoice whose release day came (the Wednesday after the
    review), dated then (or when it was approved, if that was later)."""
    count = 0
    for week in _due_weeks("approved", RELEASE_AFTER, now):
        moment = invoicing.release_time(week)
        base = (Invoice.status == "approved") & (Invoice.week_start == week)
        count += (
            Invoice.update(status="released", released_at=moment)
            .where(base & (Invoice.approved_at <= moment))
            .execute()
        )
        count += Invoice.update(status="released", released_at=Invoice.approved_at).where(base).execute()
    return count


def next_moment(now: datetime) -> datetime:
    """The first cycle moment after ``now`` (an issue, a review's end or a release day): when
    the scheduler wakes next."""
    now = to_utc(now)
    this_week = week_start(now)
    moments = [
        week + after
        for week in (this_week + WEEK * k for k in range(-3, 2))
        for after in (ISSUE_AFTER, APPROVE_AFTER, RELEASE_AFTER)
    ]
    return min(m for m in moments if m > now)
