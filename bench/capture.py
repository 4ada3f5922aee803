"""Capture engine benchmarks: figures printed, never asserted (tests have no timing).

Run on an X display (``make test``'s Xvfb, or your own ``Xvfb :91 -screen 0 1920x1080x24``
plus ``openbox``)::

    DISPLAY=:91 .venv/bin/python bench/capture.py snapshot [--runs 15] [--text-screen]
    DISPLAY=:91 .venv/bin/python bench/capture.py input [--rate 5000 --seconds 10]
    DISPLAY=:91 .venv/bin/python bench/capture.py idle [--seconds 600]

snapshot: the whole pipeline (grab the desktop, encode, thumbnail, write the files, the DB
row) against the raw floor measured in the same run (mss grab + BGRX->RGB + one JPEG q70
encode), interleaved, medians of ``--runs``; stored sizes; writes a 100% crop of a stored
snapshot to ``test-artifacts/bench/``. ``--text-screen`` first fills the screen with xterms of code.

input: a separate process sends ``--rate`` counted events per second through XTEST (half
Shift key presses, half scroll clicks) for ``--seconds``; the app's X11 counter
(``tracker.sources.input_x11``) must count every one. Also the cost of our callback per
event and the listening process's CPU per event (python-xlib's reading included).

idle: a real logging process (``python -m tracker.demo_run``, real sources, real clock)
runs ``--seconds`` with no input; its CPU seconds, CPU share and peak RSS are read from the
kernel's accounting of the child (wait4).
"""

from __future__ import annotations

import argparse
import ctypes
import io
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "test-artifacts" / "bench"  # ignored by git


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"


# --- text-heavy screen ---------------------------------------------------------------------


