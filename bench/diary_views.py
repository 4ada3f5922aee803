"""Work Diary views: server-side render time of a full week and of a memo edit; page weight.

    .venv/bin/python bench/diary_views.py [--runs 15]

Builds a Team app (fake capture sources, test clock) on a temp data dir, signs in to an
in-process diary, writes a full week (7 x 144 = 1,008 segments with per-minute counts, memos,
labels and snapshot files) into its cache, and times through the Flask test client (no
network, no browser):

- baseline: an empty page of the same layout (GET /help: base.html and one small template)
- the week grid, whole page and the htmx block alone (1,008 cells), and its records and
  view-model alone (``diary_records.grid_records_between`` + ``diary_view.week_view``)
- the day view of a full day (144 cells with thumbnails)
- a memo edit of 50 selected segments (POST /diary/memo, answered with out-of-band swaps of
  the 50 changed cells and the totals)
- the CSV export of the week
- the diary server's own Work Diary pages for the same full week (written through its sync
  protocol): the week grid (page and htmx block), a full day, and the same 50-segment memo edit, which goes
  through one ``sync_service.push`` into the changes feed

Each figure is the median (and min) of ``--runs`` runs after one warm-up (round-robin over
the rows), and the median CPU
time of the thread that runs the request (steadier than wall time on a busy shared machine),
also as a ratio to the baseline's CPU time in the same run. Page weight is
the bytes of the week view's HTML, and of its CSS and JS (uncompressed and gzip -6).
Nothing asserts on these figures.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

import settings_load  # noqa: E402
from core import rules  # noqa: E402
from web.services import services  # noqa: E402

NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # a Friday evening
SECRET = "bench-secret"  # noqa: S105 (the launch key of a throwaway app)


def build(tmp: Path):
    from diary_server import create_app as create_diary
    from diary_server.accounts import create_user
    from sync.diary_client import DiaryClient
    from tracker.fakes import FakeClock, FakeInput, FakeScreen, FakeWindow
    from tracker.ports import WindowInfo
    from web import create_app

    # The diary's clock moves a microsecond a request: each memo edit is later than the one
    # before (at one instant, last-writer-wins keeps the larger text, and the edit would lose).
    ticks = itertools.count()
    diary = create_diary(
        {
            "DATA_DIR": tmp / "diary",
            "CLOCK": lambda: NOW + timedelta(microseconds=next(ticks)),
            "TESTING": True,
        }
    )
    with diary.extensions["diary_db"].connection_context():
        create_user("felix@example.com", "Felix Freelancer", "freelancer", "correct horse 1", NOW)
        create_user("cleo@example.com", "Cleo Client", "client", "correct horse 1", NOW)
    http = diary.test_client()
    token = http.post("/api/v1/sessions", json={"email": "cleo@example.com", "password": "correct horse 1"}).json
    cid = http.post(
        "/api/v1/contracts",
        json={
            "freelancer_email": "felix@example.com",
            "title": "Website redesign",
            "hourly_rate": "25",
            "activity_labels": ["Design", "Development", "Meetings", "Research"],
        },
        headers={"Authorization": f"Bearer {token['token']}"},
    ).json["id"]

    def client_factory(url, token=None):
        return DiaryClient(url, token, transport=httpx.WSGITransport(app=diary))

    s = settings_load.load("app", cli={"data_dir": str(tmp / "team"), "token_store": "file"}, environ={})
    sources = {
        "screen": FakeScreen(),
        "inputs": FakeInput(),
        "window": FakeWindow(WindowInfo(app="xterm", title="vim", rect=None)),
        "camera": None,
    }
    app = create_app(
        s,
        launch_secret=SECRET,
        diary_url="http://diary.test",
        client_factory=client_factory,
        clock=FakeClock(NOW),
        sources=sources,
        test_clock=True,
    )
    team = app.test_client()
    team.get(f"/?key={SECRET}")
    assert team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"}).status_code == 303
    team.post("/contracts/select", data={"contract_id": cid})
    from models.local import local_db
    from tests.support.diary_data import work_week

    with app.app_context(), local_db.connection_context():
        made = work_week(Path(s.data_dir), cid, rules.week_start(NOW), full=True)
    from diary_server.models import User
    from tests.support.diary_data import server_work_week

    diary.config["WTF_CSRF_ENABLED"] = False  # the bench posts forms without a browser
    with diary.extensions["diary_db"].connection_context():
        felix = User.get(User.email == "felix@example.com")
        # Written as of the week's end (all 1,008 segments are in the past then); the pages run at NOW.
        written_at = rules.week_start(NOW) + rules.WEEK
        server_made = server_work_week(felix, cid, rules.week_start(NOW), written_at, full=True)
    browser = diary.test_client()
    r = browser.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 302, r.status_code
    return app, team, cid, made, browser, server_made


def timed_all(fns, runs: int) -> list[tuple[float, float, float]]:
    """Per function: median and min wall time, and median CPU time of this thread (ms).

    The test client runs the request in this thread, so its CPU time is the server's work
    without the waits for a core that a busy 2-core machine adds to the wall time. The runs
    go round-robin (every function once, ``runs`` times over), so a burst of load from a
    neighbour on the shared machine lands on all rows alike instead of on one of them."""
    for fn in fns:
        fn()  # warm-up (template compilation, caches)
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t, c = time.perf_counter(), time.thread_time()
            fn()
            cpu[i].append((time.thread_time() - c) * 1000)
            wall[i].append((time.perf_counter() - t) * 1000)
    return [(statistics.median(w), min(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs; runs={args.runs}")
    with tempfile.TemporaryDirectory() as tmp:
        app, team, cid, made, browser, server_made = build(Path(tmp))
        week = rules.week_start(NOW).date()
        hx = {"HX-Request": "true"}
        print(f"data: {len(made.segment_ids)} segments, {len(made.image_ids)} snapshot images\n")

        def get(url, headers=None, client=team):
            def run():
                r = client.get(url, headers=headers or {})
                assert r.status_code == 200, (url, r.status_code)
                return r

            return run

        memos = iter(range(10**6))

        def memo_edit(client, url: str, ids: list) -> Callable[[], None]:
            """A week-toolbar memo edit of ``ids`` (a new memo each time, as htmx posts it)."""
            selection = ",".join(map(str, ids))

            def run():
                form = {"ids": selection, "memo": f"Bench memo {next(memos)}", "label": "Design"}
                form.update(view="week", day=str(week), tz="utc")
                r = client.post(url, data=form, headers=hx)
                assert r.status_code == 200 and "Saved the memo" in r.get_data(as_text=True), r.status_code

            return run

        def pure_week():
            from models import diary_records
            from ui import diary_view as dv

            with app.app_context():
                from models.local import local_db

                with local_db.connection_context():
                    start = rules.week_start(NOW)
                    records = diary_records.grid_records_between(cid, start, start + rules.WEEK)
            dv.week_view(records, week=start, tz=UTC, now=NOW, weekly_limit_hours=None, rate="25")

        server_week = f"/contracts/{cid}/diary/week?week={week}&tz=utc"
        rows = [
            ("baseline: GET /help (base layout, small page)", get("/help")),
            ("week view, whole page (1,008 cells)", get(f"/diary/week?week={week}&tz=utc")),
            ("week view, htmx block only", get(f"/diary/week?week={week}&tz=utc", hx)),
            ("  of which: load records + view-model", pure_week),
            ("day view, full day (144 cells)", get(f"/diary?day={NOW.date() - timedelta(days=1)}&tz=utc")),
            (
                "memo edit of 50 segments (changed cells + totals)",
                memo_edit(team, f"/diary/memo?contract={cid}", made.segment_ids[200:250]),
            ),
            ("CSV export of the week", get(f"/diary/export.csv?week={week}&tz=utc")),
            ("diary server: week page (1,008 cells)", get(server_week, client=browser)),
            ("diary server: week, htmx block only", get(server_week, hx, client=browser)),
            (
                "diary server: day view, full day (144 cells)",
                get(f"/contracts/{cid}/diary?day={NOW.date() - timedelta(days=1)}&tz=utc", client=browser),
            ),
            (
                "diary server: memo edit of 50 segments",
                memo_edit(browser, f"/contracts/{cid}/diary/memo", server_made.segment_uuids[200:250]),
            ),
        ]
        print(f"{'':52} {'median ms':>10} {'min ms':>8} {'CPU ms':>8} {'x base':>7}")
        figures = timed_all([fn for _name, fn in rows], args.runs)
        base = figures[0][2]
        for (name, _fn), (med, low, cpu) in zip(rows, figures, strict=True):
            print(f"{name:52} {med:10.1f} {low:8.1f} {cpu:8.1f} {cpu / base:7.1f}")
        print(
            "\n(x base: CPU time over the baseline page's, both measured in this run: steadier than ms"
            " when the shared machine is busy. Targets: week page < 50 ms, 50-segment memo edit < 30 ms.)"
        )

        page = team.get(f"/diary/week?week={week}&tz=utc").get_data()
        css = (ROOT / "ui/static/diary.css").read_bytes() + (ROOT / "ui/static/team.css").read_bytes()
        js = (ROOT / "ui/static/diary.js").read_bytes() + (ROOT / "web/static/js/app.js").read_bytes()
        htmx = (ROOT / "ui/static/vendor/htmx/htmx.min.js").read_bytes()
        print("\npage weight of the week view (bytes, uncompressed / gzip -6):")
        for name, data in (("HTML", page), ("CSS (team + diary)", css), ("JS (app + diary)", js), ("htmx", htmx)):
            print(f"  {name:22} {len(data):>8} / {len(gzip.compress(data, 6)):>7}")
        total = page + css + js + htmx
        print(f"  {'total':22} {len(total):>8} / {sum(len(gzip.compress(d, 6)) for d in (page, css, js, htmx)):>7}")
        services(app).shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
