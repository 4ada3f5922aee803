"""The real sync worker against the real diary server in a subprocess (loopback only): the server
down for a stretch of logging then back, killed in the middle of a batch, answers lost after it
committed, 500s and timeouts, a refused upload, and two Team apps on one account. After each,
the Team app's cache and the diary's database hold the same segments, snapshots (by hash),
memos and deletions, with no duplicates and nothing missing."""

from __future__ import annotations

import signal
import sqlite3
import threading
from datetime import UTC, datetime

import httpx
import pytest

from core import rules
from models.capture_store import CaptureSegment
from models.local import local_db
from tests.e2e.processes import DEMO_RE, DIARY_URL_RE, ServerProcess, free_port
from tests.integration.sync.testbed import SyncBed
from tracker.clock import SystemClock

_dt = CaptureSegment.start.python_value


class Faults(httpx.BaseTransport):
    """Real HTTP on loopback, with faults scripted per request (see worker_kit.FlakyTransport),
    plus "kill": the server is SIGKILLed while it handles the request."""

    def __init__(self):
        self.inner = httpx.HTTPTransport()
        self.faults: list[str | None] = []
        self.server: ServerProcess | None = None

    def handle_request(self, request):
        fault = self.faults.pop(0) if self.faults else None
        if fault in ("500", "429"):
            return httpx.Response(int(fault), json={"code": "error", "message": "busy"}, request=request)
        if fault == "kill":
            threading.Timer(0.002, lambda: self.server.proc.send_signal(signal.SIGKILL)).start()
        response = self.inner.handle_request(request)
        if fault in ("lost", "timeout"):
            response.read()
            raise (httpx.ReadTimeout if fault == "timeout" else httpx.ReadError)("lost", request=request)
        return response


