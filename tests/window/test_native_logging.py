"""The logging flow inside the native pywebview (Qt WebEngine) window: sign in, pick the
contract, switch on, move the test clock, and the snapshot review prompt shows in the window.
Checked through the Chrome DevTools protocol (Playwright cannot drive this window)."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from tests.e2e.processes import free_port, start_team_app
from tests.window.conftest import LOGS, NativeApp
from tests.window.test_native_window import assert_clean_exit, open_page, sign_in, wait_for_team_window


@pytest.fixture
def native_clock_app(x_display, tmp_path, request) -> NativeApp:
    """``python app.py --window native --test-clock`` with QtWebEngine's remote debugging."""
    debug_port = free_port()
    team = start_team_app(
        tmp_path / "data",
        LOGS / f"window-{request.node.name}.log",
        extra_args=["--window", "native", "--test-clock"],
        env={
            "QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{debug_port}",
            "QT_ACCESSIBILITY": "0",
            "DISPLAY": x_display,
        },
        label="Team app (native window, test clock)",
    )
    yield NativeApp(team, debug_port)
    if team.server.running():
        team.server.stop(signal.SIGTERM, timeout=20)
    team.server.kill()


def click(page, selector: str) -> None:
    page.evaluate(f"document.querySelector({json.dumps(selector)}).click()")


def test_the_review_prompt_shows_in_the_native_window(native_clock_app):
    app = native_clock_app
    wait_for_team_window(app)
    demo = app.team.demo["freelancer"]
    with open_page(app) as page:
        signin = f"{app.team.prefix}/signin"
        page.wait_for(f"document.readyState === 'complete' && location.pathname === '{signin}'", what="sign-in page")
        sign_in(page, demo.email, demo.password)
        page.wait_for(
            f"location.pathname === '{app.team.prefix}/' && !!document.querySelector('#picker .contract-choice')",
            what="the main screen with the contract picker",
        )
        click(page, "#picker .contract-choice")
        page.wait_for(
            "document.querySelector('#current-contract')?.textContent === 'Website redesign'",
            what="the demo contract chosen",
        )
        page.wait_for("!!document.querySelector('#logging-switch')", what="the switch")
        click(page, "#logging-switch")
        page.wait_for(
            "document.querySelector('#logging-switch')?.getAttribute('aria-checked') === 'true'", what="logging on"
        )
        cookies = {"teamapp_key": app.team.key}
        for _ in range(40):  # 20-second steps: the snapshot instant is random in the segment
            r = httpx.post(app.team.url("/test/clock"), data={"seconds": "20"}, cookies=cookies, timeout=90)
            assert r.status_code == 200, r.text
            if 'class="prompt review"' in httpx.get(app.team.url("/"), cookies=cookies).text:
                break
        else:
            raise AssertionError("no snapshot prompt within 800 s of app time")
        page.wait_for("!!document.querySelector('.prompt.review img')", what="the review prompt in the window")
        page.wait_for("document.querySelector('.prompt.review img').complete", what="the thumbnail loading")
        facts = page.evaluate(
            """(() => { const p = document.querySelector('.prompt.review');
                return {width: p.querySelector('img').naturalWidth,
                        buttons: [...p.querySelectorAll('button')].map(b => b.textContent.trim())}; })()"""
        )
        assert facts["width"] > 0 and facts["buttons"] == ["Delete", "Keep"], facts
        click(page, ".prompt.review form:last-of-type button")  # Keep
        page.wait_for("!document.querySelector('.prompt.review')", what="the prompt gone after Keep")
        click(page, "#logging-switch")
        page.wait_for(
            "document.querySelector('#logging-switch')?.getAttribute('aria-checked') === 'false'", what="logging off"
        )
    app.team.server.proc.send_signal(signal.SIGTERM)
    assert_clean_exit(app, "SIGTERM")
