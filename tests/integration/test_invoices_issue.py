"""Issue 15's weekly cycle on the diary server: each week's invoice issued exactly once, with
the Work Diary's billed minutes and core.invoicing's money; catch-up after a downtime; gap-free
numbers; approval at the end of the review and release the Wednesday after. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core import invoicing
from tests.integration.invoice_kit import ISSUE1, WEEK1, log_first_week, make_diary


@pytest.fixture
def diary(diary_app, make_user, clock):
    return make_diary(diary_app, make_user, clock)


def _invoices(d):
    from diary_server.invoice_models import Invoice, InvoiceLine

    with d.db().connection_context():
        rows = list(Invoice.select().order_by(Invoice.number))
        lines = {
            i.id: list(
                InvoiceLine.select().where(InvoiceLine.invoice == i.id).order_by(InvoiceLine.day, InvoiceLine.kind)
            )
            for i in rows
        }
    return rows, lines


def test_nothing_is_issued_before_monday_noon(diary):
    log_first_week(diary)
    assert diary.issue(ISSUE1 - timedelta(microseconds=1)).issued == []
    assert _invoices(diary)[0] == []


def test_a_week_is_invoiced_per_day_from_what_the_diary_bills(diary):
    log_first_week(diary)
    result = diary.issue(ISSUE1)
    assert len(result.issued) == 2
    invoices, lines = _invoices(diary)
    main, limited = sorted(invoices, key=lambda i: i.contract_id)
    c = diary.client_id
    assert [main.number, limited.number] == [f"C{c}-2026-0001", f"C{c}-2026-0002"]
    assert (main.week_start, main.status, main.issued_at, main.currency) == (WEEK1, "issued", ISSUE1, "USD")
    assert [(ln.day.date().isoformat(), ln.kind, ln.minutes, ln.amount_cents) for ln in lines[main.id]] == [
        ("2026-11-23", "logged", 62, 2583),  # 62 x 25 / 60 = 25.8333...
        ("2026-11-24", "logged", 30, 1250),
        ("2026-11-24", "manual", 20, 833),  # 8.3333...
        ("2026-11-25", "logged", 10, 417),  # 4.1666...: the copy is not billed
    ]
    assert (main.minutes, main.amount_cents, main.rate_cents) == (122, 5083, 2500)
    assert main.rounding_rule == invoicing.ROUNDING_RULE
    for line in lines[main.id]:
        assert Decimal(line.amount_cents) / 100 == invoicing.amount(line.minutes, Decimal("25"))
    # The weekly limit of 1 hour: 90 minutes logged, 60 billed.
    assert [(ln.minutes, ln.amount_cents) for ln in lines[limited.id]] == [(60, 4000)]
    assert (limited.minutes, limited.amount_cents) == (60, 4000)


def test_the_rate_in_effect_that_week_is_billed(diary):
    from diary_server import contracts as svc
    from diary_server.models import User

    log_first_week(diary)
    with diary.db().connection_context():  # Sunday: a new rate from next Monday
        client = User.get_by_id(diary.client_id)
        svc.update_contract(client, diary.contract, {"hourly_rate": "30"}, diary.clock())
    diary.log_day(diary.contract, WEEK1 + timedelta(days=7), 6)  # 60 min in week 2
    diary.issue(WEEK1 + timedelta(days=14, hours=12))
    invoices, _ = _invoices(diary)
    main = sorted((i for i in invoices if i.contract_id == diary.contract), key=lambda i: i.week_start)
    assert [(i.rate_cents, i.amount_cents) for i in main] == [(2500, 5083), (3000, 3000)]


def test_issuing_again_changes_nothing(diary):
    log_first_week(diary)
    first = diary.issue(ISSUE1)
    again = diary.issue(ISSUE1 + timedelta(hours=1))
    assert len(first.issued) == 2 and again.issued == []
    assert len(_invoices(diary)[0]) == 2


def test_catch_up_after_a_downtime_issues_every_missed_week_in_order(diary_database_url, diary, tmp_path):
    """The server was down from before the first Monday noon until three weeks later: at
    start it issues every missed week, approves what was reviewed and releases what is due."""
    from diary_server import create_app

    log_first_week(diary)
    for week in (1, 2):  # time in weeks 2 and 3; week 4 has none
        diary.log_day(diary.contract, WEEK1 + timedelta(days=7 * week + 1), 3)
    restart = datetime(2026, 12, 21, 13, 0, tzinfo=UTC)  # week 4's Monday, after its noon
    diary.clock.now = restart
    create_app(
        {"DATA_DIR": tmp_path / "again", "DATABASE_URL": diary_database_url, "CLOCK": diary.clock, "TESTING": True}
    )
    invoices, _ = _invoices(diary)
    main = sorted((i for i in invoices if i.contract_id == diary.contract), key=lambda i: i.week_start)
    assert [i.week_start for i in main] == [WEEK1, WEEK1 + timedelta(days=7), WEEK1 + timedelta(days=14)]
    c = diary.client_id
    assert sorted(i.number for i in invoices) == [f"C{c}-2026-{n:04d}" for n in range(1, 5)]
    # Issued now (the server was down at the Monday noons), reviewed and released per the calendar.
    assert all(i.issued_at == restart for i in invoices)
    w1, w2, w3 = main
    assert (w1.status, w1.approved_at, w1.released_at) == ("released", restart, restart)
    assert (w2.status, w2.approved_at, w2.released_at) == ("released", restart, restart)
    assert (w3.status, w3.approved_at, w3.released_at) == ("approved", restart, None)  # late: no review left
    # Week 4 (this week) is due next Monday; the empty weeks are settled and not looked at again.
    assert diary.issue(restart + timedelta(days=1)).issued == []


def test_review_end_approves_and_wednesday_releases_with_their_dates(diary):
    log_first_week(diary)
    diary.issue(ISSUE1)
    review_end = invoicing.review_end(WEEK1)
    assert diary.issue(review_end - timedelta(microseconds=1)).approved == 0
    result = diary.issue(review_end + timedelta(hours=3))  # the server woke a little late
    assert result.approved == 2
    invoices, _ = _invoices(diary)
    assert {(i.status, i.approved_at, i.approved_by_id) for i in invoices} == {("approved", review_end, None)}
    release = invoicing.release_time(WEEK1)
    assert diary.issue(release - timedelta(seconds=1)).released == 0
    assert diary.issue(release).released == 2
    invoices, _ = _invoices(diary)
    assert {(i.status, i.released_at) for i in invoices} == {("released", release)}
    assert review_end == datetime(2026, 12, 5, tzinfo=UTC) and release == datetime(2026, 12, 9, tzinfo=UTC)


def test_the_scheduler_thread_wakes_at_the_next_moment_without_polling(diary):
    from diary_server.invoice_issue import next_moment
    from diary_server.invoice_scheduler import InvoiceScheduler

    assert next_moment(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == ISSUE1
    assert next_moment(ISSUE1) == datetime(2026, 12, 2, tzinfo=UTC)  # a Wednesday: release day
    assert next_moment(datetime(2026, 12, 2, tzinfo=UTC)) == datetime(2026, 12, 5, tzinfo=UTC)  # review ends
    log_first_week(diary)
    scheduler = InvoiceScheduler(diary.db(), diary.clock)
    scheduler.start()
    try:
        rounds = scheduler.rounds
        diary.clock.now = ISSUE1
        scheduler.wake()
        assert scheduler.wait_for_round(rounds)
    finally:
        scheduler.stop()
    assert len(_invoices(diary)[0]) == 2