class Diary:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.data_dir = tmp_path / "diary"
        self.log = tmp_path / "diary.log"
        self.proc: ServerProcess | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> Diary:
        self.proc = ServerProcess(
            "diary server",
            ["diary-server", "--port", str(self.port), "--data-dir", str(self.data_dir), "--demo"],
            self.log,
        ).start(DIARY_URL_RE)
        return self

    def stop(self, signum=signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.running():
            self.proc.stop(signum)

    def rows(self):
        with sqlite3.connect(self.data_dir / "diary.sqlite3") as db:
            segs = db.execute(
                "SELECT uuid, logged_seconds, memo, deleted_at IS NOT NULL FROM diary_segments ORDER BY uuid"
            ).fetchall()
            snaps = db.execute(
                "SELECT uuid, sha256, deleted_at IS NOT NULL FROM diary_snapshots"
                " WHERE sha256 IS NOT NULL ORDER BY uuid"
            ).fetchall()
            blobs = {r[0] for r in db.execute("SELECT sha256 FROM diary_blobs")}
        return segs, snaps, blobs


def local_rows():
    segs = local_db.execute_sql(
        "SELECT uuid, logged_seconds, memo, deleted_at IS NOT NULL FROM capture_segment ORDER BY uuid"
    ).fetchall()
    snaps = local_db.execute_sql(
        "SELECT uuid, sha256, deleted_at IS NOT NULL FROM capture_image WHERE sha256 IS NOT NULL ORDER BY uuid"
    ).fetchall()
    return [tuple(s) for s in segs], [tuple(s) for s in snaps]


def drain(bed: SyncBed, diary: Diary, rounds: int = 40) -> None:
    for _ in range(rounds):
        result = bed.worker.run_once()
        pending = local_db.execute_sql("SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending'").fetchone()[0]
        if result.failure is None and not pending:
            return
        if diary.proc is None or not diary.proc.running():
            diary.start()
        bed.worker.failures = 0  # the backoff itself is tested with the fake clock; here, go again at once
    raise AssertionError("the outbox did not drain")


def assert_same(diary: Diary, allow_parked: int = 0) -> None:
    segs, snaps = local_rows()
    remote_segs, remote_snaps, blobs = diary.rows()
    mine = {s[0] for s in segs}
    assert [s for s in remote_segs if s[0] in mine] == segs
    assert [s for s in remote_snaps if s[0] in {x[0] for x in snaps}] == [s for s in snaps]
    assert {s[1] for s in snaps if not s[2]} <= blobs
    parked = local_db.execute_sql("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]
    assert parked == allow_parked


def open_slots(now: datetime, count: int) -> list[datetime]:
    """Segment starts before ``now`` that the diary still accepts (its week not locked)."""
    earliest = rules.week_start(now) - rules.WEEK
    if now >= rules.week_lock_time(earliest):
        earliest = rules.week_start(now)
    slots, t = [], rules.segment_start(now) - rules.SEGMENT
    while t >= earliest and len(slots) < count:
        slots.append(t)
        t -= rules.SEGMENT
    return slots


@pytest.fixture
def diary(tmp_path):
    d = Diary(tmp_path).start()
    yield d
    if d.proc is not None:
        d.proc.kill()


def sign_in(diary: Diary):
    accounts = {m.group(1): (m.group(2), m.group(3)) for m in DEMO_RE.finditer(diary.proc.output())}
    email, password = accounts["freelancer"]
    r = httpx.post(f"{diary.url}/api/v1/sessions", json={"email": email, "password": password})
    token, user = r.json()["token"], r.json()["user"]
    contracts = httpx.get(f"{diary.url}/api/v1/contracts", headers={"Authorization": f"Bearer {token}"}).json()
    return token, user, contracts["contracts"][0]["id"]


def test_faults_against_a_real_diary_server(diary, tmp_path):
    token, user, cid = sign_in(diary)
    faults = Faults()
    faults.server = diary.proc
    clock = SystemClock()
    bed = SyncBed(tmp_path / "team", diary.url, token, user, clock, transport=faults)
    bed.activate()
    *slots, spare = open_slots(datetime.now(UTC), 121)
    # 1. The diary is down while the freelancer logs; nothing is lost, the status says offline.
    diary.stop()
    for i, start in enumerate(slots[40:]):
        bed.log_segment(cid, start, snapshot_seed=i if i % 8 == 0 else None)
    result = bed.worker.run_once()
    assert result.failure and result.delay > 0
    diary.start()
    faults.server = diary.proc
    drain(bed, diary)
    assert_same(diary)
    # 2. Killed in the middle of a batch, then answers lost after commit, 500s and timeouts.
    for i, start in enumerate(slots[:40]):
        bed.log_segment(cid, start, snapshot_seed=100 + i if i % 10 == 0 else None)
    local_db.execute_sql(
        "UPDATE capture_segment SET memo = 'edited', memo_edited_at = ? WHERE id % 3 = 0",
        (datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),),
    )
    from models.segments import enqueue_upload

    for uid, sid in local_db.execute_sql("SELECT uuid, id FROM capture_segment WHERE id % 3 = 0").fetchall():
        enqueue_upload("segment", uid, sid, datetime.now(UTC))
    faults.faults = ["kill"]
    bed.worker.run_once()
    diary.start()
    faults.server = diary.proc
    faults.faults = ["lost", "timeout", "500", "lost", "429", "lost"]
    drain(bed, diary)
    assert_same(diary)
    # 3. A deletion, and an upload the diary refuses (damaged file): parked with its reason.
    from models.capture_store import CaptureImage
    from models.segments import delete_snapshot

    images = list(CaptureImage.select().where(CaptureImage.path.is_null(False)).order_by(CaptureImage.id))
    delete_snapshot(images[0].id, bed.data_dir, datetime.now(UTC))
    bed.log_segment(cid, spare, snapshot_seed=999)
    newest = CaptureImage.select().order_by(CaptureImage.id.desc()).first()
    path = bed.data_dir / newest.path
    path.write_bytes(path.read_bytes()[:-8] + b"garbage!")
    for _ in range(3):
        bed.worker.run_once()
    problem = local_db.execute_sql("SELECT state, error_code FROM sync_outbox WHERE kind = 'snapshot'").fetchall()
    assert problem == [("attention", "hash_mismatch")]
    segs, _snaps = local_rows()
    remote_segs, remote_snaps, _ = diary.rows()
    assert {s[0] for s in remote_segs} == {s[0] for s in segs}
    assert any(s[2] for s in remote_snaps)  # the deleted snapshot's tombstone arrived
    diary.stop()


def test_two_team_apps_on_one_account(diary, tmp_path):
    token, user, cid = sign_in(diary)
    second_token, _, _ = sign_in(diary)  # each computer signs in itself: its own session
    clock = SystemClock()
    slots = open_slots(datetime.now(UTC), 12)
    first = SyncBed(tmp_path / "first", diary.url, token, user, clock)
    second = SyncBed(tmp_path / "second", diary.url, second_token, user, clock)
    # Both log the same contract at the same time (the second one also a little more).
    first.activate()
    for start in slots[:8]:
        first.log_segment(cid, start)
    drain(first, diary)
    second.activate()
    for start in slots:
        second.log_segment(cid, start)
    result = second.worker.run_once()
    assert result.duplicates == 8
    drain(second, diary)
    assert_same(diary)
    dupes = local_db.execute_sql("SELECT COUNT(*) FROM capture_segment WHERE duplicate_of IS NOT NULL").fetchone()[0]
    assert dupes == 8
    with sqlite3.connect(diary.data_dir / "diary.sqlite3") as db:
        billed = db.execute("SELECT COUNT(*) FROM diary_segments WHERE billed").fetchone()[0]
        total = db.execute("SELECT COUNT(*) FROM diary_segments").fetchone()[0]
    assert (billed, total) == (len(slots), len(slots) + 8)
    first.activate()
    assert_same(diary)
    # The first computer pulls: the second's four other segments are copied in, marked remote,
    # so its Work Diary shows the whole week; nothing of them is queued to go back up.
    result = first.worker.run_once()
    assert result.pulled >= 4 and result.pushed == 0
    remote = local_db.execute_sql(
        "SELECT uuid, start FROM capture_segment WHERE remote = 1 ORDER BY start DESC"
    ).fetchall()
    assert len(remote) == 4
    week = local_db.execute_sql("SELECT COUNT(*) FROM capture_segment WHERE deleted_at IS NULL").fetchone()[0]
    assert week == len(slots)
    assert local_db.execute_sql("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0
    assert assert_same(diary) is None  # the copies equal the diary's rows (seconds, memo, deletion)
    minutes = local_db.execute_sql(
        "SELECT SUM(keys), SUM(clicks) FROM capture_minute m JOIN capture_segment s ON s.id = m.segment_id"
        " WHERE s.uuid = ?",
        (remote[0][0],),
    ).fetchone()
    assert minutes == (30, 10)  # the other computer's activity came with it
    # A memo written here on the other computer's segment reaches the diary; its time does not change.
    from models.segments import apply_memo

    assert apply_memo(cid, _dt(remote[-1][1]), "Reviewed on the laptop", None, datetime.now(UTC)) >= 1
    drain(first, diary)
    assert_same(diary)
    with sqlite3.connect(diary.data_dir / "diary.sqlite3") as db:
        memo, seconds = db.execute(
            "SELECT memo, logged_seconds FROM diary_segments WHERE uuid = ?", (remote[-1][0],)
        ).fetchone()
    assert (memo, seconds) == ("Reviewed on the laptop", 600)
    # This computer now logs one of those 10 minutes itself: the row becomes its own segment
    # (new UUID, only what it logged), and the diary stores it as a duplicate of the other's.
    assert _dt(remote[0][1]) == slots[8]
    first.log_segment(cid, slots[8])
    row = local_db.execute_sql(
        "SELECT uuid, remote, logged_seconds, memo FROM capture_segment WHERE start = ?", (remote[0][1],)
    ).fetchone()
    assert row[0] != remote[0][0] and row[1:] == (0, 600, None)
    drain(first, diary)
    assert_same(diary)
    with sqlite3.connect(diary.data_dir / "diary.sqlite3") as db:
        billed, duplicate_of = db.execute(
            "SELECT billed, duplicate_of FROM diary_segments WHERE uuid = ?", (row[0],)
        ).fetchone()
    assert (billed, duplicate_of) == (0, remote[0][0])
    diary.stop()
