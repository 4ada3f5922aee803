"""Team app UI benchmark: server time of the main page and of the switch, and the app's memory
after a simulated 8-hour day. Figures printed, never asserted.

    DISPLAY=:91 .venv/bin/python bench/ui.py [--runs 200] [--hours 8]

Starts ``python app.py --no-window --test-clock`` on a temp data dir with the real capture
sources on DISPLAY (fails clearly without one), signs in as the printed demo freelancer and
selects the demo contract. Then:

- GET / (the main page) and the toggle round trip (POST /logging/toggle on, then off) ``--runs``
  times each, timed by the client over loopback (httpx, keep-alive): this is server time plus
  a loopback round trip, measured the same way for a baseline in the same run (a plain Flask
  "hello" on werkzeug's threaded server, bench/hello_app.py).
- logging on, the test clock moved ``--hours`` hours in 10-minute steps (every minute wake-up,
  one real snapshot per segment, review prompts expiring), then the app process's VmRSS and
  VmHWM from /proc/<pid>/status before and after. The app is one process (server, capture,
  sync, embedded diary); no webview runs with --no-window.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGETS = {"main page": 20.0, "toggle round trip": 50.0, "RSS after the day": 80.0}
URL_RE = re.compile(r"Team app running at (http://127\.0\.0\.1:\d+/t-[\w-]{22})/\?key=(\S+)")
DEMO_RE = re.compile(r"freelancer\s+e-mail:\s+(\S+)\s+password:\s+(\S+)")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn, runs: int, pause: float = 0.0) -> list[float]:
    """Client-side times of ``fn``; ``pause`` seconds (untimed) before each call."""
    out = []
    for _ in range(runs):
        time.sleep(pause)
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def proc_memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024  # kB -> MiB
    return fields


def start_app(data_dir: Path, log_path: Path, diary: str | None = None) -> tuple[subprocess.Popen, str, str]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "NO_AT_BRIDGE": "1",
        "TEAMAPP_TOKEN_STORE": "file",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    env = {k: v for k, v in env.items() if not k.startswith("TEAMAPP_") or k == "TEAMAPP_TOKEN_STORE"}
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--no-window", "--test-clock", "--no-tray", "--data-dir", str(data_dir)]
        + (["--diary-url", diary] if diary else []),
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        url = URL_RE.search(text)
        if url:
            return proc, url.group(1), url.group(2)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the Team app did not start:\n{log_path.read_text(errors='replace')}")


def hello_baseline(runs: int) -> list[float]:
    from werkzeug.serving import WSGIRequestHandler, make_server

    from bench.hello_app import app as hello

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:
            pass

    server = make_server("127.0.0.1", 0, hello, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}") as client:
            timed(lambda: client.get("/hello"), 20)
            return timed(lambda: client.get("/hello").raise_for_status(), runs)
    finally:
        server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--hours", type=float, default=8.0)
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        raise SystemExit(
            "bench/ui.py needs an X display for the real capture sources: "
            "start `Xvfb :91 -screen 0 1920x1080x24 & DISPLAY=:91 openbox &` and set DISPLAY=:91."
        )
    if subprocess.run(["xdpyinfo"], capture_output=True).returncode != 0:
        raise SystemExit(f"DISPLAY={os.environ['DISPLAY']} is set but no X server answers there.")

    embedded = measure(args, remote=False)
    remote = measure(args, remote=True)

    print(f"Team app UI bench: {os.cpu_count()} CPUs, DISPLAY={os.environ['DISPLAY']}, Python {sys.version.split()[0]}")
    print("Times are client-measured over loopback (httpx keep-alive): server time + one loopback round trip.")
    for title, r in (("embedded diary in-process (make run)", embedded), ("remote diary (own process)", remote)):
        print()
        print(f"== Team app with the {title}")
        rows = [
            ("baseline: Flask hello (werkzeug)", r["hello"], None),
            ("main page GET /", r["main_page"], TARGETS["main page"]),
            ("toggle round trip (on + off)", r["toggles"], TARGETS["toggle round trip"]),
            ("  the same, pairs back to back", r["toggles_rushed"], None),
        ]
        print(f"{'':38} {'median':>9} {'p99':>9} {'target':>9} {'runs':>5}")
        for name, values, target in rows:
            tgt = f"{target:.0f} ms" if target else "-"
            print(
                f"{name:38} {statistics.median(values):7.1f}ms {percentile(values, 99):7.1f}ms {tgt:>9} {len(values):5}"
            )
        before, after = r["before"], r["after"]
        print(f"{'':38} {'before':>9} {'after':>9} {'target':>9}")
        print(f"{'app RSS (VmRSS)':38} {before['VmRSS']:6.1f}MiB {after['VmRSS']:6.1f}MiB {'80 MB':>9}")
        print(f"{'app peak RSS (VmHWM)':38} {before['VmHWM']:6.1f}MiB {after['VmHWM']:6.1f}MiB")
        print(
            f"simulated day: {args.hours:g} h of logging in {r['day_seconds']:.1f} s wall, "
            f"{r['snapshots']} files in snapshots/; upload state after it: {r['sync']}"
        )
    return 0


def start_remote_diary(tmp_path: Path, hours: float) -> tuple[subprocess.Popen, str, str, str]:
    log_path = tmp_path / "diary.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "bench/remote_diary.py", "--data-dir", str(tmp_path / "diary"), f"--ahead-hours={hours + 2}"],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        url, demo = re.search(r"Remote diary running at (\S+)", text), DEMO_RE.search(text)
        if url and demo:
            return proc, url.group(1), demo.group(1), demo.group(2)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the remote diary did not start:\n{log_path.read_text(errors='replace')}")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def measure(args, remote: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        tmp_path = Path(tmp)
        diary_proc = None
        if remote:
            diary_proc, diary_url, email, password = start_remote_diary(tmp_path, args.hours)
        try:
            proc, base, key = start_app(tmp_path / "data", tmp_path / "app.log", diary_url if remote else None)
            if not remote:
                demo = DEMO_RE.search((tmp_path / "app.log").read_text(errors="replace"))
                email, password = demo.group(1), demo.group(2)
            try:
                return run_session(args, proc, base, key, email, password, tmp_path)
            finally:
                stop(proc)
        finally:
            if diary_proc is not None:
                stop(diary_proc)


def run_session(args, proc, base, key, email, password, tmp_path: Path) -> dict:
    with httpx.Client(base_url=base, cookies={"teamapp_key": key}, timeout=120) as client:
        r = client.post("/signin", data={"email": email, "password": password})
        assert r.status_code == 303, r.text
        page = client.get("/").text
        cid = re.search(r'name="contract_id" value="(\d+)"', page).group(1)
        assert client.post("/contracts/select", data={"contract_id": cid}).status_code == 200
        hx = {"HX-Request": "true"}

        def toggle_twice() -> None:
            for want in ("true", "false"):
                body = client.post("/logging/toggle", headers=hx).text
                at = body.find("aria-checked")
                assert f'aria-checked="{want}"' in body, (want, body[at - 200 : at + 600])

        out: dict = {}
        timed(lambda: client.get("/"), 20)  # warm-up
        out["main_page"] = timed(lambda: client.get("/").raise_for_status(), args.runs)
        # A person clicks on, then off, and not again within half a second: the switch
        # answers at once and the loop stores the stop's snapshot in the background.
        out["toggles"] = timed(toggle_twice, max(20, args.runs // 4), pause=0.5)
        # Back to back, a click waits for the previous stop's snapshot to be stored.
        out["toggles_rushed"] = timed(toggle_twice, 10)
        out["hello"] = hello_baseline(args.runs)

        time.sleep(3)
        out["before"] = proc_memory(proc.pid)
        toggle = client.post("/logging/toggle", headers=hx).text
        assert 'aria-checked="true"' in toggle
        t0 = time.monotonic()
        for _ in range(int(args.hours * 6)):
            client.post("/test/clock", data={"seconds": "600"}).raise_for_status()
        out["day_seconds"] = time.monotonic() - t0
        client.post("/logging/toggle", headers=hx)
        # The switch answers at once; the stop's snapshot is stored after, and the uploads of
        # the day finish: measure the settled process, not one caught mid-upload.
        deadline = time.monotonic() + 60
        while True:
            time.sleep(1)
            status = client.get("/sync/status", headers=hx)
            out["sync"] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", status.text)).strip()[:120]
            if "Online" in out["sync"] or time.monotonic() > deadline:
                break
        time.sleep(2)
        out["after"] = proc_memory(proc.pid)
        snaps = tmp_path / "data" / "snapshots"
        out["snapshots"] = len(list(snaps.rglob("*.png"))) + len(list(snaps.rglob("*.jpg")))
    return out


if __name__ == "__main__":
    sys.exit(main())