def open_text_screen() -> list[subprocess.Popen]:
    """Six xterms of Python source tiled over 1920x1080: a text-heavy screen."""
    files = sorted(Path(sys.base_prefix, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}").glob("*.py"))
    files = files or sorted(Path(shutil.which("python3") or "/").parent.glob("*"))
    procs = []
    for i, geo in enumerate(
        ["105x40+0+0", "105x40+640+0", "105x40+1280+0", "105x40+0+540", "105x40+640+540", "105x40+1280+540"]
    ):
        src = files[(i * 7 + 3) % len(files)]
        procs.append(
            subprocess.Popen(
                ["xterm", "-T", f"bench {i}", "-geometry", geo, "-e", "less", str(src)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    for i in range(6):
        subprocess.run(["xdotool", "search", "--sync", "--name", f"bench {i}"], capture_output=True, timeout=20)
    _wait_until_drawn()
    return procs


def _wait_until_drawn(timeout: float = 30.0) -> None:
    """Wait until the terminals have drawn their text (under load that took over 10 s):
    a screen of six pages of code compresses to well over 30 KB as a palette PNG."""
    import mss
    from PIL import Image

    from tracker import imaging

    deadline = time.monotonic() + timeout
    with mss.MSS() as sct:
        while time.monotonic() < deadline:
            shot = sct.grab(sct.monitors[0])
            if len(imaging._palette_png(Image.frombytes("RGB", shot.size, shot.raw, "raw", "BGRX"))) > 30_000:
                return
            time.sleep(0.5)
    print("  warning: the terminals did not draw their text in time; figures are for a sparse screen")


def close(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(5)


# --- snapshot pipeline ---------------------------------------------------------------------


def bench_snapshot(runs: int, text_screen: bool) -> None:
    import mss
    from PIL import Image

    from models.capture_store import SqliteCaptureSink
    from models.local import open_local_database
    from tracker.ports import SegmentUpdate
    from tracker.snapshot import Preferences, take_snapshot
    from tracker.sources.screen_mss import MssScreenSource
    from tracker.sources.x11 import X11WindowSource

    procs = open_text_screen() if text_screen else []
    tmp = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    try:
        db = open_local_database(tmp / "cache.sqlite3")
        sink = SqliteCaptureSink(tmp / "data")
        screen, window = MssScreenSource(), X11WindowSource()
        screen.start()
        window.start()
        raw = mss.MSS()
        floor, grab_only, pipeline, sizes, jpeg_sizes, mimes = [], [], [], [], [], set()
        floor_cpu, pipeline_cpu = [], []
        last_id = None
        t_seg = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
        for i in range(runs + 1):
            # raw floor: grab + convert + one JPEG encode
            c0 = time.thread_time()
            t0 = time.perf_counter()
            shot = raw.grab(raw.monitors[0])
            t1 = time.perf_counter()
            img = Image.frombytes("RGB", shot.size, shot.raw, "raw", "BGRX")
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=70)
            t2 = time.perf_counter()
            c2 = time.thread_time()
            # the pipeline: what the loop does at a snapshot moment, into the real sink
            t3 = time.perf_counter()
            record = take_snapshot(t_seg, screen, window, None, Preferences())
            last_id = sink.record(SegmentUpdate(1, t_seg, 1.0, t_seg, {}, record))
            t4 = time.perf_counter()
            c4 = time.thread_time()
            t_seg = t_seg.replace(minute=(t_seg.minute + 10) % 60, hour=t_seg.hour + (t_seg.minute == 50))
            if i == 0:
                continue  # warm-up (first mss/X connection, imports)
            floor.append(t2 - t0)
            grab_only.append(t1 - t0)
            pipeline.append(t4 - t3)
            floor_cpu.append(c2 - c0)
            pipeline_cpu.append(c4 - c2)
            sizes.append(len(record.screen.data))
            jpeg_sizes.append(len(buf.getvalue()))
            mimes.add(record.screen.mime)
        size = f"{shot.size.width}x{shot.size.height}"
        print(f"snapshot pipeline, {size}, {runs} runs, {'text-heavy screen' if text_screen else 'current screen'}")
        print(f"  raw floor (mss grab + BGRX->RGB + JPEG q70): {_ms(floor)}   [grab alone {_ms(grab_only)}]")
        print(f"  pipeline (grab, window info, encode, thumbnail, write files, DB row): {_ms(pipeline)}")
        paired = statistics.median(p / f for p, f in zip(pipeline, floor, strict=True))
        print(
            f"  ratio pipeline/floor: {statistics.median(pipeline) / statistics.median(floor):.2f}x (medians), "
            f"{paired:.2f}x (median of paired runs), {min(pipeline) / min(floor):.2f}x (minima)"
        )
        print(
            f"  CPU time of this thread (less sensitive to other load): floor {_ms(floor_cpu)}, "
            f"pipeline {_ms(pipeline_cpu)}, ratio {statistics.median(pipeline_cpu) / statistics.median(floor_cpu):.2f}x"
        )
        print(
            f"  stored image: median {statistics.median(sizes) / 1000:.0f} KB ({', '.join(sorted(mimes))}); "
            f"JPEG q70 of the same screen: {statistics.median(jpeg_sizes) / 1000:.0f} KB; "
            f"thumbnail {len(record.screen.thumbnail) / 1000:.1f} KB"
        )
        from models.capture_store import CaptureImage

        row = CaptureImage.get_by_id(last_id)
        stored = Image.open(sink.image_path(row)).convert("RGB")
        OUT.mkdir(parents=True, exist_ok=True)
        crop = stored.crop((0, 0, 640, 300))
        crop.save(OUT / "snapshot-crop.png")
        Image.open(io.BytesIO(buf.getvalue())).crop((0, 0, 640, 300)).save(OUT / "jpeg-q70-crop.png")
        shutil.copy(sink.image_path(row), OUT / ("snapshot-stored" + Path(row.path).suffix))
        print(f"  crop of the stored snapshot (100%): {OUT / 'snapshot-crop.png'}; JPEG q70 crop: jpeg-q70-crop.png")
        screen.stop()
        window.stop()
        raw.close()
        db.close()
    finally:
        close(procs)
        shutil.rmtree(tmp, ignore_errors=True)


# --- input counting ------------------------------------------------------------------------


def send_events(rate: int, seconds: float) -> None:
    """(child process) Send ``rate`` counted events per second through XTEST."""
    from Xlib import XK, X, display
    from Xlib.ext import xtest

    d = display.Display()
    shift = d.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
    batch = max(1, rate // 200)  # 200 batches a second
    sent = 0
    start = time.perf_counter()
    total = int(rate * seconds)
    while sent < total:
        for _ in range(min(batch, total - sent)):
            if sent % 2 == 0:
                xtest.fake_input(d, X.KeyPress, shift)
                xtest.fake_input(d, X.KeyRelease, shift)
            else:
                xtest.fake_input(d, X.ButtonPress, 5)
                xtest.fake_input(d, X.ButtonRelease, 5)
            sent += 1
        d.sync()
        ahead = start + sent / rate - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
    d.sync()
    print(sent, time.perf_counter() - start, flush=True)


def bench_input(rate: int, seconds: float, reader: str = "xtst") -> None:
    from types import SimpleNamespace

    from tracker.ports import InputTally
    from tracker.sources.input_x11 import X11InputCounter
    from tracker.sources.x11_record_xtst import XtstReader, _InterceptData, _InterceptProc, load_record_libraries

    # What real_sources() gives the app on X11 (libXtst), or its python-xlib fallback.
    logging.basicConfig(level=logging.WARNING)  # the counter's warnings (e.g. a slow enable) show
    counter = X11InputCounter() if reader == "xtst" else X11InputCounter(libraries=lambda: None)
    counter.start()
    print(f"reader: {reader}; counter health: {counter.health()}")
    counter.take()
    subprocess.run(["xdotool", "mousemove", "1900", "1060"], check=False)
    cpu0 = time.process_time()
    sender = subprocess.run(
        [sys.executable, __file__, "_send", "--rate", str(rate), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    sent, took = sender.stdout.split()
    sent = int(sent)
    if sender.stderr.strip():  # an X error on a fake_input would make "sent" overstate the input
        lines = sender.stderr.strip().splitlines()
        print(f"  sender stderr ({len(lines)} lines): {lines[:3]}")
    deadline = time.monotonic() + 30
    while counter.peek().total < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # anything extra would show up now
    cpu = time.process_time() - cpu0
    counts = counter.take()
    counter.stop()
    print(f"input counting: {sent} events sent in {float(took):.1f} s ({sent / float(took):.0f}/s) via XTEST")
    print(
        f"  counted keys={counts.keys} scrolls={counts.scrolls} clicks={counts.clicks} total={counts.total}; "
        f"lost {sent - counts.total}"
    )
    print(
        f"  listening process CPU (reading RECORD + our callback, whole process): "
        f"{cpu / max(1, counts.total) * 1e6:.1f} us/counted event"
    )
    # Our libXtst callback alone, called through its ctypes trampoline on one recorded key
    # press (libXtst calls it once per event); XRecordFreeData is replaced by a no-op here
    # because the element is ours, not libXtst's.
    libs = load_record_libraries()
    if libs is None:
        return
    fake = SimpleNamespace(x11=libs.x11, xtst=SimpleNamespace(XRecordFreeData=lambda data: None))
    tally = InputTally()
    cb = _InterceptProc(XtstReader(fake, tally)._on_data)  # type: ignore[arg-type]
    event = (ctypes.c_ubyte * 32)(2, 50)
    element = _InterceptData(category=0, data=ctypes.cast(event, ctypes.POINTER(ctypes.c_ubyte)), data_len=8)
    ptr = ctypes.pointer(element)
    n, per_call = 100_000, []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(n):
            cb(None, ptr)
        per_call.append((time.perf_counter() - t0) / n)
    assert tally.take().keys == 7 * n
    print(
        f"  our callback alone (through ctypes, one key press + locked add): median "
        f"{statistics.median(per_call) * 1e9:.0f} ns/event, best {min(per_call) * 1e9:.0f} ns"
    )


# --- idle logging process --------------------------------------------------------------------


def bench_idle(seconds: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    try:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tracker.demo_run",
                "--data-dir",
                str(tmp / "data"),
                "--duration",
                str(seconds),
                "--seed",
                str(random.randrange(1000)),
                "--log-file",
                str(tmp / "run.log"),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        proc.stdout.readline()  # "logging": start-up (imports, DB, sources) is done
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        startup_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        snaps = sum(1 for line in (tmp / "run.log").read_text().splitlines() if " snapshot " in line)
        print(f"idle logging process: {wall:.0f} s wall, no input, real sources on Xvfb, exit {proc.returncode}")
        print(
            f"  CPU {cpu:.2f} s (user {usage.ru_utime:.2f} + sys {usage.ru_stime:.2f}) = "
            f"{cpu / wall * 100:.2f}% of one core on average, incl. start-up and {snaps} snapshot(s)"
        )
        print(
            f"  of which start-up (imports, DB, sources) {startup_cpu:.2f} s; logging itself "
            f"{cpu - startup_cpu:.2f} s = {(cpu - startup_cpu) / wall * 100:.3f}% of one core"
        )
        print(f"  peak RSS {usage.ru_maxrss / 1024:.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("--runs", type=int, default=15)
    s.add_argument("--text-screen", action="store_true")
    i = sub.add_parser("input")
    i.add_argument("--rate", type=int, default=5000)
    i.add_argument("--seconds", type=float, default=10)
    i.add_argument("--reader", choices=["xtst", "python-xlib"], default="xtst")
    d = sub.add_parser("idle")
    d.add_argument("--seconds", type=float, default=600)
    x = sub.add_parser("_send")
    x.add_argument("--rate", type=int)
    x.add_argument("--seconds", type=float)
    args = p.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("bench/capture.py needs an X display: set DISPLAY (see the docstring)")
    if args.cmd == "snapshot":
        bench_snapshot(args.runs, args.text_screen)
    elif args.cmd == "input":
        bench_input(args.rate, args.seconds, args.reader)
    elif args.cmd == "idle":
        bench_idle(args.seconds)
    else:
        send_events(args.rate, args.seconds)


if __name__ == "__main__":
    main()
