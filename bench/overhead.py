"""Team app overhead on a desktop: CPU, memory, writes and wake-ups while logging, against a floor.
Figures printed, never asserted.

    .venv/bin/python bench/overhead.py [--minutes 10] [--align] [--display N] [--keep]

Starts its own private X display (``Xvfb :N -screen 0 1920x1080x24 -nolisten tcp``, a free N),
``openbox`` and one ``xterm`` (running ``cat``), then at the same time on that display:

- the Team app as ``make run`` starts it (``app.py --no-window --no-tray``: real clock, embedded
  Work Diary in-process), signed in as the printed demo freelancer, demo contract selected,
  logging ON;
- the same, signed in, logging OFF;
- a bare pynput keyboard + mouse counter (``bench/pynput_counter.py``): the floor.

Each app has its own temp data dir. Once all three run, it drives the same input into all
(xdotool into the focused xterm: a key per second, a click every 5 s, a title change every
minute) for ``--minutes`` (``--align``: start at the next 10-minute UTC segment boundary, so a
10-minute run is one whole segment). From /proc it prints per process: CPU seconds
(utime+stime, delta), the per-thread split, VmHWM and steady VmRSS (median of samples after the
first minute), write_bytes and wchar (delta), data-dir growth, context switches per second (all
threads), and the CPU ratio to the floor. Then it stops the apps (SIGTERM) and reads the ON
app's database read-only: keys and clicks counted vs sent, per segment, and snapshots per
segment. Everything it started is stopped at the end, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.desktop_session import Child, Started, app_env, free_display, sign_in, start_desktop, wait_for, xdotool  # noqa: E402
from bench.proc_sample import Sample, sample, status_fields  # noqa: E402

SEGMENT = 600
MiB = 1024 * 1024


@dataclass
class Measured:
    label: str
    child: Child
    data_dir: Path | None
    first: Sample | None = None
    last: Sample | None = None
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds into the run, VmRSS kB)

    @property
    def wall(self) -> float:
        return self.last.at - self.first.at

    @property
    def cpu(self) -> float:
        return self.last.cpu - self.first.cpu

    def per10(self, value: float) -> float:
        return value * SEGMENT / self.wall

    def thread_split(self) -> list[tuple[str, float, int]]:
        """(thread name, CPU s, context switches) over the run, by name, biggest first; threads
        that ended before the last sample are folded into one row from the process total."""
        by_name: dict[str, list[float]] = {}
        pid = self.child.proc.pid
        for tid, (comm, cpu, ctx) in self.last.threads.items():
            cpu0, ctx0 = self.first.threads.get(tid, (comm, 0.0, 0))[1:]
            name = "MainThread" if tid == pid else re.sub(r"(?<=[-_])\d+", "N", comm)
            row = by_name.setdefault(name, [0.0, 0, 0])
            row[0] += cpu - cpu0
            row[1] += ctx - ctx0
            row[2] += 1
        rows = [(f"{name} (x{n})" if n > 1 else name, cpu, ctx) for name, (cpu, ctx, n) in by_name.items()]
        rest = self.cpu - sum(r[1] for r in rows)
        if rest > 0.005:
            rows.append(("(threads that ended, and rounding)", rest, 0))
        return sorted(rows, key=lambda r: -r[1])

    def ctx_switches(self) -> int:
        total = 0
        for tid, (_comm, _cpu, ctx) in self.last.threads.items():
            total += ctx - self.first.threads.get(tid, ("", 0.0, 0))[2]
        return total

    def steady_rss(self) -> float:
        later = [kb for t, kb in self.rss if t >= 60] or [kb for _t, kb in self.rss]
        return statistics.median(later) / 1024


# --- input ----------------------------------------------------------------------------------


@dataclass
class Sent:
    keys: dict[int, int] = field(default_factory=dict)  # segment start (epoch s) -> count
    clicks: dict[int, int] = field(default_factory=dict)
    titles: int = 0
    started: float = 0.0  # epoch seconds of the first and after the last input
    ended: float = 0.0

    def add(self, kind: dict[int, int]) -> None:
        seg = int(time.time()) // SEGMENT * SEGMENT
        kind[seg] = kind.get(seg, 0) + 1


def drive(display: str, wid: str, seconds: int, measured: list[Measured], sent: Sent) -> None:
    """A key every second, a click every 5 s, a title change every minute; VmRSS every 5 s."""
    t0 = time.monotonic()
    sent.started = time.time()
    for i in range(seconds):
        delay = t0 + i - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if i % 60 == 0 and i > 0:
            xdotool(display, "set_window", "--name", f"bench overhead title {i // 60}", wid)
            sent.titles += 1
            if xdotool(display, "getactivewindow") != wid:
                xdotool(display, "windowactivate", "--sync", wid)
        xdotool(display, "key", "x")
        sent.add(sent.keys)
        if i % 5 == 0:
            xdotool(display, "click", "1")
            sent.add(sent.clicks)
        if i % 5 == 2:
            for m in measured:
                m.rss.append((time.monotonic() - t0, status_fields(Path(f"/proc/{m.child.proc.pid}/status"))["VmRSS"]))
    time.sleep(max(0.0, t0 + seconds - time.monotonic()))
    sent.ended = time.time()


# --- the ON app's database ------------------------------------------------------------------


def logged(data_dir: Path) -> list[dict]:
    db = data_dir / "teamapp.sqlite3"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT s.id, s.start, s.logged_seconds,"
            " (SELECT COALESCE(SUM(keys), 0) FROM capture_minute m WHERE m.segment_id = s.id) AS keys,"
            " (SELECT COALESCE(SUM(clicks), 0) FROM capture_minute m WHERE m.segment_id = s.id) AS clicks,"
            " (SELECT COUNT(*) FROM capture_minute m WHERE m.segment_id = s.id) AS minutes,"
            " (SELECT COUNT(*) FROM capture_image i WHERE i.segment_id = s.id AND i.kind = 'screen'"
            "   AND i.path IS NOT NULL) AS screens,"
            " (SELECT COUNT(*) FROM capture_image i WHERE i.segment_id = s.id AND i.kind = 'screen'"
            "   AND i.path IS NULL) AS failed_screens,"
            " (SELECT COUNT(*) FROM capture_image i WHERE i.segment_id = s.id AND i.kind = 'camera') AS cameras,"
            " s.window_title"
            " FROM capture_segment s WHERE s.deleted_at IS NULL ORDER BY s.start"
        ).fetchall()
    return [dict(r) for r in rows]


def segment_epoch(start: str) -> int:
    from dbkit.fields import from_db

    return int(from_db(start).timestamp())


# --- report ---------------------------------------------------------------------------------


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KiB" if n < MiB else f"{n / MiB:.2f} MiB"


def report(args, on: Measured, off: Measured, floor: Measured, sent: Sent, floor_counts: str, segments) -> None:
    cols = (on, off, floor)

    def row(name: str, values: list[str], target: str = "") -> None:
        print(f"| {name} | {' | '.join(values)} | {target} |")

    print()
    print(
        f"Team app overhead bench: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end, "
        f"Python {sys.version.split()[0]}, {on.wall:.0f} s measured ({args.minutes:g} min"
        f"{', aligned to a segment boundary' if args.align else ''}); per-10-min figures scale by 600/{on.wall:.0f}."
    )
    print(
        f"Input sent: {sum(sent.keys.values())} keys, {sum(sent.clicks.values())} clicks, "
        f"{sent.titles} title changes (xdotool into one focused xterm on a private Xvfb)."
    )
    print()
    print("| figure | Team app logging ON | Team app logging OFF | bare pynput counter | target |")
    print("|-|-|-|-|-|")
    row("CPU s over the run (utime+stime)", [f"{m.cpu:.2f}" for m in cols])
    row("CPU s per 10 min", [f"{m.per10(m.cpu):.2f}" for m in cols], "ON <= 0.8, OFF <= 0.1")
    row(
        "CPU ratio to the floor",
        [f"{m.cpu / floor.cpu:.1f}x" if floor.cpu > 0 else "-" for m in cols],
        "ON <= 2.5x",
    )
    row("peak RSS (VmHWM)", [f"{m.last.status['VmHWM'] / 1024:.1f} MiB" for m in cols], "<= 80 MB")
    row("steady RSS (median VmRSS after 1 min)", [f"{m.steady_rss():.1f} MiB" for m in cols], "ON <= 64 MB")
    row("VmRSS at the end", [f"{m.last.status['VmRSS'] / 1024:.1f} MiB" for m in cols])
    wb = [m.last.io["write_bytes"] - m.first.io["write_bytes"] for m in cols]
    img = [m.last.data[1] - m.first.data[1] for m in cols]
    row("write_bytes over the run", [kb(w) for w in wb])
    row("  of which image files (snapshot bytes written)", [kb(i) for i in img])
    row(
        "write_bytes per 10 min, images aside",
        [kb(max(0, m.per10(w - i))) for m, w, i in zip(cols, wb, img, strict=True)],
        "ON <= 0.5 MB, OFF <= 50 KB",
    )
    row(
        "4 KiB pages written per minute, images aside",
        [f"{max(0, w - i) / 4096 / (m.wall / 60):.1f}" for m, w, i in zip(cols, wb, img, strict=True)],
        "ON <= 12.5, OFF <= 1.25",
    )
    row("wchar (bytes through write calls)", [kb(m.last.io["wchar"] - m.first.io["wchar"]) for m in cols])
    row(
        "data-dir growth",
        [kb(m.last.data[0] - m.first.data[0]) if m.data_dir else "-" for m in cols],
    )
    row(
        "context switches per s (all threads)",
        [f"{m.ctx_switches() / m.wall:.2f}" for m in cols],
        "<= 1/s",
    )
    row("threads at the end", [str(len(m.last.threads)) for m in cols])

    for m in (on, off):
        grown = sorted(
            ((n - m.first.data[2].get(name, 0), name) for name, n in m.last.data[2].items()),
            reverse=True,
        )
        grown = [f"{name} +{kb(n)}" for n, name in grown if n >= 16 * 1024]
        print(f"Data dir of {m.label}, files grown by >= 16 KiB: {', '.join(grown) or 'none'}")
    for m in cols:
        print()
        print(f"Per thread, {m.label} (CPU s over the run, context switches per s):")
        for name, cpu, ctx in m.thread_split():
            if cpu >= 0.005 or ctx:
                print(f"  {name:40} {cpu:6.2f} s  {ctx / m.wall:6.2f}/s")

    print()
    print(f"The floor counted: {floor_counts}")
    print("Logged by the ON app (its teamapp.sqlite3, read-only after it stopped):")
    total_keys = sum(s["keys"] for s in segments)
    total_clicks = sum(s["clicks"] for s in segments)
    print(
        f"  keys {total_keys} counted / {sum(sent.keys.values())} sent; "
        f"clicks {total_clicks} counted / {sum(sent.clicks.values())} sent; {len(segments)} segment(s)"
    )
    for s in segments:
        seg = segment_epoch(s["start"])
        # whole: the input ran over all of it (a second of slack for the start after --align)
        whole = sent.started - 1 <= seg and seg + SEGMENT <= sent.ended + 1
        print(
            f"  segment {s['start'][:16]}Z: logged {s['logged_seconds']:.0f} s, {s['minutes']} minute rows, "
            f"keys {s['keys']}/{sent.keys.get(seg, 0)}, clicks {s['clicks']}/{sent.clicks.get(seg, 0)}, "
            f"screen snapshots {s['screens']} (+{s['failed_screens']} failed), camera rows {s['cameras']}, "
            f"{'whole segment in the run' if whole else 'partial segment'}; title {s['window_title']!r}"
        )
    print(
        "  (a whole segment should have exactly one screen snapshot; a partial one has 0 or 1, as the "
        "snapshot's instant is random within the segment)"
    )


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to drive input (default 10)")
    parser.add_argument("--align", action="store_true", help="start at the next 10-minute segment boundary")
    parser.add_argument("--display", type=int, default=0, help="X display number (default: a free one from 140)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data dirs)")
    args = parser.parse_args()
    for tool in ("Xvfb", "openbox", "xterm", "xdotool", "xdpyinfo", "du"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            raise SystemExit(f"bench/overhead.py needs {tool} (see docs / scripts/system-deps.sh)")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="bench-overhead-", dir="/var/tmp"))  # a real disk, so write_bytes counts
    started = Started()
    try:
        display, wid, bus = start_desktop(started, tmp, args.display or free_display())
        env = app_env(display, bus)
        apps = []
        for label, name in (("Team app logging ON", "on"), ("Team app logging OFF", "off")):
            data_dir = tmp / name / "data"
            data_dir.parent.mkdir(parents=True)
            cmd = [sys.executable, "app.py", "--no-window", "--no-tray", "--data-dir", str(data_dir)]
            apps.append((started.spawn(label, cmd, tmp / name / "app.log", env), data_dir))
        floor_child = started.spawn(
            "bare pynput counter", [sys.executable, "bench/pynput_counter.py"], tmp / "floor.log", env
        )
        sign_in(apps[0][0], logging_on=True)
        sign_in(apps[1][0], logging_on=False)
        wait_for(floor_child, re.compile("counting"))
        on = Measured("Team app logging ON", apps[0][0], apps[0][1])
        off = Measured("Team app logging OFF", apps[1][0], apps[1][1])
        floor = Measured("bare pynput counter", floor_child, None)
        measured = [on, off, floor]

        if args.align:
            wait = SEGMENT - time.time() % SEGMENT
            print(f"waiting {wait:.0f} s for the next segment boundary", flush=True)
            time.sleep(wait)
        else:
            time.sleep(5)  # let start-up and sign-in settle
        for m in measured:
            m.first = sample(m.child.proc.pid, m.data_dir)
        seconds = round(args.minutes * 60)
        print(f"driving input into {display} for {seconds} s", flush=True)
        sent = Sent()
        drive(display, wid, seconds, measured, sent)
        time.sleep(0.5)  # the last key reaches the listeners
        for m in measured:
            m.last = sample(m.child.proc.pid, m.data_dir)

        started.stop(floor_child)
        floor_counts = floor_child.output().strip().splitlines()[-1]
        for child, _ in apps:
            code = started.stop(child)
            if code != 0:
                print(f"  {child.label} exited with code {code}; its log: {child.log_path}", file=sys.stderr)
        report(args, on, off, floor, sent, floor_counts, logged(on.data_dir))
        return 0
    except KeyboardInterrupt:
        print("interrupted: stopping what it started", file=sys.stderr)
        return 130
    except SystemExit as stop:
        if stop.code == 143:
            print("SIGTERM: stopping what it started", file=sys.stderr)
        raise
    finally:
        started.stop_all()
        if args.keep:
            print(f"kept {tmp}")
        else:
            subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    sys.exit(main())
