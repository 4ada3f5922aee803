"""The Team app hears the diary through one held pull instead of pulling every 15 s: the
worker and its listener run on their own threads against the in-process diary, and the other
party's edit reaches the Team app with no timed pull in between."""

from __future__ import annotations

import threading

from tests.integration.sync.worker_kit import HX, FlakyTransport, diary_state, local_state, log_minutes


class CountingTransport(FlakyTransport):
    """Also counts the pulls that were not held (no ``wait=``): the timed ones."""

    def __init__(self, app):
        super().__init__(app)
        self.plain_pulls = 0
        self.held_pulls = 0

    def handle_request(self, request):
        if request.url.path.endswith("/sync/changes"):
            if "wait" in request.url.params:
                self.held_pulls += 1
            else:
                self.plain_pulls += 1
        return super().handle_request(request)


def _until(predicate, what: str) -> None:
    for _ in range(3000):
        if predicate():
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"never happened: {what}")


def test_the_other_partys_label_arrives_through_the_held_pull(
    logged_in, team_app, sqlite_diary, make_worker, fake_sources
):
    team, _cid, http, headers = logged_in
    team.post("/logging/memo", data={"memo": "Checkout page", "label": "Design"}, headers=HX)
    log_minutes(team, fake_sources, 12)
    transport = CountingTransport(sqlite_diary)
    # A worker that would not pull on its own for an hour: only the listener can bring news.
    worker = make_worker(transport, listen=True, idle_seconds=3600)
    waiters = sqlite_diary.extensions["change_waiters"]
    with team_app.app_context():
        worker.start()
        try:
            _until(lambda: len(diary_state(sqlite_diary)[0]) == len(local_state(team_app)[0]), "the push")
            _until(lambda: waiters.waiting() == 1, "a held pull")
            pulls_before = transport.plain_pulls
            target = diary_state(sqlite_diary)[0][-1][0]
            r = http.patch(f"/api/v1/segments/{target}", json={"label": "Development"}, headers=headers)
            assert r.status_code == 200

            def arrived():
                segs, _, _ = local_state(team_app)
                return next(s for s in segs if s[0] == target)[3] == "Development"

            _until(arrived, "the label in the Team app")
            # One round pulled it, woken by the listener; nothing pulled on a timer.
            assert transport.plain_pulls == pulls_before + 1
            assert transport.held_pulls >= 2  # the one that heard it, and the next one
            assert worker.listener.connected
        finally:
            waiters.stop()  # answer the held pull in flight
            worker.stop()
