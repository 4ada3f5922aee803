"""The Team app's contract picker: filled from the diary, remembered, refused when paused, offline-safe."""

import threading

import httpx

from models.local import Contract
from sync import contracts as contracts_sync
from tests.integration.conftest import DIARY_URL
from web.services import services


def _sign_in(team):
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303


def test_picker_lists_contracts_after_sign_in_and_remembers_the_choice(team, team_app, hire):
    make, _, _ = hire
    make("Website redesign", weekly_limit_hours=40)
    second = make("Mobile app")
    _sign_in(team)
    page = team.get("/").get_data(as_text=True)
    assert "Select the correct contract" in page
    assert "Website redesign" in page and "Mobile app" in page and "Cleo Client" in page
    assert "25.00 USD/h" in page and "of 40:00" in page and "no limit" in page
    r = team.post("/contracts/select", data={"contract_id": second}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "“Mobile app” selected." in r.get_data(as_text=True)
    assert "<html" not in r.get_data(as_text=True)  # the picker fragment alone
    with team_app.app_context():
        assert contracts_sync.selected_contract_id() == second
    page = team.get("/").get_data(as_text=True)
    assert '<strong id="current-contract">Mobile app</strong>' in page
    selected = page.split('<li class="contract-row selected">', 1)[1].split("</li>", 1)[0]
    assert "Mobile app" in selected and 'aria-pressed="true"' in selected


def test_paused_and_ended_contracts_cannot_be_selected_and_say_why(team, team_app, hire):
    make, http, headers = hire
    paused, ended = make("Paused one"), make("Ended one")
    http.post(f"/api/v1/contracts/{paused}/status", json={"status": "paused"}, headers=headers)
    http.post(f"/api/v1/contracts/{ended}/status", json={"status": "ended"}, headers=headers)
    _sign_in(team)
    page = team.get("/").get_data(as_text=True)
    assert "Paused by Cleo Client. You can log time again when they resume it." in page
    assert "This contract has ended; it no longer accepts time." in page
    for cid in (paused, ended):
        r = team.post("/contracts/select", data={"contract_id": cid})
        assert r.status_code == 422
    with team_app.app_context():
        assert contracts_sync.selected_contract_id() is None
    assert team.post("/contracts/select", data={"contract_id": "abc"}).status_code == 422
    assert team.post("/contracts/select", data={"contract_id": "999"}).status_code == 422


def test_changes_on_the_diary_reach_the_app_on_refresh(team, team_app, hire):
    make, http, headers = hire
    cid = make("Website redesign")
    _sign_in(team)
    http.patch(f"/api/v1/contracts/{cid}", json={"title": "Website v2", "activity_labels": ["QA"]}, headers=headers)
    make("Brand new")
    r = team.post("/contracts/refresh", headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert "Website v2" in body and "Brand new" in body
    with team_app.app_context():
        assert Contract.get(Contract.id == cid).labels == ["QA"]


def test_offline_keeps_the_saved_contracts(team, team_app, hire, monkeypatch):
    make, _, _ = hire
    make("Website redesign")
    _sign_in(team)
    svc = services(team_app)

    def offline(url, token=None):
        from sync.diary_client import DiaryClient

        def refuse(request):
            raise httpx.ConnectError("network is down", request=request)

        return DiaryClient(url, token, transport=httpx.MockTransport(refuse))

    monkeypatch.setattr(svc, "client_factory", offline)
    r = team.post("/contracts/refresh")
    page = r.get_data(as_text=True)
    assert "Website redesign" in page and "Cannot reach the diary server" in page
    page = team.get("/").get_data(as_text=True)
    assert "Website redesign" in page and "Offline: showing the contracts saved on this computer" in page


def test_the_poller_refreshes_in_the_background(team, team_app, hire):
    make, _, _ = hire
    _sign_in(team)
    make("Arrives later")
    svc = services(team_app)
    done = threading.Event()

    def refresh():
        result = contracts_sync.refresh_contracts(
            client_factory=svc.client_factory, token_store=svc.token_store, now=svc.now()
        )
        done.set()
        return result

    poller = contracts_sync.ContractPoller(refresh, interval=3600).start()
    try:
        assert done.wait(10), "the poller never refreshed"
    finally:
        poller.stop()
    with team_app.app_context():
        assert [c.title for c in Contract.select().where(Contract.diary_url == DIARY_URL)] == ["Arrives later"]
