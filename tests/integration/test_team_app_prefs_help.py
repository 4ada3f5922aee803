"""Preferences take effect at once and persist; help and the diagnostics report."""

import html
from dataclasses import replace

from PIL import Image

from tests.support.forms import form_fields
from tracker.privacy import DEFAULT_HIDDEN_TITLE_PATTERNS, HIDDEN, redact_title
from web import preferences as prefs_mod
from web.services import services

FORM = {
    "scope": "active_screen",
    "notifications": "on",
    "review_seconds": "60",
    "camera_source": "0",
    "reminder_minutes": "30",
    "idle_minutes": "5",
    "hidden_title_patterns": "private browsing\nKeePass",
    "timezone": "Europe/Berlin",
}


def _signed_in(team):
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303


def test_preferences_save_apply_and_persist(team, team_app, diary_account):
    _signed_in(team)
    page = team.get("/preferences").get_data(as_text=True)
    assert "Screen snapshots" in page and "Europe/Berlin" in page
    r = team.post("/preferences", data=FORM)
    assert r.status_code == 200 and "Preferences saved." in r.get_data(as_text=True)
    with team_app.app_context():
        saved = prefs_mod.load()
    assert saved.scope == "active_screen" and saved.review_seconds == 60 and saved.reminder_minutes == 30
    assert saved.idle_minutes == 5 and saved.timezone == "Europe/Berlin" and not saved.camera_enabled
    assert saved.hidden_title_patterns == ("private browsing", "KeePass")
    loop_prefs = services(team_app).loop.preferences
    assert loop_prefs.scope.value == "active_screen" and list(loop_prefs.hidden_title_patterns) == [
        "private browsing",
        "KeePass",
    ]
    # The display time zone is used on the main screen (09:00 UTC is 10:00 in Berlin).
    page = team.get("/").get_data(as_text=True)
    assert "10:00" in page


def test_bad_preferences_are_refused_and_change_nothing(team, team_app, diary_account):
    _signed_in(team)
    for field, value, message in (
        ("timezone", "Mars/Olympus", "is not a time zone"),
        ("review_seconds", "7", "The review time must be one of"),
        ("idle_minutes", "abc", "The idle timeout must be one of"),
        ("hidden_title_patterns", "x" * 201, "A pattern is at most 200 characters"),
        ("scope", "everything", "whole desktop or the active screen"),
    ):
        r = team.post("/preferences", data={**FORM, field: value})
        assert r.status_code == 422 and message in html.unescape(r.get_data(as_text=True)), field
    with team_app.app_context():
        assert prefs_mod.load() == prefs_mod.Preferences()


def test_every_preference_saves_starting_from_the_shipped_defaults(team, team_app, diary_account):
    """The rendered form, with one preference changed at a time, saves (the defaults are valid)."""
    _signed_in(team)
    page = team.get("/preferences").get_data(as_text=True)
    assert "regular expression" not in page and "Shell-style patterns, case-insensitive" in page
    defaults = form_fields(page, "prefs-form")
    assert defaults["hidden_title_patterns"].splitlines() == list(DEFAULT_HIDDEN_TITLE_PATTERNS)
    changes = {
        "review_seconds": "60",
        "scope": "active_screen",
        "reminder_minutes": "10",
        "idle_minutes": "20",
        "camera_source": "1",
        "timezone": "Europe/Berlin",
        "hidden_title_patterns": defaults["hidden_title_patterns"] + "\n*Tax return*",
    }
    for name, value in changes.items():
        form = {**form_fields(team.get("/preferences").get_data(as_text=True), "prefs-form"), name: value}
        r = team.post("/preferences", data=form)
        body = html.unescape(r.get_data(as_text=True))
        assert r.status_code == 200 and "Preferences saved." in body, (name, body[:300])
    for checkbox in ("notifications", "camera_enabled"):
        form = form_fields(team.get("/preferences").get_data(as_text=True), "prefs-form")
        form[checkbox] = "" if form.get(checkbox) == "on" else "on"
        r = team.post("/preferences", data={k: v for k, v in form.items() if v})
        assert r.status_code == 200 and "Preferences saved." in r.get_data(as_text=True), checkbox
    with team_app.app_context():
        saved = prefs_mod.load()
    assert saved.review_seconds == 60 and saved.scope == "active_screen" and saved.timezone == "Europe/Berlin"
    assert saved.idle_minutes == 20 and saved.camera_source == "1" and saved.notifications is False
    assert saved.hidden_title_patterns == (*DEFAULT_HIDDEN_TITLE_PATTERNS, "*Tax return*")
    # The saved patterns hide titles the way the form described them.
    assert redact_title("Mozilla Firefox Private Browsing", saved.hidden_title_patterns) == HIDDEN
    assert redact_title("my TAX RETURN 2026.ods", saved.hidden_title_patterns) == HIDDEN


def test_a_pattern_stored_under_the_old_check_still_loads_and_saves(team, team_app, diary_account):
    """Patterns kept before the one-syntax rule (valid regular expressions) still load and save."""
    _signed_in(team)
    with team_app.app_context():
        prefs_mod.save(replace(prefs_mod.Preferences(), hidden_title_patterns=("secret|private", "Bank")))
    form = form_fields(team.get("/preferences").get_data(as_text=True), "prefs-form")
    assert form["hidden_title_patterns"] == "secret|private\nBank"
    r = team.post("/preferences", data={**form, "review_seconds": "120"})
    assert r.status_code == 200 and "Preferences saved." in r.get_data(as_text=True)
    with team_app.app_context():
        saved = prefs_mod.load()
    assert saved.review_seconds == 120 and saved.hidden_title_patterns == ("secret|private", "Bank")
    assert redact_title("My Bank login", saved.hidden_title_patterns) == HIDDEN


def test_camera_test_shot_from_an_image_sequence(team, diary_account, tmp_path):
    _signed_in(team)
    frames = tmp_path / "cam"
    frames.mkdir()
    for i in range(3):
        Image.new("RGB", (64, 48), (200, 30 * i, 40)).save(frames / f"img_{i:03d}.jpg")
    r = team.post("/preferences/camera-test", data={"camera_source": str(frames / "img_%03d.jpg")})
    assert 'src="data:image/jpeg;base64,' in r.get_data(as_text=True)
    r = team.post("/preferences/camera-test", data={"camera_source": str(tmp_path / "missing.mp4")})
    body = html.unescape(r.get_data(as_text=True))
    assert "does not exist" in body and "<img" not in body


def test_help_and_a_diagnostics_report_without_private_data(team, diary_account):
    _signed_in(team)
    team.post("/logging/memo", data={"memo": "secret client project"})
    page = team.get("/help").get_data(as_text=True)
    assert "Troubleshooting" in page and "What Team never records" in page
    r = team.post("/help/diagnostics")
    report = html.unescape(r.get_data(as_text=True))
    assert "Team app 0.1.0 diagnostics" in report and "Capture health:" in report and "Data dir:" in report
    assert "secret client project" not in report and "correct horse" not in report
    text = team.get("/help/diagnostics.txt")
    assert text.mimetype == "text/plain" and "Settings (where each value came from):" in text.get_data(as_text=True)
