"""The diary server's invoice pages in Chromium (issue 15): the client finds the week's invoice
from the contract page, reads its lines and approves it; the freelancer sees it approved.
The diary runs in-process on a real threaded server with the test clock (tests/conftest.py
``served``), so the week is logged, locked and invoiced without waiting for a Monday."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_contracts_flow import diary_sign_in
from tests.integration.invoice_kit import ISSUE1, log_first_week, make_diary
from tests.integration.sync.helpers import PASSWORD


@pytest.mark.parametrize("diary_database_url", ["sqlite"], indirect=True)
def test_client_approves_the_weeks_invoice_and_the_freelancer_sees_it(
    page: Page, browser, diary_app, make_user, clock, served, screenshot
):
    d = make_diary(diary_app, make_user, clock)
    log_first_week(d)
    d.issue(ISSUE1 + timedelta(hours=2))
    diary_sign_in(page, served, "client@example.com", PASSWORD)
    page.goto(served + f"/contracts/{d.contract}")
    page.locator("#open-invoices").click()
    expect(page.get_by_role("heading", name="Invoices of Website")).to_be_visible()
    screenshot(page, "diary-invoices-contract")
    page.goto(served + "/invoices")
    rows = page.get_by_role("table", name="Invoices").locator("tbody tr")
    expect(rows).to_have_count(2)
    screenshot(page, "diary-invoices")
    page.get_by_role("link", name=f"C{d.client_id}-2026-0001").click()
    expect(page.locator("#invoice-total")).to_have_text("50.83 USD")
    expect(page.get_by_text("Manual time")).to_be_visible()
    expect(page.get_by_text("Tue 24 Nov")).to_have_count(2)
    screenshot(page, "diary-invoice-in-review")
    page.locator("#approve").click()
    expect(page.get_by_role("status")).to_contain_text("Invoice approved")
    expect(page.locator("#approve")).to_have_count(0)
    screenshot(page, "diary-invoice-approved")
    freelancer = browser.new_page()
    try:
        diary_sign_in(freelancer, served, "free@example.com", PASSWORD)
        freelancer.goto(served + "/invoices")
        freelancer.get_by_role("link", name=f"C{d.client_id}-2026-0001").click()
        expect(freelancer.get_by_text("Approved by the client")).to_be_visible()
        expect(freelancer.locator("#approve")).to_have_count(0)
        screenshot(freelancer, "diary-invoice-freelancer")
    finally:
        freelancer.close()
