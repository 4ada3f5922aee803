"""Start at login from the Preferences page: the switch writes and removes the XDG autostart
entry (in the test session's temp XDG_CONFIG_HOME), and the entry's Exec line starts this app
on this data dir."""

import html
import os
import subprocess
from pathlib import Path

from tests.support.desktop_entry import entry_keys, exec_argv
from tests.support.forms import form_fields


def _signed_in(team):
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303


def _form(team, **changes):
    fields = form_fields(team.get("/preferences").get_data(as_text=True), "prefs-form")
    fields.pop("start_at_login", None)
    fields.update(changes)
    return fields


def test_the_switch_is_off_by_default_and_writes_then_removes_the_entry(team, team_app, diary_account):
    _signed_in(team)
    entry = os.path.join(os.environ["XDG_CONFIG_HOME"], "autostart", "teamapp.desktop")
    assert not os.path.exists(entry)
    page = html.unescape(team.get("/preferences").get_data(as_text=True))
    assert "Start Team when I log in to this computer" in page and entry in page
    assert 'name="start_at_login" checked' not in page  # off by default

    r = team.post("/preferences", data=_form(team, start_at_login="on"))
    assert r.status_code == 200 and "Preferences saved." in r.get_data(as_text=True)
    try:
        assert 'name="start_at_login" checked' in team.get("/preferences").get_data(as_text=True)
        text = Path(entry).read_text(encoding="utf-8")
        keys = entry_keys(text)
        assert keys["Type"] == "Application" and keys["Name"] == "Team" and keys["Icon"] == "teamapp"
        argv = exec_argv(text)
        data_dir = str(team_app.config.get("DATA_DIR") or argv[argv.index("--data-dir") + 1])
        assert argv[-2:] == ["--data-dir", data_dir] and os.path.isdir(data_dir)
        assert os.access(argv[0], os.X_OK) and argv[1].endswith("app.py")
        # The Exec line works: the same command asked for its help starts Python on app.py.
        run = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and "usage: app.py" in run.stdout
    finally:
        r = team.post("/preferences", data=_form(team))
    assert r.status_code == 200 and "Preferences saved." in r.get_data(as_text=True)
    assert not os.path.exists(entry)
    assert 'name="start_at_login" checked' not in team.get("/preferences").get_data(as_text=True)


def test_a_refused_write_says_so_and_keeps_the_switch_off(team, team_app, diary_account, tmp_path):
    from desktop.autostart import XdgAutostart
    from web.services import services

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the config folder should be")
    services(team_app).autostart = XdgAutostart({"XDG_CONFIG_HOME": str(blocker)})
    _signed_in(team)
    r = team.post("/preferences", data=_form(team, start_at_login="on"))
    body = html.unescape(r.get_data(as_text=True))
    assert "Start at login could not be switched on" in body and str(blocker) in body
    assert 'name="start_at_login" checked' not in team.get("/preferences").get_data(as_text=True)
