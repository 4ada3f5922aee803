"""Many Team apps against one diary server on PostgreSQL, speaking the real protocol.

    .venv/bin/python bench/team_load.py [--apps 100,300,1000] [--workers 1,4]
        [--worker-class gevent] [--seconds 60] [--segment-seconds 60]

Starts everything itself on loopback and stops it at the end: a throwaway PostgreSQL cluster
(tests/support/postgres.py), then for each worker count and each number of apps a diary
server under gunicorn (``diary_server.wsgi:app``, ``-k gevent --worker-connections 4000`` by
default) on that database, and N simulated Team apps in this process (asyncio + httpx, one
keep-alive client each, at most two connections, as the real app's worker and listener).

Each simulated app does what a signed-in Team app does, at the real cadence with time
compressed: a 10-minute segment lasts ``--segment-seconds`` (60: ten times faster than life).

- It keeps the changes channel open: ``GET /api/v1/sync/changes?since=..&wait=50``, again and
  again (the same held pull as ``sync/changes_listener.py``).
- Once per segment (each app at its own phase) it pushes the segment it logged
  (``POST /api/v1/sync/push``: ten minutes of counts, app and title, a memo) and uploads its
  screen snapshot (``PUT /api/v1/snapshots/{uuid}``: a real 75 KB PNG, base64 with SHA-256).
- Now and then (one segment in ten) its client looks at the Work Diary: the week page of the
  contract (``GET /contracts/{id}/diary/week``), signed in with a web session.

The accounts (one client per ten freelancers, one contract each) and their API tokens and web
sessions are written straight into the database before the servers start: a Team app signs
in once and keeps its token for months, so sign-in is no part of the steady state. What a
sign-in costs (Argon2 at OWASP's parameters) is measured apart, on ``--sign-ins`` accounts.

Per run it prints the request rate, p50/p99 per kind of request (pushes, uploads, page views,
the first pull of each app), errors by status, the held pulls (opened, answered, failed), the
diary server's CPU (gunicorn master + workers) and PostgreSQL's, and gunicorn's memory; at
the end a table and, per worker count, the largest N whose p99 stayed under 200 ms with no
error. Figures only: this asserts nothing, and the load generator shares the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.servers import Server, Usage, children, usage  # noqa: E402
from bench.team_load_app import HELD_WAIT, PAGE_VIEW_SHARE, TLS, Account, Stats, simulate, snapshot_png  # noqa: E402

SECRET_KEY = "team-load-secret-key-0123456789abcdef0123456789"  # noqa: S105 (a throwaway server)
P99_TARGET_MS = 200.0
FREELANCERS_PER_CLIENT = 10
PASSWORD = "team load password 1"  # noqa: S105


# ---- the database --------------------------------------------------------------------------


def seed(database_url: str, data_dir: Path, apps: int, sign_ins: int) -> list[Account]:
    """``apps`` freelancers, a client per ten of them, a contract each; tokens and web
    sessions issued directly (cheap Argon2 parameters for the stored hashes, except the
    ``sign_ins`` accounts whose sign-in is measured, which get the production ones)."""
    from argon2 import PasswordHasher

    from dbkit.database import close_cleanly
    from diary_server import contracts as svc
    from diary_server import create_app, web_sessions
    from diary_server.accounts import create_user, issue_token, use_password_hasher

    now = datetime.now(UTC)
    app = create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY})
    cookies = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    db = app.extensions["diary_db"]
    accounts = []
    use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with db.connection_context():
        clients = []
        for c in range((apps + FREELANCERS_PER_CLIENT - 1) // FREELANCERS_PER_CLIENT):
            client = create_user(f"client{c}@load.example", f"Client {c}", "client", PASSWORD, now)
            clients.append((client, cookies.dumps({"sid": web_sessions.start(client, now)})))
        for n in range(apps):
            freelancer = create_user(f"freelancer{n}@load.example", f"Freelancer {n}", "freelancer", PASSWORD, now)
            client, cookie = clients[n // FREELANCERS_PER_CLIENT]
            contract = svc.create_contract(
                client,
                freelancer_email=freelancer.email,
                title=f"Contract {n}",
                hourly_rate="30",
                activity_labels=["Design", "Code", "Review"],
                now=now,
            )
            accounts.append(Account(contract.id, issue_token(freelancer, "team-load", now), cookie))
        use_password_hasher(PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1))
        for n in range(sign_ins):
            create_user(f"signin{n}@load.example", f"Sign-in {n}", "freelancer", PASSWORD, now)
    close_cleanly(db)
    return accounts


# ---- sign-in, measured apart ---------------------------------------------------------------


def sign_ins(base_url: str, count: int) -> list[float]:
    out = []
    with httpx.Client(base_url=base_url, timeout=60, verify=TLS) as http:
        for n in range(count):
            t0 = time.perf_counter()
            r = http.post("/api/v1/sessions", json={"email": f"signin{n}@load.example", "password": PASSWORD})
            out.append(time.perf_counter() - t0)
            r.raise_for_status()
    return out


# ---- the runs ------------------------------------------------------------------------------


@dataclass
class RunResult:
    workers: int
    apps: int
    stats: Stats
    seconds: float
    server: Usage
    server_end_rss: int
    postgres_cpu: float

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.stats.latencies.values()) + self.stats.held_answered

    @property
    def error_count(self) -> int:
        return sum(self.stats.errors.values())

    def p(self, kind: str, q: float) -> float | None:
        values = sorted(self.stats.latencies.get(kind, []))
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else None

    @property
    def worst_p99(self) -> float:
        return max((self.p(k, 0.99) or 0.0) for k in self.stats.latencies)

    @property
    def within_target(self) -> bool:
        return self.error_count == 0 and self.worst_p99 < P99_TARGET_MS


def postgres_pids(cluster) -> list[int]:
    pid_file = Path(cluster.dir) / "data" / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError):
        main = int(pid_file.read_text().split()[0])
        return [main, *children(main)]
    return []


def run_once(cluster, database_url: str, data_dir: Path, workers: int, apps: int, png: bytes, args, log_dir: Path):
    accounts = seed(database_url, data_dir, apps, 0)
    env = {
        "TEAMAPP_DIARY_DATABASE": database_url,
        "TEAMAPP_DIARY_DATA_DIR": str(data_dir),
        "TEAMAPP_DIARY_SECRET_KEY": SECRET_KEY,
    }
    worker_args = (
        ("--worker-connections", str(args.worker_connections))
        if args.worker_class == "gevent"
        else ("--threads", str(args.threads))
    )
    server = Server(
        f"diary {workers}w {apps} apps",
        "diary_server.wsgi:app",
        workers,
        env,
        log_dir,
        "/healthz",
        worker_class=args.worker_class,
        worker_args=(*worker_args, "--timeout", "120"),
    )
    try:
        before: Usage | None = None
        pg_before = 0.0

        async def main() -> Stats:
            nonlocal before, pg_before
            task = asyncio.create_task(simulate(accounts, server.base_url, png, args))
            await asyncio.sleep(max(0.0, args.segment_seconds + 1 - 0.05))
            before = usage(server.pids())
            pg_before = usage(postgres_pids(cluster)).cpu_seconds
            return await task

        stats = asyncio.run(main())
        after = usage(server.pids())
        pg_after = usage(postgres_pids(cluster)).cpu_seconds
        assert before is not None
        spent = Usage(after.cpu_seconds - before.cpu_seconds, after.rss_bytes, after.hwm_bytes)
        return RunResult(workers, apps, stats, args.seconds, spent, after.rss_bytes, pg_after - pg_before)
    finally:
        server.stop()


def describe(r: RunResult) -> list[str]:
    s = r.stats
    lines = [
        f"{r.workers} worker(s), {r.apps} apps: {r.requests / r.seconds:.1f} req/s, "
        f"{r.error_count} errors{' ' + str(dict(s.errors)) if s.errors else ''}",
    ]
    for kind in ("first pull", "push", "snapshot upload", "diary page view"):
        values = s.latencies.get(kind, [])
        if values:
            lines.append(
                f"    {kind:<16} {len(values):6d} requests  p50 {r.p(kind, 0.5):7.1f} ms  p99 {r.p(kind, 0.99):7.1f} ms"
            )
    lines.append(
        f"    held pulls       {s.held_most} open at most at once; in the window {s.held_opened} opened, "
        f"{s.held_answered} answered, {s.held_failed} failed"
    )
    lines.append(
        f"    diary server: {r.server.cpu_seconds:.1f} CPU s "
        f"({100 * r.server.cpu_seconds / r.seconds:.0f} % of a core), "
        f"RSS {r.server_end_rss / 2**20:.0f} MiB (largest process {r.server.hwm_bytes / 2**20:.0f} MiB peak); "
        f"PostgreSQL {r.postgres_cpu:.1f} CPU s"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", default="100,300,1000", help="numbers of Team apps, comma-separated")
    parser.add_argument("--workers", default="1,4", help="gunicorn worker counts, comma-separated")
    parser.add_argument("--worker-class", default="gevent", choices=("gevent", "gthread"))
    parser.add_argument("--worker-connections", type=int, default=4000, help="gevent: connections a worker holds")
    parser.add_argument("--threads", type=int, default=8, help="gthread: threads a worker runs")
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds per run (default 60)")
    parser.add_argument("--segment-seconds", type=float, default=60, help="real seconds of a 10-minute segment")
    parser.add_argument("--sign-ins", type=int, default=10, help="sign-ins measured apart (production Argon2)")
    args = parser.parse_args(argv)
    apps_list = [int(x) for x in args.apps.split(",")]
    workers_list = [int(x) for x in args.workers.split(",")]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))

    from bench.diary_api import machine_info
    from tests.support.postgres import PostgresCluster

    print("\n".join(machine_info()))
    print(
        f"load: N Team apps in this process; a 10-minute segment every {args.segment_seconds:g} s per app "
        f"(push + 75 KB snapshot; a week page view after {PAGE_VIEW_SHARE:.0%} of them), the changes channel held "
        f"open ({HELD_WAIT} s pulls); {args.seconds:g} s measured after the first segment; "
        f"gunicorn -k {args.worker_class}",
        flush=True,
    )
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="teamapp-team-load-"))
    png = snapshot_png()
    results: list[RunResult] = []
    cluster = None
    ok = False
    try:
        cluster = PostgresCluster().start()
        if args.sign_ins:
            url = cluster.url(cluster.create_database())
            seed(url, tmp / "signin", 0, args.sign_ins)
            env = {
                "TEAMAPP_DIARY_DATABASE": url,
                "TEAMAPP_DIARY_DATA_DIR": str(tmp / "signin"),
                "TEAMAPP_DIARY_SECRET_KEY": SECRET_KEY,
            }
            server = Server("sign-in", "diary_server.wsgi:app", 1, env, tmp, "/healthz")
            try:
                times = sign_ins(server.base_url, args.sign_ins)
            finally:
                server.stop()
            print(
                f"sign-in (Argon2id 19 MiB, t=2; once per Team app, not in the runs below): "
                f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {len(times)}",
                flush=True,
            )
        for workers in workers_list:
            for apps in apps_list:
                url = cluster.url(cluster.create_database())
                data_dir = tmp / f"w{workers}-n{apps}"
                result = run_once(cluster, url, data_dir, workers, apps, png, args, tmp)
                results.append(result)
                print("\n".join(describe(result)), flush=True)
                shutil.rmtree(data_dir, ignore_errors=True)
        ok = True
    finally:
        if not ok:
            print(f"bench/team_load.py: failed; gunicorn logs are in {tmp}", file=sys.stderr)
        if cluster is not None:
            cluster.stop()
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(
        "| workers | apps | req/s | push p50/p99 ms | upload p50/p99 ms | page p50/p99 ms | errors "
        "| server CPU % | RSS MiB |"
    )
    print("|-|-|-|-|-|-|-|-|-|")
    for r in results:

        def pair(kind: str, r: RunResult = r) -> str:
            lo, hi = r.p(kind, 0.5), r.p(kind, 0.99)
            return f"{lo:.0f} / {hi:.0f}" if lo is not None and hi is not None else "-"

        print(
            f"| {r.workers} | {r.apps} | {r.requests / r.seconds:.1f} | {pair('push')} | {pair('snapshot upload')} | "
            f"{pair('diary page view')} | {r.error_count} | {100 * r.server.cpu_seconds / r.seconds:.0f} | "
            f"{r.server_end_rss / 2**20:.0f} |"
        )
    for workers in workers_list:
        good = [r.apps for r in results if r.workers == workers and r.within_target]
        print(
            f"{workers} worker(s): largest N with p99 < {P99_TARGET_MS:.0f} ms and 0 errors: "
            f"{max(good) if good else 'none of ' + args.apps}"
        )
    print(f"(total {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
