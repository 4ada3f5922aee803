"""The weekly invoicing cycle and its money, as pure rules (all instants aware UTC).

The week runs Monday 00:00 to Sunday 23:59:59 UTC. Monday 12:00 UTC it locks and its invoice
is issued; the client reviews it until Friday 23:59:59 UTC, after which an undisputed invoice
is approved by itself; the payment is marked released the Wednesday after. A dispute may be
answered for three days. Money is exact: :class:`~decimal.Decimal`, each line rounded half up
to the cent (:data:`ROUNDING_RULE`, printed on every invoice), the total the sum of the lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from core.rules import WEEK, to_utc, week_end, week_lock_time, week_start

CENT = Decimal("0.01")
ROUNDING_RULE = (
    "Each line: billable minutes x hourly rate / 60, rounded half up to the cent; the total is the sum of the lines."
)
#: How long the freelancer has to answer a dispute before it is decided without them.
DISPUTE_ANSWER_TIME = timedelta(days=3)


# --- the calendar ---------------------------------------------------------------------------


def issue_time(week: datetime) -> datetime:
    """When the invoice of the week containing ``week`` is issued: at its lock."""
    return week_lock_time(week)


def review_end(week: datetime) -> datetime:
    """End (exclusive) of the client's review: the Saturday 00:00 UTC after the lock."""
    return week_end(week) + timedelta(days=5)


def release_time(week: datetime) -> datetime:
    """When an approved invoice's payment is marked released: the Wednesday after the review."""
    return review_end(week) + timedelta(days=4)


def dispute_answer_deadline(opened_at: datetime) -> datetime:
    return to_utc(opened_at) + DISPUTE_ANSWER_TIME


def weeks_due(last_issued_week: datetime | None, first_week: datetime, now: datetime) -> list[datetime]:
    """Week starts whose invoices are due at ``now`` and not yet issued, oldest first: every
    week after ``last_issued_week`` (or from ``first_week``) whose lock time has passed. A
    server that was down at Monday 12:00 catches up with every week it missed."""
    week = week_start(first_week) if last_issued_week is None else week_start(last_issued_week) + WEEK
    due = []
    while issue_time(week) <= to_utc(now):
        due.append(week)
        week += WEEK
    return due


def reminder_times(week: datetime, zone: ZoneInfo) -> list[datetime]:
    """When to remind the freelancer of unfinished segments before the lock, in UTC: Sunday
    18:00 and Monday 08:00 of their zone, each only if it comes before the lock (west of UTC-4
    Monday morning is after it) and after the week started."""
    start, lock = week_start(week), week_lock_time(week)
    sunday = (start + timedelta(days=6)).date()
    moments = [
        datetime.combine(sunday, time(18, 0), zone),
        datetime.combine(sunday + timedelta(days=1), time(8, 0), zone),
    ]
    return [to_utc(m) for m in moments if start <= to_utc(m) < lock]


# --- money ----------------------------------------------------------------------------------


def parse_rate(text: str) -> Decimal:
    """An hourly rate as exact money: more than 0, at most two decimals."""
    try:
        rate = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not rate.is_finite() or rate <= 0 or rate != rate.quantize(CENT):
        raise ValueError(f"an hourly rate is more than 0 with at most two decimals: {text!r}")
    return rate


def amount(minutes: int, rate: Decimal) -> Decimal:
    """The money for ``minutes`` at an hourly ``rate``, rounded half up to the cent."""
    return (Decimal(minutes) * rate / 60).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Line:
    day: date
    kind: str  # "logged" or "manual"
    minutes: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    week: datetime
    rate: Decimal
    currency: str
    lines: tuple[Line, ...]

    @property
    def minutes(self) -> int:
        return sum(line.minutes for line in self.lines)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def draft_invoice(
    week: datetime, rate: Decimal, currency: str, logged: Mapping[date, int], manual: Mapping[date, int]
) -> InvoiceDraft | None:
    """The invoice of a week from its billable minutes per UTC day (logged by the app, and
    manual time on lines of its own), or None when nothing is billable."""
    lines = []
    for kind, per_day in (("logged", logged), ("manual", manual)):
        for day in sorted(per_day):
            if per_day[day] > 0:
                lines.append(Line(day, kind, per_day[day], amount(per_day[day], rate)))
    lines.sort(key=lambda line: (line.day, line.kind != "logged"))
    return InvoiceDraft(week_start(week), rate, currency, tuple(lines)) if lines else None


def invoice_number(client_id: int, year: int, sequence: int) -> str:
    """Gap-free per client and year: ``C12-2026-0001``."""
    return f"C{client_id}-{year}-{sequence:04d}"
