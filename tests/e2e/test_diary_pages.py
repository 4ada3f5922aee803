"""The standalone diary server's own pages in a real browser: sign up, account page, sign out,
sign in again, and a wrong password."""

from __future__ import annotations

import itertools
import os

from playwright.sync_api import Page, expect

_serial = itertools.count(1)


def new_person(role: str) -> dict:
    n = next(_serial)
    return {
        "name": f"Carmen Client{n}" if role == "client" else f"Fran Freelancer{n}",
        "email": f"e2e-{role}-{os.getpid()}-{n}@example.com",
        "password": "correct horse battery",
        "role": role,
    }


def sign_up(page: Page, diary, person: dict) -> None:
    page.goto(diary.url("/signup"))
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Full name").fill(person["name"])
    page.get_by_label("E-mail").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_label("Client" if person["role"] == "client" else "Freelancer", exact=True).check()
    page.get_by_role("button", name="Create account").click()


def sign_in(page: Page, diary, email: str, password: str) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()


def expect_account_page(page: Page, diary, person: dict) -> None:
    expect(page).to_have_url(diary.url("/"))
    expect(page.get_by_role("heading", name="Your contracts")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"Signed in as {person['name']}")
    expect(page.get_by_role("banner")).to_contain_text(person["name"])
    expect(page.get_by_role("banner")).to_contain_text(person["email"])
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_new_client_signs_up_signs_out_and_signs_in_again(page: Page, diary_server, screenshot):
    person = new_person("client")
    page.goto(diary_server.url("/signup"))
    expect(page).to_have_title("Create an account · Team Work Diary")
    expect(page.get_by_label("Freelancer", exact=True)).to_be_checked()  # the default
    screenshot(page, "diary-signup")

    sign_up(page, diary_server, person)
    expect_account_page(page, diary_server, person)
    expect(page.locator(".badge")).to_have_text("client")
    expect(page.get_by_role("heading", name="No contracts yet")).to_be_visible()
    expect(page.get_by_role("link", name="Create your first contract")).to_be_visible()
    screenshot(page, "diary-account")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(diary_server.url("/signin?signed_out=1"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("heading", name="Sign in to your Work Diary")).to_be_visible()
    screenshot(page, "diary-signed-out")

    page.goto(diary_server.url("/"))  # the account page is closed now
    expect(page).to_have_url(diary_server.url("/signin?next=/"))

    sign_in(page, diary_server, person["email"], person["password"])
    expect_account_page(page, diary_server, person)


def test_a_wrong_password_on_the_diary_says_so(page: Page, diary_server, screenshot):
    person = new_person("freelancer")
    sign_up(page, diary_server, person)
    expect_account_page(page, diary_server, person)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to your Work Diary")).to_be_visible()
    screenshot(page, "diary-signin")

    sign_in(page, diary_server, person["email"], "not my password")

    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    expect(page.get_by_role("heading", name="Sign in to your Work Diary")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value(person["email"])
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "diary-signin-wrong-password")

    page.goto(diary_server.url("/"))
    expect(page).to_have_url(diary_server.url("/signin?next=/"))


def test_sign_up_with_a_short_password_says_so(page: Page, diary_server, screenshot):
    person = {**new_person("freelancer"), "password": "short"}
    sign_up(page, diary_server, person)

    expect(page.get_by_role("alert")).to_have_text("Use a password of at least 10 characters.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_value(person["name"])
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "diary-signup-error")
