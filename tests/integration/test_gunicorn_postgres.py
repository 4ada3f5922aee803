"""The diary server as deployed for a team: gunicorn (gthread, several workers) on PostgreSQL.

One real gunicorn process (2 workers x 4 threads) on a fresh database of the test session's
PostgreSQL cluster, started exactly as the README says, with accounts added by
``app.py diary-server create-user``. Everything else goes over HTTP on loopback. The access log
names the worker process of every request, so the tests can tell that a session made in one
worker holds in the others. On a failure the gunicorn output is attached to the error.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WORKERS = 2
PASSWORD = "a long password 1"
CLIENT = "boss@example.com"
FREELANCER = "felix@example.com"
# Worker pid, request line, status and our probe header, so requests can be matched to workers.
ACCESS_FORMAT = 'access pid=%(p)s probe=%({x-probe}i)s status=%(s)s "%(r)s"'


class Gunicorn:
    def __init__(self, proc: subprocess.Popen, log_path: Path, base_url: str, database_url: str, data_dir: Path):
        self.proc = proc
        self.log_path = log_path
        self.base_url = base_url
        self.database_url = database_url
        self.data_dir = data_dir

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs) -> httpx.Client:
        """A client that opens a new connection for every request, so gunicorn may hand each
        request to a different worker (a kept-alive connection stays with one worker)."""
        return httpx.Client(
            base_url=self.base_url,
            timeout=30,
            limits=httpx.Limits(max_keepalive_connections=0),
            follow_redirects=False,
            **kwargs,
        )

    def worker_of(self, probe: str) -> int:
        """The pid of the worker that served the request sent with ``X-Probe: probe``."""
        for _ in range(50):  # the access log line is written just after the response
            found = re.findall(rf"access pid=<?(\d+)>? probe={re.escape(probe)} ", self.log())
            if found:
                return int(found[-1])
            time.sleep(0.05)
        raise AssertionError(f"no access log line for probe {probe}")

    @contextmanager
    def dump_on_failure(self) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            exc.add_note(f"---- gunicorn output ({self.log_path}) ----\n{self.log()}")
            raise


def _wait_for_start(proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> str:
    """The base URL once gunicorn listens and /healthz answers (every worker has booted)."""
    deadline = time.monotonic() + timeout
    base_url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()}")
        log = log_path.read_text(errors="replace")
        if base_url is None:
            match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log)
            base_url = match.group(1) if match else None
        if base_url and log.count("Booting worker with pid") >= WORKERS:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                    return base_url
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer /healthz within {timeout} s:\n{log_path.read_text()}")


def _create_user(server: Gunicorn, role: str, email: str, name: str) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "app.py",
            "diary-server",
            "create-user",
            "--role",
            role,
            "--email",
            email,
            "--name",
            name,
            "--database",
            server.database_url,
            "--data-dir",
            str(server.data_dir),
        ],
        cwd=ROOT,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, f"create-user failed: {r.stdout}\n{r.stderr}"
    assert f"Created {role} {name} <{email}>" in r.stdout


@contextmanager
def running_gunicorn(
    database_url: str, tmp: Path, worker_args: list[str], secret: str, env: dict[str, str] | None = None
) -> Iterator[Gunicorn]:
    """``gunicorn <worker_args> diary_server.wsgi:app`` on a free port, its access log naming
    each request's worker, the README's two accounts made by ``create-user``; stopped with
    SIGTERM at the end (killed if it ignores it, which fails the test)."""
    data_dir = tmp / "diary"
    log_path = tmp / "gunicorn.log"
    full_env = {
        **os.environ,
        "TEAMAPP_DIARY_DATABASE": database_url,
        "TEAMAPP_DIARY_DATA_DIR": str(data_dir),
        "TEAMAPP_DIARY_SECRET_KEY": secret,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    # -b 127.0.0.1:0: gunicorn picks a free port and logs it (no race with other tests);
    # gunicorn 27 opens a control socket in ~/.gunicorn by default: not in a test.
    command = [str(GUNICORN), *worker_args, "-b", "127.0.0.1:0", "--no-control-socket"]
    command += ["--access-logfile", "-", "--access-logformat", ACCESS_FORMAT, "diary_server.wsgi:app"]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        server = Gunicorn(proc, log_path, _wait_for_start(proc, log_path), database_url, data_dir)
        with server.dump_on_failure():
            _create_user(server, "client", CLIENT, "Big Boss")
            _create_user(server, "freelancer", FREELANCER, "Felix Freelancer")
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
                raise AssertionError(f"gunicorn ignored SIGTERM for 30 s:\n{log_path.read_text()}") from None
    assert proc.returncode == 0, f"gunicorn exited with {proc.returncode} on SIGTERM:\n{log_path.read_text()}"


@pytest.fixture(scope="module")
def gunicorn(postgres, tmp_path_factory) -> Iterator[Gunicorn]:
    database = postgres.create_database()
    args = ["-k", "gthread", "-w", str(WORKERS), "--threads", "4"]
    try:
        with running_gunicorn(
            postgres.url(database),
            tmp_path_factory.mktemp("gunicorn"),
            args,
            "gunicorn-test-secret-key-0123456789abcdef",
        ) as server:
            yield server
    finally:
        postgres.drop_database(database)


def _api_sign_in(http: httpx.Client, email: str) -> dict[str, str]:
    r = http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD, "device": "gunicorn test"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_migrations_ran_once_although_workers_started_together(gunicorn):
    with gunicorn.dump_on_failure():
        log = gunicorn.log()
        assert log.count("Booting worker with pid") == WORKERS
        assert "Traceback" not in log and "Worker failed to boot" not in log
        conn = psycopg2.connect(gunicorn.database_url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT version, name FROM schema_version ORDER BY version")
                rows = cur.fetchall()
                cur.execute("SELECT COUNT(*), COUNT(DISTINCT email) FROM users")
                users = cur.fetchone()
        finally:
            conn.close()
        versions = [v for v, _ in rows]
        assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 3, rows
        assert users == (2, 2)


def test_client_creates_a_contract_and_the_freelancer_sees_it(gunicorn):
    with gunicorn.dump_on_failure(), gunicorn.client() as http:
        boss = _api_sign_in(http, CLIENT)
        felix = _api_sign_in(http, FREELANCER)
        r = http.post(
            "/api/v1/contracts",
            headers=boss,
            json={"freelancer_email": FREELANCER, "title": "Logo redesign", "hourly_rate": "42.50"},
        )
        assert r.status_code == 201, r.text
        contract = r.json()
        assert contract["status"] == "active" and contract["hourly_rate"] == "42.50"
        for _ in range(6):  # several requests, so several workers answer them
            listed = http.get("/api/v1/contracts", headers=felix)
            assert listed.status_code == 200, listed.text
            assert [c["id"] for c in listed.json()["contracts"]] == [contract["id"]]
        r = http.patch(f"/api/v1/contracts/{contract['id']}", headers=boss, json={"title": "Logo and icons"})
        assert r.status_code == 200 and r.json()["title"] == "Logo and icons"
        r = http.get(f"/api/v1/contracts/{contract['id']}", headers=felix)
        assert r.status_code == 200 and r.json()["title"] == "Logo and icons"
        r = http.patch(f"/api/v1/contracts/{contract['id']}", headers=felix, json={"title": "Mine now"})
        assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_a_web_session_made_in_one_worker_holds_in_every_worker(gunicorn):
    with gunicorn.dump_on_failure(), gunicorn.client() as http:
        page = http.get("/signin", headers={"X-Probe": "signin-form"})
        assert page.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = http.post(
            "/signin",
            data={"email": FREELANCER, "password": PASSWORD, "csrf_token": csrf},
            headers={"X-Probe": "signin-post"},
        )
        assert r.status_code == 302, r.text
        assert "diary_session" in http.cookies

        def home(n: int) -> tuple[int, str, int]:
            probe = f"home-{n}"
            # The cookie jar is shared, read-only here; each request is a new connection.
            resp = http.get("/", headers={"X-Probe": probe})
            return resp.status_code, resp.text, gunicorn.worker_of(probe)

        served_by: set[int] = set()
        results = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            # Concurrent requests on fresh connections spread over the workers; stop once all
            # of them have answered (almost always in the first batch).
            for batch in range(10):
                for status, text, pid in pool.map(home, range(batch * 16, batch * 16 + 16)):
                    results.append(status)
                    assert status == 200, text[:500]
                    assert "Signed in as Felix Freelancer" in text
                    served_by.add(pid)
                if len(served_by) == WORKERS:
                    break
        assert len(served_by) == WORKERS, f"only workers {served_by} answered {len(results)} requests"
        signin_workers = {gunicorn.worker_of("signin-form"), gunicorn.worker_of("signin-post")}
        assert signin_workers <= served_by

        # Signing in starts a new session, so the sign-out form carries a new CSRF token.
        page = http.get("/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = http.post("/signout", data={"csrf_token": csrf})
        assert r.status_code == 302
        r = http.get("/")
        assert r.status_code == 302 and "/signin" in r.headers["location"]


def test_api_tokens_work_in_every_worker_and_sign_out_everywhere(gunicorn):
    with gunicorn.dump_on_failure(), gunicorn.client() as http:
        boss = _api_sign_in(http, CLIENT)
        for _ in range(20):
            r = http.get("/api/v1/me", headers=boss)
            assert r.status_code == 200 and r.json()["email"] == CLIENT
        assert http.delete("/api/v1/sessions/current", headers=boss).status_code == 204
        for _ in range(10):
            r = http.get("/api/v1/me", headers=boss)
            assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_the_sign_in_limit_holds_for_a_parallel_burst_across_workers(gunicorn):
    """30 wrong passwords at once for one e-mail, spread over both workers: exactly the 5 that the
    README allows are checked, the other 25 are refused (the count is one statement in the database)."""
    body = {"email": "guesswork@example.com", "password": "wrong password 1"}

    def attempt(_: int) -> int:
        with gunicorn.client() as http:
            return http.post("/api/v1/sessions", json=body).status_code

    with gunicorn.dump_on_failure(), ThreadPoolExecutor(max_workers=30) as pool:
        statuses = sorted(pool.map(attempt, range(30)))
    assert statuses == [401] * 5 + [429] * 25
