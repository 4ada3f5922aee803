"""The Team app in a real browser: sign in and out against its embedded diary, the errors a
person meets on the sign-in page, and the locked page a browser sees without the launch key.

One Team app process serves the whole session, so every test starts and ends signed out.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from diary_server.demo import DEMO_PEOPLE
from tests.e2e.processes import TeamApp, free_port

DEMO_NAMES = {email: name for _role, email, name in DEMO_PEOPLE}


def sign_out_quietly(app: TeamApp) -> None:
    """Whatever a test did, leave the app signed out (the sign-in state is the app's, not the browser's)."""
    response = httpx.post(app.url("/signout"), cookies={"teamapp_key": app.key}, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture(autouse=True)
def signed_out(team_app):
    sign_out_quietly(team_app)
    yield
    sign_out_quietly(team_app)


def open_signin(page: Page, app: TeamApp) -> None:
    """Open the app the way its window does: the launch URL, which leads to the sign-in page."""
    page.goto(app.launch_url)
    expect(page).to_have_url(app.url("/signin"))
    expect(page.get_by_role("heading", name="Sign in to Team")).to_be_visible()


def submit_signin(page: Page, email: str, password: str, server_url: str | None = None) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    if server_url is not None:
        page.locator("summary", has_text="Diary server").click()
        page.get_by_label("Diary server address").fill(server_url)
    page.get_by_role("button", name="Sign in").click()


def expect_signed_in_as(page: Page, name: str, email: str) -> None:
    """The top bar names who is signed in and offers Sign out (on every signed-in page)."""
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text(name)
    expect(banner).to_contain_text(email)
    expect(banner.get_by_role("button", name="Sign out")).to_be_visible()


def expect_nobody_signed_in(page: Page, app: TeamApp) -> None:
    page.goto(app.url("/"))
    expect(page).to_have_url(app.url("/signin"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_the_launch_url_opens_the_sign_in_page_and_hides_its_key(page: Page, team_app, screenshot):
    open_signin(page, team_app)
    assert team_app.key not in page.url
    expect(page).to_have_title("Sign in")
    expect(page.get_by_label("E-mail")).to_be_focused()
    summary = page.locator("summary", has_text="Diary server")
    expect(summary).to_contain_text(re.compile(r"http://127\.0\.0\.1:\d+"))
    expect(page.get_by_label("Diary server address")).to_be_hidden()  # collapsed until asked for
    expect(page.locator("#demo-hint")).to_contain_text("demo-accounts.txt")
    screenshot(page, "team-signin")


def test_sign_in_with_the_demo_freelancer_shows_their_name_and_email(page: Page, team_app, screenshot):
    demo = team_app.demo["freelancer"]
    open_signin(page, team_app)
    submit_signin(page, demo.email, demo.password)

    expect(page).to_have_url(team_app.url("/"))
    expect_signed_in_as(page, DEMO_NAMES[demo.email], demo.email)
    screenshot(page, "team-home")


def test_sign_in_with_the_demo_client_shows_the_account_card(page: Page, team_app, screenshot):
    demo = team_app.demo["client"]
    open_signin(page, team_app)
    submit_signin(page, demo.email, demo.password)

    expect(page).to_have_url(team_app.url("/"))
    name = DEMO_NAMES[demo.email]
    expect_signed_in_as(page, name, demo.email)
    expect(page.get_by_role("heading", name=f"Hello, {name.split()[0]}")).to_be_visible()
    expect(page.locator("#account-name")).to_have_text(name)
    expect(page.locator("#account-email")).to_have_text(demo.email)
    expect(page.locator("#connection")).to_contain_text("Connected to the Work Diary.")
    screenshot(page, "team-home-client")


def test_sign_out_returns_to_the_sign_in_page_with_a_notice(page: Page, team_app, screenshot):
    demo = team_app.demo["freelancer"]
    open_signin(page, team_app)
    submit_signin(page, demo.email, demo.password)
    expect_signed_in_as(page, DEMO_NAMES[demo.email], demo.email)

    page.get_by_role("button", name="Sign out").click()

    # A plain form POST from a page served with Referrer-Policy: no-referrer carries "Origin: null"
    # (Sec-Fetch-Site: same-origin); the app must not refuse its own Sign out button as cross-site.
    expect(page.get_by_text("cross-site request refused"), "Sign out was refused as cross-site").to_have_count(0)
    expect(page).to_have_url(re.compile(re.escape(team_app.url("/signin")) + r"(\?.*)?$"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("heading", name="Sign in to Team")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "team-signed-out")
    expect_nobody_signed_in(page, team_app)


def test_a_wrong_password_says_so_and_signs_nobody_in(page: Page, team_app, screenshot):
    demo = team_app.demo["freelancer"]
    open_signin(page, team_app)
    submit_signin(page, demo.email, "not the password")

    error = page.locator("#signin-error")
    expect(error).to_have_text("Wrong e-mail or password.")
    expect(error).to_have_attribute("role", "alert")
    expect(page).to_have_url(team_app.url("/signin"))
    expect(page.get_by_label("E-mail")).to_have_value(demo.email)  # kept, so only the password is retyped
    expect(page.get_by_label("Password")).to_have_value("")
    screenshot(page, "team-signin-wrong-password")
    expect_nobody_signed_in(page, team_app)


def test_an_unreachable_diary_server_says_so(page: Page, team_app, screenshot):
    demo = team_app.demo["freelancer"]
    closed = f"http://127.0.0.1:{free_port()}"
    open_signin(page, team_app)
    submit_signin(page, demo.email, demo.password, server_url=closed)

    expect(page.locator("#signin-error")).to_have_text(
        f"Cannot reach the diary server at {closed}. Check the address and your connection."
    )
    address = page.get_by_label("Diary server address")
    expect(address).to_be_visible()  # the details stay open on the field to fix
    expect(address).to_have_value(closed)
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(team_app.url("/signin"))
    screenshot(page, "team-signin-unreachable")
    expect_nobody_signed_in(page, team_app)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("not a url", "“not a url” is not a web address: it should start with https:// (or http:// on this computer)."),
        ("ftp://x", "“ftp://x” uses ftp://; the diary server is reached with https:// or http://."),
    ],
    ids=["not-a-url", "ftp"],
)
def test_a_malformed_diary_server_address_says_what_is_wrong(page: Page, team_app, screenshot, typed, message):
    demo = team_app.demo["freelancer"]
    open_signin(page, team_app)
    submit_signin(page, demo.email, demo.password, server_url=typed)

    expect(page.locator("#signin-error")).to_have_text(message)
    address = page.get_by_label("Diary server address")
    expect(address).to_be_visible()
    expect(address).to_have_value(typed)
    expect(address).to_have_attribute("aria-invalid", "true")
    screenshot(page, f"team-signin-bad-url-{'ftp' if typed.startswith('ftp') else 'text'}")
    expect_nobody_signed_in(page, team_app)


LOCKED_PATHS = ["/", "/?key=wrong-key", "/signin", "/contracts/picker", "/account/connection"]


def test_without_the_key_a_fresh_browser_sees_only_the_locked_page(page: Page, new_context, team_app, screenshot):
    demo = team_app.demo["freelancer"]
    open_signin(page, team_app)  # someone is signed in, in the app's own window
    submit_signin(page, demo.email, demo.password)
    expect_signed_in_as(page, DEMO_NAMES[demo.email], demo.email)

    stranger = new_context().new_page()
    for path in LOCKED_PATHS:
        response = stranger.goto(team_app.url(path))
        assert response is not None and response.status == 403, path
        expect(stranger.get_by_role("heading", name="Open Team from its window")).to_be_visible()
        body = stranger.content()
        for secret in (demo.email, DEMO_NAMES[demo.email], team_app.key, "127.0.0.1:"):
            assert secret not in body, f"{path} shows {secret!r}"
        expect(stranger.get_by_role("button", name="Sign out")).to_have_count(0)
        if path == "/":
            screenshot(stranger, "team-locked")
    # A POST without the key changes nothing either: the app is still signed in.
    response = stranger.request.post(team_app.url("/signout"), max_redirects=0)
    assert response.status == 403
    page.reload()
    expect_signed_in_as(page, DEMO_NAMES[demo.email], demo.email)
