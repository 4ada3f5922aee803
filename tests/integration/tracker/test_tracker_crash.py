"""Crash safety: a logging process killed with SIGKILL at random moments, then restarted.

The process runs the real loop and SQLite sink with fake sources, a clock sped up 120x (a
minute passes in 0.5 s) and a thread standing in for a user typing 50 keys a second, which
journals how many it produced. After each kill the cache must hold every flushed minute
(at most the last minute of counts lost: the stand-in user's journal says what was
typed when), every snapshot it recorded (file present and
intact), and whole segments.
"""

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta

from core import rules
from dbkit.fields import from_db
from tests.integration.tracker.conftest import REPO, runner_command, runner_env

SPEED = 120
FEED_RATE = 50  # keys per real second -> 25 keys per (virtual) minute
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def parse(ts: str) -> datetime:
    return from_db(ts)


def db_state(path):
    con = sqlite3.connect(path)
    segs = con.execute("SELECT id, start, logged_seconds, logged_until FROM capture_segment ORDER BY start").fetchall()
    keys = con.execute("SELECT COALESCE(SUM(keys), 0) FROM capture_minute").fetchone()[0]
    images = con.execute("SELECT segment_id, kind, path, thumb_path, size_bytes, sha256 FROM capture_image").fetchall()
    con.close()
    return segs, keys, images


def start_runner(data, start, journal, seed, *extra):
    proc = subprocess.Popen(
        runner_command(
            "--data-dir",
            str(data),
            "--sources",
            "fake",
            "--speed",
            str(SPEED),
            "--start",
            start.isoformat(),
            "--feed-rate",
            str(FEED_RATE),
            "--feed-journal",
            str(journal),
            "--seed",
            str(seed),
            *extra,
        ),
        cwd=REPO,
        env=runner_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    assert line == "logging", proc.stderr.read()
    return proc


def journal(path) -> list[tuple[datetime, int]]:
    """(clock time, keys produced so far) after each key the stand-in user typed."""
    rows = []
    for line in path.read_text().splitlines() if path.exists() else []:
        parts = line.split()
        if len(parts) == 2:  # the last line may be cut by the kill
            rows.append((datetime.fromisoformat(parts[0]), int(parts[1])))
    return rows


def check_images(data, images):
    for _seg, _kind, path, thumb, size, sha in images:
        if path is None:
            continue
        blob = (data / path).read_bytes()
        assert len(blob) == size and hashlib.sha256(blob).hexdigest() == sha, f"damaged snapshot {path}"
        assert (data / thumb).stat().st_size > 0


def test_kill_9_loses_at_most_the_last_minute_and_never_a_snapshot(tmp_path):
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    data = tmp_path / "data"
    db = data / "cache.sqlite3"
    start = START
    crash_segments = set()
    seen_images: set = set()
    keys_before = 0
    for run in range(3):
        journal_path = tmp_path / f"journal{run}"
        proc = start_runner(data, start, journal_path, seed + run)
        time.sleep(rng.uniform(1.0, 3.5))  # a random moment: mid-minute, mid-segment, mid-write
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()

        segs, keys, images = db_state(db)
        last_flush = max(parse(u) for *_x, u in segs)
        rows = journal(journal_path)
        assert rows, "the stand-in user typed nothing"
        produced_by_flush = max((n for t, n in rows if t <= last_flush), default=0)
        stored = keys - keys_before
        # every count up to the last write is there (+-2 for keys typed during that write) ...
        assert abs(stored - produced_by_flush) <= 2, (seed, stored, produced_by_flush)
        # ... and the last write was at most a minute (plus scheduling delay) before the kill
        killed_at = rows[-1][0]
        assert (killed_at - last_flush).total_seconds() <= 60 + 2 * SPEED * 0.25, (seed, killed_at, last_flush)
        check_images(data, images)
        # a snapshot, once written, stays written
        now_images = {(s, k, p) for s, k, p, *_ in images}
        assert seen_images <= now_images, seed
        seen_images = now_images
        for _id, seg_start, seconds, until in segs:
            assert 0 <= seconds <= 600
            assert parse(seg_start) <= parse(until) <= parse(seg_start) + rules.SEGMENT
        crash_segments.add(rules.segment_start(last_flush))
        keys_before = keys
        start = last_flush + timedelta(seconds=30)  # the user restarts logging a bit later

    # a final clean run recovers orphans and finishes
    proc = start_runner(data, start, tmp_path / "journal-final", seed, "--duration", "1.5")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.strip().endswith("stopped"), err
    segs, keys, images = db_state(db)
    check_images(data, images)
    referenced = {p for *_x, p, t, _s, _h in images for p in (p, t) if p}
    on_disk = {str(p.relative_to(data)) for p in (data / "snapshots").rglob("*") if p.is_file()}
    assert on_disk == referenced, "orphan or missing snapshot files"
    screens = {s for s, k, p, *_ in images if k == "screen"}
    total = 0.0
    for seg_id, seg_start, seconds, _until in segs:
        total += seconds
        if seconds == 600 and rules.segment_start(parse(seg_start)) not in crash_segments:
            assert seg_id in screens, f"complete segment {seg_start} has no snapshot (seed {seed})"
    # every run logged its time: whole segments are never lost
    assert total > 4 * 60, seed
