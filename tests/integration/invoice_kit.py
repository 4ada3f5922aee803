"""A diary with two contracts of one client and a week of logged time, for the invoice tests.

The test clock starts Monday 2026-11-23 09:00 UTC (tests/conftest.py); the week's time is
pushed day by day through the sync API, as Team apps do, and the clock ends on Sunday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.integration.sync.helpers import PASSWORD, push, segment

WEEK1 = datetime(2026, 11, 23, tzinfo=UTC)
ISSUE1 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@dataclass
class Diary:
    app: object
    http: object
    clock: object
    headers: dict  # role -> bearer headers: client, free, other_client, other_free
    contract: int  # rate 25, manual time allowed, no limit
    limited: int  # rate 40, a weekly limit of 1 hour
    client_id: int

    def db(self):
        return self.app.extensions["diary_db"]

    def push(self, who: str, segments: list[dict]) -> dict:
        return push(self.http, self.headers[who], segments)

    def issue(self, at: datetime):
        """Move the clock and run one round of the cycle, as the scheduler would."""
        self.clock.now = at
        return self.app.extensions["invoice_scheduler"].run_once()

    def log_day(self, contract: int, day: datetime, count: int, **extra) -> list[dict]:
        """``count`` full segments from 09:00 UTC of ``day`` (the clock moves to that evening)."""
        self.clock.now = max(self.clock.now, day.replace(hour=20))
        segs = [segment(contract, day.replace(hour=9) + timedelta(minutes=10 * k), **extra) for k in range(count)]
        result = self.push("free", segs)
        assert all(r["status"] == "ok" for r in result["results"]), result
        return segs


def make_diary(diary_app, make_user, clock) -> Diary:
    from diary_server import contracts as svc

    client = make_user("client@example.com", "Cleo Client", "client")
    make_user("free@example.com", "Fran Freelancer", "freelancer")
    make_user("other-client@example.com", "Otto Client", "client")
    make_user("other-free@example.com", "Olga Freelancer", "freelancer")
    with diary_app.extensions["diary_db"].connection_context():
        common = {"freelancer_email": "free@example.com", "now": clock()}
        main = svc.create_contract(client, title="Website", hourly_rate="25", manual_time_allowed=True, **common)
        limited = svc.create_contract(client, title="Support", hourly_rate="40", weekly_limit_hours=1, **common)
    http = diary_app.test_client()
    headers = {}
    for role, email in [
        ("client", "client@example.com"),
        ("free", "free@example.com"),
        ("other_client", "other-client@example.com"),
        ("other_free", "other-free@example.com"),
    ]:
        r = http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
        assert r.status_code == 201, r.json
        headers[role] = {"Authorization": f"Bearer {r.json['token']}"}
    return Diary(diary_app, http, clock, headers, main.id, limited.id, client.id)


def log_first_week(d: Diary) -> None:
    """Week 1 on the main contract: Monday 62 min logged, Tuesday 30 logged and 20 manual (and
    10 deleted), Wednesday 10 (and a second computer's copy of them, not billed); on the
    limited contract 90 min logged on Thursday, of which 60 are billed."""
    mon, tue, wed, thu = (WEEK1 + timedelta(days=k) for k in range(4))
    d.log_day(d.contract, mon, 6)
    d.clock.now = mon.replace(hour=21)
    d.push("free", [segment(d.contract, mon.replace(hour=11), logged_seconds=61)])  # 2 billable minutes
    d.log_day(d.contract, tue, 3)
    manual = [segment(d.contract, tue.replace(hour=14) + timedelta(minutes=10 * k), manual=True) for k in range(2)]
    gone = segment(d.contract, tue.replace(hour=16), deleted_at=tue.replace(hour=17).isoformat())
    result = d.push("free", [*manual, gone])
    assert [r["status"] for r in result["results"]] == ["ok"] * 3, result
    first = d.log_day(d.contract, wed, 1)
    copy = segment(d.contract, datetime.fromisoformat(first[0]["start"]))
    result = d.push("free", [copy])
    assert result["results"][0]["status"] == "duplicate", result
    d.log_day(d.limited, thu, 9)
    d.clock.now = WEEK1 + timedelta(days=6, hours=23)  # Sunday night
