"""Smoke tests of the native window: it opens, shows the sign-in page, can be used, and the app
stops cleanly when the user closes the window or when it gets SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import time

from tests.e2e.processes import SCREENSHOTS
from tests.window.cdp import PageSession, wait_for_page_target

WINDOW_TIMEOUT = 60.0
EXIT_TIMEOUT = 30.0


def xdotool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=15)


def wait_for_team_window(app, timeout: float = WINDOW_TIMEOUT) -> str:
    """The X window id of the app's window titled exactly "Team"."""
    pid = str(app.team.server.proc.pid)
    deadline = time.monotonic() + timeout
    found = ""
    while time.monotonic() < deadline:
        assert app.team.server.running(), "the app exited before its window showed:\n" + app.team.server.output()
        found = xdotool("search", "--name", "^Team$").stdout.split()
        mine = [w for w in found if xdotool("getwindowpid", w).stdout.strip() == pid]
        if mine:
            return mine[0]
        time.sleep(0.1)
    raise AssertionError(f"no window titled 'Team' of pid {pid} within {timeout:.0f} s (titled 'Team': {found})")


def screenshot_screen(name: str) -> None:
    path = SCREENSHOTS / name
    shot = subprocess.run(["import", "-window", "root", str(path)], capture_output=True, text=True, timeout=30)
    assert shot.returncode == 0 and path.stat().st_size > 0, shot.stderr


def open_page(app) -> PageSession:
    target = wait_for_page_target(app.debug_port, app.team.base_url, WINDOW_TIMEOUT, alive=app.team.server.running)
    return PageSession(target["webSocketDebuggerUrl"])


def assert_sign_in_page_rendered(page: PageSession, prefix: str) -> None:
    page.wait_for(
        f"document.readyState === 'complete' && location.pathname === '{prefix}/signin'",
        what="the sign-in page loading in the window",
    )
    facts = page.evaluate(
        """(() => {
            const h1 = document.querySelector('h1');
            const email = document.querySelector('input#email');
            const label = email && document.querySelector('label[for="email"]');
            const box = email && email.getBoundingClientRect();
            return {
              title: document.title,
              heading: h1 && h1.textContent.trim(),
              emailType: email && email.type,
              emailLabel: label && label.textContent.trim(),
              emailVisible: !!box && box.width > 0 && box.height > 0,
              keyInUrl: location.search.includes('key='),
              stylesheetApplied: getComputedStyle(document.body).margin !== '8px',
            };
        })()"""
    )
    assert facts == {
        "title": "Sign in",
        "heading": "Sign in to Team",
        "emailType": "email",
        "emailLabel": "E-mail",
        "emailVisible": True,
        "keyInUrl": False,
        "stylesheetApplied": True,
    }, facts


def sign_in(page: PageSession, email: str, password: str) -> None:
    """Type into the form and press the button, as a person would (values set through the DOM)."""
    page.evaluate(
        f"""(() => {{
            const set = (sel, value) => {{
              const input = document.querySelector(sel);
              input.focus();
              input.value = value;
              input.dispatchEvent(new Event('input', {{bubbles: true}}));
            }};
            set('#email', {json.dumps(email)});
            set('#password', {json.dumps(password)});
            document.querySelector('#signin-form button[type=submit]').click();
        }})()"""
    )


def assert_clean_exit(app, how: str) -> None:
    code = app.team.server.wait_for_exit(EXIT_TIMEOUT)
    out = app.team.server.output()
    assert code == 0, f"after {how} the app exited with code {code}:\n{out}"
    assert "Team app stopped." in out, f"after {how} the app did not print 'Team app stopped.':\n{out}"


def test_the_window_shows_sign_in_works_and_closing_it_quits_the_app(native_app):
    window = wait_for_team_window(native_app)
    with open_page(native_app) as page:
        assert_sign_in_page_rendered(page, native_app.team.prefix)
        screenshot_screen("native-window.png")

        demo = native_app.team.demo["freelancer"]
        sign_in(page, demo.email, demo.password)
        home = f"{native_app.team.prefix}/"
        page.wait_for(
            f"location.pathname === '{home}' && document.querySelector('header')?.textContent.includes("
            f"{json.dumps(demo.email)})",
            what="the signed-in page (the top bar naming the demo freelancer) after signing in inside the window",
        )
        assert page.evaluate(
            "[...document.querySelectorAll('header button')].some(b => b.textContent.trim() === 'Sign out')"
        ), "no Sign out button in the top bar after signing in"
        screenshot_screen("native-window-home.png")

    # Close it as a user would: Alt+F4 to the focused window, which openbox turns into a close request.
    activated = xdotool("windowactivate", "--sync", window)
    assert activated.returncode == 0, f"could not focus the window (is a window manager running?): {activated.stderr}"
    pressed = xdotool("key", "alt+F4")
    assert pressed.returncode == 0, pressed.stderr
    assert_clean_exit(native_app, "closing the window with Alt+F4")
    assert xdotool("getwindowname", window).returncode != 0, "the window is still there after the app exited"


def test_sigterm_closes_the_window_and_stops_the_app_cleanly(native_app):
    window = wait_for_team_window(native_app)
    with open_page(native_app) as page:
        assert_sign_in_page_rendered(page, native_app.team.prefix)

    native_app.team.server.proc.send_signal(signal.SIGTERM)

    assert_clean_exit(native_app, "SIGTERM")
    assert xdotool("getwindowname", window).returncode != 0, "the window is still there after the app exited"
