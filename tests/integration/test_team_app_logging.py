"""The main screen with the real capture loop on fake sources and a fake clock."""

import html

import pytest

from models.capture_store import CaptureImage, CaptureSegment
from tracker.ports import OK
from web import preferences as prefs_mod
from web.services import services


@pytest.fixture
def logged_in(team, team_app, hire):
    make, _http, _headers = hire
    cid = make("Website redesign", weekly_limit_hours=2, activity_labels=["Design", "Development"])
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303
    team.post("/contracts/select", data={"contract_id": cid})
    return team, cid


def advance(team, seconds):
    r = team.post("/test/clock", data={"seconds": seconds})
    assert r.status_code == 200, r.data


HX = {"HX-Request": "true"}


def advance_until(team, text, step=20, limit=11 * 60):
    """Move time in small steps until the main screen shows ``text`` (the snapshot instant is
    random within the segment); returns the seconds it took."""
    for waited in range(step, limit + step, step):
        advance(team, step)
        if text in team.get("/").get_data(as_text=True):
            return waited
    raise AssertionError(f"{text!r} never appeared within {limit} s")


def test_switch_on_logs_segments_with_memo_and_snapshot_review(logged_in, team_app, fake_sources):
    team, _cid = logged_in
    r = team.post("/logging/memo", data={"memo": "Checkout page", "label": "Design"}, headers=HX)
    assert "Memo saved" in r.get_data(as_text=True)
    r = team.post("/logging/toggle", headers=HX)
    body = r.get_data(as_text=True)
    assert 'aria-checked="true"' in body and "Logging is on." in body
    fake_sources["inputs"].add(keys=5, clicks=1)
    advance_until(team, "Snapshot taken at")
    page = team.get("/").get_data(as_text=True)
    assert "Snapshot taken at" in page and "xterm" in page and "vim main.py" in page
    with team_app.app_context():
        seg = CaptureSegment.select().order_by(CaptureSegment.start).first()
        assert seg.memo == "Checkout page" and seg.label == "Design" and seg.logged_seconds > 0
        image = CaptureImage.get(CaptureImage.kind == "screen")
    thumb = team.get(f"/snapshots/{image.id}?size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    # Delete it from the prompt: the segment is no longer billed.
    r = team.post(f"/logging/review/{image.id}", data={"action": "delete"}, headers=HX)
    assert "Snapshot deleted" in r.get_data(as_text=True)
    with team_app.app_context():
        assert CaptureSegment.get_by_id(seg.id).deleted_at is not None
        assert CaptureImage.get_by_id(image.id).path is None
    assert team.get(f"/snapshots/{image.id}").status_code == 404
    r = team.post("/logging/toggle", headers=HX)
    assert 'aria-checked="false"' in r.get_data(as_text=True)


def test_unanswered_review_keeps_the_snapshot(logged_in, team_app):
    team, _ = logged_in
    team.post("/logging/toggle", headers=HX)
    advance_until(team, "Snapshot taken at")
    with team_app.app_context():
        image = CaptureImage.get(CaptureImage.kind == "screen")
    advance(team, 40)  # the 30-second review window passes
    page = team.get("/").get_data(as_text=True)
    assert f'id="review-{image.id}"' not in page
    with team_app.app_context():
        assert CaptureImage.get_by_id(image.id).path is not None
        assert CaptureSegment.get_by_id(image.segment_id).deleted_at is None
    team.post("/logging/toggle", headers=HX)


def test_memo_too_long_is_refused_with_a_message(logged_in):
    team, _ = logged_in
    r = team.post("/logging/memo", data={"memo": "x" * 1001}, headers=HX)
    body = r.get_data(as_text=True)
    assert "at most 1000 characters; this one has 1001" in body
    r = team.post("/logging/memo", data={"memo": "ok", "label": "Not a label"}, headers=HX)
    assert "is not one of this contract" in r.get_data(as_text=True)
    page = team.get("/").get_data(as_text=True)
    assert "Not a label" not in page


def test_weekly_limit_warns_then_stops_and_refuses(logged_in, team_app, fake_sources):
    team, _ = logged_in  # limit: 2 hours
    team.post("/logging/toggle", headers=HX)
    for _ in range(12):
        fake_sources["inputs"].add(keys=1)
        advance(team, 10 * 60)
        if "Weekly limit reached" in team.get("/").get_data(as_text=True):
            break
    page = team.get("/").get_data(as_text=True)
    assert "Weekly limit reached" in page and 'aria-checked="false"' in page
    r = team.post("/logging/toggle", headers=HX)
    body = html.unescape(r.get_data(as_text=True))
    assert "reached this week's limit of 2 hours on" in body and 'id="current-contract"' in body
    assert not services(team_app).controller.logging


def test_idle_return_can_discard(logged_in, team_app, fake_sources):
    team, _cid = logged_in
    with team_app.app_context():
        prefs_mod.save(prefs_mod.Preferences(idle_minutes=5, notifications=False))
    team.post("/logging/toggle", headers=HX)
    fake_sources["inputs"].add(keys=3)
    advance(team, 60)
    advance(team, 12 * 60)  # no input for 12 minutes
    fake_sources["inputs"].add(keys=2)
    advance(team, 60)
    page = team.get("/").get_data(as_text=True)
    assert "You were idle from" in page
    with team_app.app_context():
        before = sum(s.logged_seconds for s in CaptureSegment.select())
    r = team.post("/logging/idle", data={"action": "discard"}, headers=HX)
    assert "Discarded" in r.get_data(as_text=True)
    with team_app.app_context():
        after = sum(s.logged_seconds for s in CaptureSegment.select())
    assert before - after >= 10 * 60
    team.post("/logging/toggle", headers=HX)


def test_reminder_asks_what_you_are_working_on(logged_in, team_app):
    team, _ = logged_in
    with team_app.app_context():
        prefs_mod.save(prefs_mod.Preferences(reminder_minutes=10, notifications=False, idle_minutes=0))
    team.post("/logging/memo", data={"memo": "Header layout"}, headers=HX)
    team.post("/logging/toggle", headers=HX)
    advance(team, 11 * 60)
    page = team.get("/").get_data(as_text=True)
    assert 'id="reminder-prompt"' in page and "Header layout" in page
    team.post("/logging/reminder/dismiss", headers=HX)
    assert 'id="reminder-prompt"' not in team.get("/").get_data(as_text=True)
    team.post("/logging/toggle", headers=HX)


def test_cannot_start_without_a_contract_or_on_a_paused_one(team, team_app, hire):
    make, http, headers = hire
    team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    r = team.post("/logging/toggle", headers=HX)
    assert "Select the contract you are working on first." in r.get_data(as_text=True)
    cid = make("Paused soon")
    team.post("/contracts/refresh")
    team.post("/contracts/select", data={"contract_id": cid})
    http.post(f"/api/v1/contracts/{cid}/status", json={"status": "paused"}, headers=headers)
    team.post("/contracts/refresh")
    r = team.post("/logging/toggle", headers=HX)
    assert "is paused" in r.get_data(as_text=True)


def test_test_clock_endpoint_needs_the_setting(tmp_path, sqlite_diary, fake_sources):
    import settings_load
    from web import create_app

    s = settings_load.load("app", cli={"data_dir": str(tmp_path / "t"), "token_store": "file"}, environ={})
    app = create_app(s, launch_secret="k", diary_url="http://diary.test", sources=fake_sources)
    try:
        client = app.test_client()
        client.get("/?key=k")
        assert client.post("/test/clock", data={"seconds": 60}).status_code == 404
    finally:
        services(app).shutdown()


def test_desktop_notification_only_when_the_page_is_not_in_front(logged_in, team_app, notifier):
    team, _ = logged_in
    team.post("/presence", data={"page": "p1", "visible": "1"})
    team.post("/logging/toggle", headers=HX)
    advance_until(team, "Snapshot taken at")
    assert [n.title for n in notifier.notices] == []  # the window prompt is enough
    team.post("/presence", data={"page": "p1", "visible": "0"})
    for _ in range(45):  # until the next segment's snapshot (up to 20 minutes away)
        advance(team, 30)
        if notifier.notices:
            break
    review = [n for n in notifier.notices if n.title == "Snapshot taken"]
    assert review and set(review[-1].actions) == {"Delete", "Keep"}
    assert review[-1].image is not None and review[-1].image.exists()
    with team_app.app_context():
        latest = CaptureImage.select().where(CaptureImage.kind == "screen").order_by(CaptureImage.id.desc()).first()
    review[-1].actions["Delete"]()  # pressed in the notification
    with team_app.app_context():
        assert CaptureSegment.get_by_id(latest.segment_id).deleted_at is not None
    team.post("/logging/toggle", headers=HX)


def test_real_notifier_survives_a_missing_notification_server(tmp_path):
    from desktop.notify import DesktopNotifier, Notice

    def broken():
        raise RuntimeError("no D-Bus session bus")

    notifier = DesktopNotifier("Team", backend_factory=broken)
    notifier.send(Notice("Snapshot taken", "xterm"))
    notifier.close()
    assert "unavailable" in notifier.status


def test_signing_out_switches_logging_off(logged_in, team_app):
    team, _ = logged_in
    team.post("/logging/toggle", headers=HX)
    assert services(team_app).controller.logging
    team.post("/signout")
    assert not services(team_app).controller.logging


def test_state_for_a_reconnecting_page(logged_in):
    team, _ = logged_in
    team.post("/logging/toggle", headers=HX)
    body = team.get("/logging/state").get_data(as_text=True)
    for part in ('id="panel"', 'id="prompts"', 'id="status-line"', 'id="picker"'):
        assert part in body
    assert body.count('hx-swap-oob="true"') >= 4 and "<html" not in body
    team.post("/logging/toggle", headers=HX)


def test_a_label_of_another_contract_is_not_put_on_its_segments(logged_in, team_app, hire):
    team, _cid = logged_in
    make, _http, _headers = hire
    other = make("Quick fixes", activity_labels=["Support"])
    assert team.post("/contracts/refresh", headers=HX).status_code == 200
    r = team.post("/logging/memo", data={"memo": "Checkout page", "label": "Design"}, headers=HX)
    assert "Memo saved" in r.get_data(as_text=True)
    team.post("/contracts/select", data={"contract_id": other})
    r = team.post("/logging/toggle", headers=HX)
    assert 'aria-checked="true"' in r.get_data(as_text=True)
    advance(team, 90)
    team.post("/logging/toggle", headers=HX)
    advance(team, 1)  # the test clock waits for the stop to be stored
    with team_app.app_context():
        seg = CaptureSegment.get(CaptureSegment.contract_id == other)
        # The memo still applies; "Design" is not one of "Quick fixes"' labels, so no label
        # (the diary would refuse the segment, and it would wait for attention forever).
        assert seg.memo == "Checkout page" and seg.label is None


def test_a_memo_saved_while_off_applies_to_the_segment_logging_resumes_into(logged_in, team_app, fake_sources):
    team, _ = logged_in
    team.post("/logging/memo", data={"memo": "Checkout page", "label": "Design"}, headers=HX)
    team.post("/logging/toggle", headers=HX)
    fake_sources["inputs"].add(keys=2)
    advance(team, 120)  # two minutes into a segment
    team.post("/logging/toggle", headers=HX)
    advance(team, 60)  # a minute off
    r = team.post("/logging/memo", data={"memo": "Payment form", "label": "Development"}, headers=HX)
    assert "Memo saved" in r.get_data(as_text=True)
    team.post("/logging/toggle", headers=HX)  # back on, in the same 10 minutes
    advance(team, 60)
    team.post("/logging/toggle", headers=HX)
    with team_app.app_context():
        segments = list(CaptureSegment.select().order_by(CaptureSegment.start))
    assert len(segments) == 1  # the same segment, resumed into
    assert (segments[0].memo, segments[0].label) == ("Payment form", "Development")


def test_right_after_switching_on_the_sources_are_starting_not_off(logged_in, team_app, fake_sources):
    import threading

    team, _ = logged_in
    window = fake_sources["window"]
    release = threading.Event()
    not_started = "the active window is not being read (logging is off)"
    window.health = lambda: OK if release.is_set() else not_started
    window.start = lambda: release.wait(10)  # the loop thread is still starting its sources
    try:
        body = html.unescape(team.post("/logging/toggle", headers=HX).get_data(as_text=True))
        assert "Logging" in body and not_started not in body
        assert 'title="starting"' in body
    finally:
        release.set()
    services(team_app).controller.stop()


def test_the_pages_websocket_wakes_nothing_while_nothing_happens(team_app):
    """No ping every 20 s from the server's socket thread, and the handler's keep-alive (only
    to notice a vanished page) comes at most every 10 minutes: an open window costs no wake-ups."""
    from web.views.time_logging import KEEPALIVE_SECONDS

    assert not team_app.config["SOCK_SERVER_OPTIONS"].get("ping_interval")
    assert KEEPALIVE_SECONDS >= 600
