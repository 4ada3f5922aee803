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
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
SEGMENT = 600
URL_RE = re.compile(r"Team app running at (http://127\.0\.0\.1:\d+/t-[\w-]{22})/\?key=(\S+)")
EMBEDDED_RE = re.compile(r"Embedded Work Diary running at (\S+)")
DEMO_RE = re.compile(r"freelancer\s+e-mail:\s+(\S+)\s+password:\s+(\S+)")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
MiB = 1024 * 1024


# --- processes ------------------------------------------------------------------------------


@dataclass
class Child:
    label: str
    proc: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@dataclass
class Started:
    """Everything this run started, stopped in reverse order."""

    children: list[Child] = field(default_factory=list)

    def spawn(self, label: str, args: list[str], log_path: Path, env: dict[str, str]) -> Child:
        log = open(log_path, "wb")  # noqa: SIM115 - the child holds it; closed with this process
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only this script; it stops the children itself
        )
        log.close()
        child = Child(label, proc, log_path)
        self.children.append(child)
        return child

    def stop(self, child: Child, timeout: float = 30) -> int | None:
        if child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"  {child.label} did not stop within {timeout:.0f} s of SIGTERM; killed", file=sys.stderr)
                child.proc.kill()
                child.proc.wait(10)
        return child.proc.returncode

    def stop_all(self) -> None:
        for child in reversed(self.children):
            self.stop(child)


def wait_for(child: Child, pattern: re.Pattern, timeout: float = 90) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(child.output())
        if match:
            return match
        if child.proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"{child.label} did not print {pattern.pattern!r}:\n{child.output()[-4000:]}")


def free_display() -> int:
    for n in range(140, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise SystemExit("no free X display number between :140 and :399")


def xdotool(display: str, *args: str) -> str:
    out = subprocess.run(
        ["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, timeout=20
    )
    if out.returncode != 0:
        raise RuntimeError(f"xdotool {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def start_desktop(started: Started, tmp: Path, number: int) -> tuple[str, str, str]:
    """Xvfb, a D-Bus session bus with a notification server (dunst), openbox and one xterm.
    Returns (DISPLAY, the xterm's window id, DBUS_SESSION_BUS_ADDRESS)."""
    display = f":{number}"
    bus = f"unix:path={tmp / 'bus'}"
    env = {**os.environ, "DISPLAY": display, "NO_AT_BRIDGE": "1", "DBUS_SESSION_BUS_ADDRESS": bus}
    started.spawn("dbus-daemon", ["dbus-daemon", "--session", "--nofork", f"--address={bus}"], tmp / "dbus.log", env)
    started.spawn("Xvfb", ["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"], tmp / "xvfb.log", env)
    deadline = time.monotonic() + 20
    while subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode != 0:
        if time.monotonic() > deadline or started.children[-1].proc.poll() is not None:
            raise SystemExit(f"Xvfb {display} did not start:\n{started.children[-1].output()}")
        time.sleep(0.1)
    deadline = time.monotonic() + 20
    while not (tmp / "bus").exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"dbus-daemon did not start:\n{started.children[0].output()}")
        time.sleep(0.05)
    started.spawn("dunst", ["dunst"], tmp / "dunst.log", env)
    started.spawn("openbox", ["openbox"], tmp / "openbox.log", env)
    title = f"bench-overhead-{os.getpid()}"
    started.spawn("xterm", ["xterm", "-T", title, "-geometry", "120x40+100+100", "-e", "cat"], tmp / "xterm.log", env)
    wid = xdotool(display, "search", "--sync", "--name", title).split()[0]
    deadline = time.monotonic() + 20
    while True:  # openbox needs a moment before it manages the window
        try:
            xdotool(display, "windowactivate", "--sync", wid)
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    xdotool(display, "mousemove", "--window", wid, "300", "200")
    return display, wid, bus


def app_env(display: str, bus: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMAPP_")}
    return {
        **env,
        "DISPLAY": display,
        "DBUS_SESSION_BUS_ADDRESS": bus,
        # bench/thread_names/sitecustomize.py: Python thread names as OS thread names (comm)
        "PYTHONPATH": os.pathsep.join([str(REPO / "bench" / "thread_names"), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
        "PYTHONUNBUFFERED": "1",
        "NO_AT_BRIDGE": "1",
        "TEAMAPP_TOKEN_STORE": "file",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }


def sign_in(child: Child, logging_on: bool) -> None:
    base, key = wait_for(child, URL_RE).groups()
    wait_for(child, EMBEDDED_RE)
    email, password = wait_for(child, DEMO_RE).groups()
    with httpx.Client(base_url=base, cookies={"teamapp_key": key}, timeout=60) as client:
        r = client.post("/signin", data={"email": email, "password": password})
        if r.status_code != 303:
            raise SystemExit(f"{child.label}: sign-in answered {r.status_code}: {r.text[:2000]}")
        match = re.search(r'name="contract_id" value="(\d+)"', client.get("/").text)
        if not match:
            raise SystemExit(f"{child.label}: no contract to select on the main page")
        r = client.post("/contracts/select", data={"contract_id": match.group(1)})
        if r.status_code != 200:
            raise SystemExit(f"{child.label}: selecting the contract answered {r.status_code}")
        if logging_on:
            body = client.post("/logging/toggle", headers={"HX-Request": "true"}).text
            if 'aria-checked="true"' not in body:
                raise SystemExit(f"{child.label}: logging did not switch on:\n{body[:2000]}")


# --- /proc ----------------------------------------------------------------------------------


def stat_cpu(path: Path) -> tuple[str, float]:
    """(comm, utime+stime seconds) of /proc/PID/stat or /proc/PID/task/TID/stat."""
    text = path.read_text()
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    return comm, (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_fields(path: Path) -> dict[str, int]:
    out = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
            out[name] = int(value.split()[0])
    return out


def dir_bytes(path: Path) -> tuple[int, int, dict[str, int]]:
    """(bytes as ``du -sb`` counts them, bytes of image files, size of each file) under path."""
    du = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True)
    total = int(du.stdout.split()[0]) if du.returncode == 0 else 0
    sizes = {}
    for p in path.rglob("*"):
        try:
            if p.is_file():
                sizes[str(p.relative_to(path))] = p.stat().st_size
        except FileNotFoundError:
            continue
    images = sum(n for name, n in sizes.items() if Path(name).suffix.lower() in IMAGE_SUFFIXES)
    return total, images, sizes


@dataclass
class Sample:
    at: float
    epoch: float
    cpu: float
    threads: dict[int, tuple[str, float, int]]  # tid -> (comm, cpu s, context switches)
    io: dict[str, int]
    status: dict[str, int]
    data: tuple[int, int, dict[str, int]]


def sample(pid: int, data_dir: Path | None) -> Sample:
    base = Path(f"/proc/{pid}")
    threads = {}
    for task in base.glob("task/*"):
        try:
            comm, cpu = stat_cpu(task / "stat")
            st = status_fields(task / "status")
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended meanwhile
        threads[int(task.name)] = (comm, cpu, st["voluntary_ctxt_switches"] + st["nonvoluntary_ctxt_switches"])
    io = {}
    for line in (base / "io").read_text().splitlines():
        name, _, value = line.partition(":")
        io[name] = int(value)
    return Sample(
        time.monotonic(),
        time.time(),
        stat_cpu(base / "stat")[1],
        threads,
        io,
        status_fields(base / "status"),
        dir_bytes(data_dir) if data_dir else (0, 0, {}),
    )


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
    return int(datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp())


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
