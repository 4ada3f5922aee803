"""Sync throughput: the real worker pushing to a real diary server on loopback, printed.

    .venv/bin/python bench/sync.py [--segments 10000] [--snapshots 1000] [--db sqlite|postgresql|both]

For each database: N queued segments pushed (segments/s), then M snapshots of ~100 KB
uploaded (MB/s), each beside a plain HTTP loop (httpx posting the same kind of bodies, no
outbox) in the same run, and the bench process's resident memory (the Team app side) before
and at its peak. Targets (issue 6): 10,000 segments < 10 s, 1,000 snapshots < 30 s, memory
flat within 20 MB. Figures only; no assertions.
"""

from __future__ import annotations

import argparse
import base64
import math
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from core import rules
from models.local import local_db
from tests.e2e.processes import DEMO_RE, DIARY_URL_RE, ServerProcess, free_port
from tests.integration.sync.testbed import SyncBed, encoded_png
from tracker.clock import SystemClock


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    def __init__(self):
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def open_slots(now: datetime) -> list[datetime]:
    earliest = rules.week_start(now) - rules.WEEK
    if now >= rules.week_lock_time(earliest):
        earliest = rules.week_start(now)
    slots, t = [], rules.segment_start(now) - rules.SEGMENT
    while t >= earliest:
        slots.append(t)
        t -= rules.SEGMENT
    return slots


