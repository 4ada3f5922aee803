"""Run the capture loop on its own: ``python -m tracker.demo_run --data-dir DIR``.

For trying capture without the web app, and for the process-level tests (kill -9 crash
safety, privacy) and the benchmark, which need a real process writing a real cache.
SIGTERM/SIGINT stop logging cleanly (the pending snapshot is taken at the stop).

``--sources fake`` uses fake screen/window/input (no display needed) and ``--feed-rate``
makes a thread stand in for a typing user, journaling how many events it produced;
``--speed`` runs a :class:`~tracker.scaled_clock.ScaledClock` so segments pass in seconds.
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.events import Event, SegmentUpdated, SnapshotTaken

if TYPE_CHECKING:
    from tracker.ports import Clock

log = logging.getLogger("tracker.demo_run")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tracker.demo_run", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True, help="snapshots and cache.sqlite3 go here")
    p.add_argument("--contract", type=int, default=1)
    p.add_argument("--sources", choices=["real", "fake"], default="real")
    p.add_argument("--scope", choices=["desktop", "active_screen"], default="desktop")
    p.add_argument("--camera", default="", help="camera index or file/sequence path; empty = off")
    p.add_argument("--hide", action="append", default=None, help="title pattern to hide (repeatable)")
    p.add_argument("--duration", type=float, default=0, help="real seconds to run; 0 = until SIGTERM")
    p.add_argument("--speed", type=float, default=1.0, help="clock speed-up factor (1 = real time)")
    p.add_argument("--start", default="", help="ISO UTC start instant of a sped-up clock")
    p.add_argument("--seed", type=int, default=None, help="seed of the snapshot-instant random")
    p.add_argument("--feed-rate", type=float, default=0, help="fake input: events per real second")
    p.add_argument("--feed-journal", type=Path, default=None, help="fake input: file of produced totals")
    p.add_argument("--log-file", type=Path, default=None)
    return p.parse_args(argv)


def _feeder(inputs, clock, rate: float, journal: Path | None, stop: threading.Event) -> None:
    """Stand-in for a user typing at ``rate`` keys per second (test support only). Journals
    "<clock time> <keys so far>" after each key, so a test can tell what was produced when."""
    total = 0
    out = open(journal, "a", buffering=1) if journal else None  # noqa: SIM115 - closed below
    try:
        while not stop.wait(1.0 / rate):
            inputs.add(keys=1)
            total += 1
            if out:
                out.write(f"{clock.now().isoformat()} {total}\n")
    finally:
        if out:
            out.close()


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        filename=args.log_file,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from dbkit.database import close_cleanly
    from models.capture_store import SqliteCaptureSink
    from models.local import open_local_database
    from tracker.clock import SystemClock
    from tracker.loop import CaptureLoop
    from tracker.privacy import DEFAULT_HIDDEN_TITLE_PATTERNS
    from tracker.scaled_clock import ScaledClock
    from tracker.session import MAX_INTERVAL_SECONDS
    from tracker.snapshot import Preferences, Scope
    from tracker.sources.camera_cv import parse_camera_source

    args.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = open_local_database(args.data_dir / "cache.sqlite3")
    sink = SqliteCaptureSink(args.data_dir)
    removed = sink.recover()
    if removed:
        log.info("removed %d snapshot files left by an interrupted write", len(removed))

    camera_source = parse_camera_source(args.camera)
    if args.sources == "fake":
        from tracker.fakes import FakeCamera, FakeInput, FakeScreen, FakeWindow
        from tracker.ports import Rect, WindowInfo
        from tracker.sources.camera_cv import OpenCVCamera

        parts: dict[str, Any] = {
            "screen": FakeScreen([Rect(0, 0, 640, 360)]),
            "inputs": FakeInput(),
            "window": FakeWindow(WindowInfo("DemoApp", "demo window")),
            "camera": OpenCVCamera(camera_source) if camera_source is not None else FakeCamera(False),
        }
    else:
        from tracker.sources.platform import real_sources

        parts = real_sources(camera_source)

    clock: Clock
    if args.speed != 1.0:
        start = datetime.fromisoformat(args.start) if args.start else datetime.now(UTC)
        clock = ScaledClock(start if start.tzinfo else start.replace(tzinfo=UTC), args.speed)
    else:
        clock = SystemClock()
    prefs = Preferences(
        scope=Scope(args.scope),
        camera_enabled=camera_source is not None,
        hidden_title_patterns=args.hide if args.hide is not None else list(DEFAULT_HIDDEN_TITLE_PATTERNS),
    )
    loop = CaptureLoop(
        clock=clock,
        sink=sink,
        preferences=prefs,
        # a sped-up clock turns scheduling delays into long "minutes": allow ~2 real seconds
        max_interval_seconds=max(MAX_INTERVAL_SECONDS, 60 + 2 * args.speed),
        rng=random.Random(args.seed) if args.seed is not None else None,
        **parts,
    )

    def report(event: Event) -> None:
        if isinstance(event, SegmentUpdated):
            log.info(
                "segment %s: %.0f s logged, activity %d/10",
                event.segment.isoformat(),
                event.logged_seconds,
                event.activity_level,
            )
        elif isinstance(event, SnapshotTaken):
            r = event.record
            log.info(
                "snapshot %s for segment %s: screen=%s camera=%s app=%r title=%r",
                event.snapshot_id,
                event.segment.isoformat(),
                r.screen_status,
                r.camera_status,
                r.app,
                r.title,
            )
        else:
            log.info("%s", event)

    loop.subscribe(report)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    loop.start(args.contract)
    print("logging", flush=True)  # tells a parent process that logging is on
    log.info("status: %s", loop.status().health())
    feeder = None
    if args.feed_rate > 0 and args.sources == "fake":
        feeder = threading.Thread(
            target=_feeder, args=(parts["inputs"], clock, args.feed_rate, args.feed_journal, done), daemon=True
        )
        feeder.start()
    done.wait(args.duration if args.duration > 0 else None)
    done.set()
    if feeder:
        feeder.join()
    loop.stop()
    log.info("stopped; status: %s", loop.status().health())
    close_cleanly(db)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
