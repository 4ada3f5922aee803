"""A throwaway PostgreSQL cluster for the test session, from Debian's postgresql package.

Started with initdb + pg_ctl in a temp dir (as the postgres user when we are root, since
PostgreSQL refuses to run as root), listening on 127.0.0.1 and a free port, trust auth.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise PostgresUnavailable(
        f"PostgreSQL's {name} was not found: run `make test` (it installs Debian's postgresql "
        "package) or `apt-get install postgresql`"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="teamapp-pg-"))
        self.port = _free_port()
        self.user = "teamapp"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> PostgresCluster:
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = str(self.dir / "data")
        r = self._run(_bin("initdb"), "-D", data, "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync")
        if r.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {r.stderr}")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        r = self._run(_bin("pg_ctl"), "-D", data, "-o", opts, "-l", str(self.dir / "log"), "-w", "start")
        if r.returncode != 0:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {r.stderr}\n{log}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self.url())
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def create_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def restart(self) -> None:
        """Stop the server (``-m fast``: every session is ended) and start it again on the same
        port, as an upgrade or a crash-restart does; pooled connections die with it."""
        data = str(self.dir / "data")
        r = self._run(_bin("pg_ctl"), "-D", data, "-l", str(self.dir / "log"), "-m", "fast", "-w", "restart")
        if r.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl restart failed: {r.stderr}\n{(self.dir / 'log').read_text()}")

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def running_cluster() -> Iterator[PostgresCluster]:
    """A cluster of its own, stopped at the end. A machine without PostgreSQL fails the test
    with the reason: it never skips it."""
    import pytest

    try:
        cluster = PostgresCluster().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()