def run(label: str, database: str | None, segments: int, snapshots: int, work: Path) -> None:
    port = free_port()
    args = ["diary-server", "--port", str(port), "--data-dir", str(work / "diary"), "--demo"]
    if database:
        args += ["--database", database]
    server = ServerProcess("diary", args, work / "diary.log").start(DIARY_URL_RE)
    url = f"http://127.0.0.1:{port}"
    try:
        accounts = {m.group(1): (m.group(2), m.group(3)) for m in DEMO_RE.finditer(server.output())}
        http = httpx.Client(base_url=url, timeout=60)

        def token(role):
            email, password = accounts[role]
            r = http.post("/api/v1/sessions", json={"email": email, "password": password}).json()
            return r["token"], r["user"]

        (client_token, _), (free_token, user) = token("client"), token("freelancer")
        # The plain loop signs in by itself: to the worker it is another computer of the same
        # account (the changes feed leaves out only a session's own writes).
        plain_token, _ = token("freelancer")
        slots = open_slots(datetime.now(UTC))
        contracts_needed = math.ceil(2 * segments / len(slots)) + 1  # the worker's and the plain loop's

        def new_contract(i):
            body = {"freelancer_email": accounts["freelancer"][0], "title": f"Bench {i}", "hourly_rate": "20"}
            r = http.post("/api/v1/contracts", json=body, headers={"Authorization": f"Bearer {client_token}"})
            return r.json()["id"]

        contracts = [new_contract(i) for i in range(contracts_needed)]
        pairs = [(c, s) for c in contracts for s in slots]
        worker_pairs, plain_pairs = pairs[:segments], pairs[segments : 2 * segments]
        bed = SyncBed(work / "team", url, free_token, user, SystemClock())
        bed.activate()
        bed.worker.batch_size = 500
        t = time.perf_counter()
        for c, s in worker_pairs:
            bed.log_segment(c, s)
        queued = time.perf_counter() - t
        base = rss_mb()
        with PeakRss() as mem:
            t = time.perf_counter()
            while local_db.execute_sql("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]:
                result = bed.worker.run_once()
                assert result.failure is None, result.failure
            pushed = time.perf_counter() - t
        # Plain loop: the same batches, built once, posted with httpx (no outbox, no merge, no pull).
        headers = {"Authorization": f"Bearer {plain_token}"}
        minutes = [[3, 1, 0]] * 10
        bodies = [
            {
                "segments": [
                    {
                        "uuid": str(uuid.uuid4()),
                        "contract_id": c,
                        "start": s.isoformat(),
                        "version": 1,
                        "logged_seconds": 600,
                        "minutes": minutes,
                        "app_name": "xterm",
                        "window_title": "vim",
                    }
                    for c, s in plain_pairs[i : i + 500]
                ]
            }
            for i in range(0, len(plain_pairs), 500)
        ]
        t = time.perf_counter()
        for body in bodies:
            assert http.post("/api/v1/sync/push", json=body, headers=headers).status_code == 200
        plain = time.perf_counter() - t
        print(f"[{label}] {segments} segments: queued locally in {queued:.1f} s (not part of the push)")
        print(
            f"[{label}]   worker push {pushed:.2f} s = {segments / pushed:,.0f} segments/s"
            f"   | plain HTTP loop {plain:.2f} s = {segments / plain:,.0f} segments/s"
            f"   | worker/plain time {pushed / plain:.2f}"
        )
        print(f"[{label}]   Team app RSS {base:.1f} MB before, peak {mem.peak:.1f} MB (+{mem.peak - base:.1f} MB)")

        # The plain loop's segments are another computer's to this Team app (same account): its
        # next pull copies them in. Done here, untimed, so the upload figure is uploads only.
        t = time.perf_counter()
        pulled = bed.worker.run_once().pulled
        print(
            f"[{label}]   (the plain loop's {pulled} segments pulled in as another computer's: "
            f"{time.perf_counter() - t:.1f} s, not timed)"
        )
        # Snapshots of ~100 KB on fresh segments of one contract each.
        snap_pairs = [
            (c, s) for c in [new_contract(1000 + i) for i in range(math.ceil(snapshots / len(slots)))] for s in slots
        ][:snapshots]
        images = [encoded_png(i, noise_bytes=100_000) for i in range(min(snapshots, 50))]
        for i, (c, s) in enumerate(snap_pairs):
            bed.log_segment(c, s, snapshot_seed=i % len(images), noise_bytes=100_000)
        total_mb = 0.0
        for (size,) in local_db.execute_sql("SELECT size_bytes FROM capture_image WHERE path IS NOT NULL").fetchall():
            total_mb += size / 1e6
        base = rss_mb()
        with PeakRss() as mem:
            t = time.perf_counter()
            while local_db.execute_sql("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]:
                result = bed.worker.run_once()
                assert result.failure is None, result.failure
            uploaded = time.perf_counter() - t
        seg_uuids = [
            r[0]
            for r in local_db.execute_sql(
                "SELECT s.uuid FROM capture_image i JOIN capture_segment s ON s.id = i.segment_id"
            ).fetchall()
        ]
        t = time.perf_counter()
        for i, seg_uuid in enumerate(seg_uuids):
            image = images[i % len(images)]
            body = {
                "segment_uuid": seg_uuid,
                "kind": "camera",
                "taken_at": datetime.now(UTC).isoformat(),
                "mime": image.mime,
                "sha256": image.sha256,
                "data": base64.b64encode(image.data).decode(),
            }
            r = http.put(f"/api/v1/snapshots/{uuid.uuid4()}", json=body, headers=headers)
            assert r.status_code == 200, r.text
        plain = time.perf_counter() - t
        print(f"[{label}] {snapshots} snapshots, {total_mb:.1f} MB (~{total_mb * 1000 / snapshots:.0f} KB each):")
        print(
            f"[{label}]   worker upload {uploaded:.2f} s = {total_mb / uploaded:.1f} MB/s"
            f"   | plain HTTP loop {plain:.2f} s = {total_mb / plain:.1f} MB/s"
            f"   | worker/plain time {uploaded / plain:.2f}"
        )
        print(f"[{label}]   Team app RSS {base:.1f} MB before, peak {mem.peak:.1f} MB (+{mem.peak - base:.1f} MB)")
        bed.db.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--snapshots", type=int, default=1_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as work:
            run("SQLite", None, args.segments, args.snapshots, Path(work))
    if args.db in ("postgresql", "both"):
        from tests.support.postgres import PostgresCluster

        cluster = PostgresCluster().start()
        try:
            name = cluster.create_database()
            with tempfile.TemporaryDirectory(prefix="bench-sync-") as work:
                run("PostgreSQL", cluster.url(name), args.segments, args.snapshots, Path(work))
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
