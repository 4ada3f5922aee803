"""Throughput and latency of the diary server's JSON API, against a plain Flask baseline.

    .venv/bin/python bench/diary_api.py [--seconds 3] [--runs 3] [--concurrency 8]

Starts everything itself on free loopback ports and stops it at the end (also on error or
Ctrl-C): a throwaway PostgreSQL cluster (tests/support/postgres.py), then one after another

  hello           bench/hello_app.py under gunicorn, 1 worker: the baseline, measured in this run
  sqlite 1w       the diary server under gunicorn, 1 worker, SQLite
  postgres 1w     the diary server under gunicorn, 1 worker, PostgreSQL
  postgres 4w     the diary server under gunicorn, 4 workers, PostgreSQL

(every gunicorn is ``-k gthread --threads 8``, as in the README). Each diary database holds a
client, a freelancer and 20 contracts. The load is a closed loop: ``--concurrency`` threads,
each with its own keep-alive httpx client, send requests back to back for ``--seconds``
(after a short warm-up) and time each one. The requests measured (the API's hot paths):

  GET /api/v1/me                           the sign-in check alone (token lookup)
  GET /api/v1/contracts                    the client's 20 contracts
  PATCH /api/v1/contracts/{id}             a title change (a small authenticated write)
  POST /api/v1/sync/push                   one segment, a new version each time (the freelancer)
  GET /api/v1/sync/changes                 a pull with nothing new (what an idle Team app asks)

Each scenario runs ``--runs`` times; the table shows the median req/s of the runs, p50/p99
latency over all of their requests, "x hello": how many times slower than the hello
baseline (hello req/s / scenario req/s), "CPU ms/req": CPU time of the gunicorn processes
(master and workers, from /proc) over the row's runs divided by its requests, and "queries":
database statements per request, counted in this process (peewee's query hooks) on the same
database with the same requests. The client runs on the same machine, so figures are only
comparable within one run; this prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.diary_api_requests import CLIENT, CONTRACTS, FREELANCER, PASSWORD, diary_requests, queries_per_request  # noqa: E402
from bench.servers import Server  # noqa: E402

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
THREADS_PER_WORKER = 8
WARMUP_SECONDS = 0.5


# ---- servers -------------------------------------------------------------------------------


def seed(database_url: str, data_dir: Path) -> None:
    """A client, a freelancer and CONTRACTS contracts between them."""
    from dbkit.database import close_cleanly
    from diary_server import contracts as svc
    from diary_server import create_app
    from diary_server.accounts import create_user

    now = datetime.now(UTC)
    app = create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url})
    db = app.extensions["diary_db"]
    with db.connection_context():
        client = create_user(CLIENT, "Bench Client", "client", PASSWORD, now)
        create_user(FREELANCER, "Bench Freelancer", "freelancer", PASSWORD, now)
        for n in range(CONTRACTS):
            svc.create_contract(
                client,
                freelancer_email=FREELANCER,
                title=f"Contract {n + 1}",
                hourly_rate="30",
                activity_labels=["Design", "Code", "Review"],
                weekly_limit_hours=40,
                now=now,
            )
    close_cleanly(db)


# ---- load ----------------------------------------------------------------------------------


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    errors: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Result:
    scenario: str
    request: str
    workers: int
    runs: list[Run] = field(default_factory=list)
    cpu_seconds: float = 0.0
    queries: int | None = None

    @property
    def cpu_ms_per_request(self) -> float:
        done = sum(len(r.latencies) for r in self.runs)
        return self.cpu_seconds * 1000 / done if done else 0.0

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.runs)

    def percentile(self, q: float) -> float:
        latencies = sorted(x for r in self.runs for x in r.latencies)
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    @property
    def errors(self) -> str:
        """Responses >= 400 over all runs, by status: "0", or e.g. "237 (500: 237)"."""
        by_status: dict[int, int] = {}
        for run in self.runs:
            for status, count in run.errors.items():
                by_status[status] = by_status.get(status, 0) + count
        total = sum(by_status.values())
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items()))
        return f"{total} ({detail})" if total else "0"


def closed_loop(base_url: str, make_request, seconds: float, concurrency: int) -> Run:
    """``concurrency`` threads send requests back to back; only those after the warm-up count."""
    start = time.perf_counter() + WARMUP_SECONDS
    stop = start + seconds
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[dict[int, int]] = [{} for _ in range(concurrency)]
    failures: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=30) as http:
                n = 0
                while True:
                    t0 = time.perf_counter()
                    if t0 >= stop:
                        return
                    status = make_request(http, i, n).status_code
                    t1 = time.perf_counter()
                    n += 1
                    if t0 >= start:
                        latencies[i].append(t1 - t0)
                        if status >= 400:
                            errors[i][status] = errors[i].get(status, 0) + 1
        except BaseException as exc:  # reported by the caller
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    flat = [x for per in latencies for x in per]
    merged: dict[int, int] = {}
    for per in errors:
        for status, count in per.items():
            merged[status] = merged.get(status, 0) + count
    return Run(len(flat), seconds, flat, merged)


# ---- report --------------------------------------------------------------------------------


def machine_info() -> list[str]:
    model = ""
    with contextlib.suppress(OSError):
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        model = match.group(1) if match else ""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    from importlib.metadata import version

    return [
        f"machine: {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores{f' ({model})' if model else ''}, load average {load}",
        f"python {platform.python_version()}, flask {version('flask')}, gunicorn {version('gunicorn')}, "
        f"peewee {version('peewee')}",
    ]


def table(results: list[Result], baseline: float) -> str:
    head = ("scenario", "request", "workers", "req/s", "p50 ms", "p99 ms", "errors", "x hello", "CPU ms/req", "queries")
    rows = [head]
    for r in results:
        rows.append(
            (
                r.scenario,
                r.request,
                str(r.workers),
                f"{r.rate:.0f}",
                f"{r.percentile(0.50):.1f}",
                f"{r.percentile(0.99):.1f}",
                r.errors,
                f"{baseline / r.rate:.1f}",
                f"{r.cpu_ms_per_request:.2f}",
                "-" if r.queries is None else str(r.queries),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per run (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    args = parser.parse_args(argv)

    from tests.support.postgres import PostgresCluster

    print("\n".join(machine_info()))
    print(
        f"load: closed loop, {args.concurrency} client threads on this machine, {args.seconds:g} s x "
        f"{args.runs} runs per row after {WARMUP_SECONDS:g} s warm-up; gunicorn -k gthread --threads "
        f"{THREADS_PER_WORKER}; {CONTRACTS} contracts listed per GET",
        flush=True,
    )
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="teamapp-bench-api-"))
    servers: list[Server] = []
    cluster = None
    results: list[Result] = []

    def measure(scenario: str, server: Server, requests: dict[str, object], queries: dict[str, int]) -> None:
        for label, make_request in requests.items():
            result = Result(scenario, label, server.workers, queries=queries.get(label))
            cpu = server.cpu_seconds()
            for _ in range(args.runs):
                result.runs.append(closed_loop(server.base_url, make_request, args.seconds, args.concurrency))
            result.cpu_seconds = server.cpu_seconds() - cpu  # (warm-ups too: a slight overstatement)
            results.append(result)
            print(f"  {scenario:<12} {label:<28} {result.rate:8.0f} req/s", flush=True)

    def start(name: str, app: str, workers: int, env: dict[str, str], health: str) -> Server:
        server = Server(name, app, workers, env, tmp, health)
        servers.append(server)
        return server

    ok = False
    try:
        cluster = PostgresCluster().start()
        hello = start("hello", "bench.hello_app:app", 1, {}, "/hello")
        measure("hello", hello, {"GET /hello": lambda http, i, n: http.get("/hello")}, {"GET /hello": 0})
        hello.stop()

        diary_env = {"TEAMAPP_DIARY_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789"}
        sqlite_dir = tmp / "sqlite"
        sqlite_url = f"sqlite:///{sqlite_dir / 'diary.sqlite3'}"
        seed(sqlite_url, sqlite_dir)
        pg_url = cluster.url(cluster.create_database())
        seed(pg_url, tmp / "pg")
        queries = {
            "sqlite": queries_per_request(sqlite_url, sqlite_dir),
            "postgres": queries_per_request(pg_url, tmp / "pg"),
        }
        for scenario, url, data_dir, workers in (
            ("sqlite", sqlite_url, sqlite_dir, 1),
            ("postgres", pg_url, tmp / "pg", 1),
            ("postgres", pg_url, tmp / "pg", 4),
        ):
            env = {**diary_env, "TEAMAPP_DIARY_DATABASE": url, "TEAMAPP_DIARY_DATA_DIR": str(data_dir)}
            server = start(f"{scenario} {workers}w", "diary_server.wsgi:app", workers, env, "/healthz")
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                requests = diary_requests(http)
            measure(f"{scenario} {workers}w", server, requests, queries[scenario])
            server.stop()
        ok = True
    finally:
        if not ok:
            print(f"bench/diary_api.py: failed; gunicorn logs are in {tmp}", file=sys.stderr)
        for server in servers:
            server.stop()
        if cluster is not None:
            cluster.stop()

    shutil.rmtree(tmp, ignore_errors=True)  # kept above on an error, for the gunicorn logs
    baseline = results[0].rate
    print()
    print(table(results, baseline))
    print(f"\n(x hello = hello req/s / row req/s; total {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
