"""Both roles end to end: a client hires on the diary server's pages, and the freelancer
picks that contract in the Team app; a pause on the diary reaches the app's picker."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_team_app import open_signin, sign_out_quietly, submit_signin

EMBEDDED_RE = re.compile(r"Embedded Work Diary running at (http://127\.0\.0\.1:\d+)/")


@pytest.fixture(autouse=True)
def signed_out(team_app):
    sign_out_quietly(team_app)
    yield
    sign_out_quietly(team_app)


def diary_sign_in(page: Page, diary_url: str, email: str, password: str) -> None:
    page.goto(diary_url + "/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your contracts")).to_be_visible()


def test_client_hires_and_the_freelancer_picks_it_in_the_team_app(browser: Browser, team_app, screenshot):
    diary_url = EMBEDDED_RE.search(team_app.server.output()).group(1)
    client, freelancer = team_app.demo["client"], team_app.demo["freelancer"]

    # The client, on the diary server's pages.
    client_page = browser.new_page()
    diary_sign_in(client_page, diary_url, client.email, client.password)
    client_page.get_by_role("link", name="New hourly contract").click()
    client_page.get_by_label("Freelancer's e-mail").fill(freelancer.email)
    client_page.get_by_label("Contract title").fill("Logo and brand kit")
    client_page.get_by_label("Hourly rate").fill("42.50")
    client_page.get_by_label("Weekly limit").fill("15")
    client_page.get_by_label("Activity labels").fill("Sketching\nVector work\nClient calls")
    screenshot(client_page, "diary-new-contract-filled")
    client_page.get_by_role("button", name="Create contract").click()
    expect(client_page.get_by_role("status")).to_contain_text("Contract created")
    expect(client_page.locator("dl")).to_contain_text("42.50 USD")
    screenshot(client_page, "diary-contract-created")
    contract_url = client_page.url

    # The freelancer, in the Team app: the new contract is in the picker at once.
    team_page = browser.new_page()
    open_signin(team_page, team_app)
    submit_signin(team_page, freelancer.email, freelancer.password)
    picker = team_page.locator("#picker")
    expect(picker).to_contain_text("Logo and brand kit")
    expect(picker).to_contain_text("42.50 USD/h")
    expect(picker).to_contain_text("of 15:00")
    picker.locator(".contract-choice", has_text="Logo and brand kit").click()
    expect(team_page.locator("#current-contract")).to_have_text("Logo and brand kit")
    expect(team_page.get_by_label("Activity label")).to_contain_text("Vector work")
    screenshot(team_page, "team-picker-new-contract")

    # The client pauses it; the freelancer's app says why it cannot log.
    client_page.goto(contract_url)
    client_page.get_by_role("button", name="Pause").click()
    expect(client_page.locator("h1 .status")).to_have_text("Paused")
    team_page.get_by_role("button", name="Refresh").click()
    expect(picker).to_contain_text("Paused by Dana Client")
    team_page.locator("#logging-switch").click()
    expect(team_page.locator("#panel-error")).to_contain_text("is paused")
    expect(team_page.locator("#logging-switch")).to_have_attribute("aria-checked", "false")
    screenshot(team_page, "team-picker-paused")

    # End it so later tests see only the demo contract as selectable.
    client_page.goto(contract_url)
    client_page.get_by_role("button", name="End contract").click()
    expect(client_page.locator("h1 .status")).to_have_text("Ended")
    client_page.close()
    team_page.close()
