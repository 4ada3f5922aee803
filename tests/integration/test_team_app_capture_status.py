"""Honest capture status on the main screen: a Wayland session is named before logging starts,
and a blank screen is named on the status line while logging, with what to do."""

import html

import pytest

from tracker.capture_check import BLANK_SCREEN
from tracker.fakes import FakeInput, FakeScreen, FakeWindow
from tracker.ports import WindowInfo
from tracker.sources.status import WAYLAND, UnavailableInput, UnavailableScreen, UnavailableWindow, session_problem

HX = {"HX-Request": "true"}


@pytest.fixture
def fake_sources(request):
    if request.param == "wayland":  # what real_sources() picks on a Wayland session
        problem = session_problem({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
        assert problem == WAYLAND
        return {
            "screen": UnavailableScreen(problem),
            "inputs": UnavailableInput(problem),
            "window": UnavailableWindow(problem),
            "camera": None,
        }
    return {
        "screen": FakeScreen(blank=True),
        "inputs": FakeInput(),
        "window": FakeWindow(WindowInfo(app="xterm", title="vim main.py", rect=None)),
        "camera": None,
    }


@pytest.fixture
def signed_in(team, hire):
    make, _http, _headers = hire
    cid = make("Website redesign")
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303
    team.post("/contracts/select", data={"contract_id": cid})
    return team


def status_text(team) -> str:
    return html.unescape(team.get("/").get_data(as_text=True))


@pytest.mark.parametrize("fake_sources", ["wayland"], indirect=True)
def test_wayland_is_named_on_the_main_screen_before_logging_starts(signed_in):
    page = status_text(signed_in)
    assert "Not logging" in page and "This is a Wayland session" in page
    assert "X11" in page  # what works instead


@pytest.mark.parametrize("fake_sources", ["blank"], indirect=True)
def test_a_blank_screen_is_named_on_the_status_line(signed_in, fake_sources):
    team = signed_in
    r = team.post("/logging/toggle", headers=HX)
    assert 'aria-checked="true"' in r.get_data(as_text=True)
    for _ in range(40):
        fake_sources["inputs"].add(keys=3)
        team.post("/test/clock", data={"seconds": 20})
        if BLANK_SCREEN in status_text(team):
            break
    page = status_text(team)
    assert "Screen capture returns a blank image:" in page and "Snapshot taken at" not in page
    assert "No snapshot stored: screen capture is not working" in page and "your time is still logged" in page
    team.post("/logging/toggle", headers=HX)
    assert "Screen capture returns a blank image:" in status_text(team)  # still true while off
