"""Bad requests get the app's own page or message, never a bare Werkzeug page or a 500."""

from __future__ import annotations

import json

HX = {"HX-Request": "true"}


def signed_in(team):
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303


def test_ids_too_large_for_the_database(team, diary_account):
    signed_in(team)
    r = team.get("/snapshots/99999999999999999999")
    assert r.status_code == 404 and "nothing here" in r.get_data(as_text=True)
    r = team.post("/contracts/select", data={"contract_id": str(10**40)})
    assert r.status_code == 422 and "Choose a contract from the list." in r.get_data(as_text=True)


def test_a_megabyte_memo_gets_a_message_and_changes_nothing(team, team_app, diary_account):
    signed_in(team)
    memo = "x" * 1_000_000
    r = team.post("/logging/memo", data={"memo": memo, "label": ""}, headers=HX)
    assert r.status_code == 413 and r.headers["HX-Reswap"] == "none"
    assert "too much text" in json.loads(r.headers["HX-Trigger"])["teamapp:error"]["message"]
    r = team.post("/logging/memo", data={"memo": memo, "label": ""})
    assert r.status_code == 413 and "too much text" in r.get_data(as_text=True)
    assert "Request Entity Too Large" not in r.get_data(as_text=True)
    from desktop.current_memo import MEMO_KEY

    with team_app.app_context():
        from models.local import get_state

        assert get_state(MEMO_KEY) is None


def test_an_unknown_page_gets_the_apps_own_404(team, diary_account):
    signed_in(team)
    r = team.get("/no/such/page")
    assert r.status_code == 404 and "Back to Team" in r.get_data(as_text=True)
