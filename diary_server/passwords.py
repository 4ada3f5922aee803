"""Password hashing with a bounded number of hashes at a time, and the password rules.

Argon2id costs memory on purpose (19 MiB a hash with OWASP's parameters), so a burst of
sign-ins would otherwise cost that much per thread of the server with no upper bound: at
most ``slots`` hashes run at once and the rest wait a bounded time, then get ``ServerBusy``
(the web layers answer 503 with Retry-After). Hashes made with older parameters still verify,
since Argon2 keeps its parameters in the hash; sign-in rehashes them.

The diary embedded in the Team app hashes **out of process** (``out_of_process=True``): each
hash, check and common-password test runs in a short-lived ``password_worker.py`` that
imports only argon2 and zxcvbn, so the 19 MiB of a hash and the ~14 MiB of zxcvbn's ranked
lists go back to the system with it instead of staying in the process that runs all day.
Nothing here imports argon2 or zxcvbn until a hash is made in this process.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)

#: OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1. argon2-cffi's default
#: (RFC 9106's "low memory" profile) is m=64 MiB, t=3, p=4: three times the memory per hash.
OWASP_MEMORY_KIB = 19 * 1024
OWASP_PARAMETERS = {"time_cost": 2, "memory_cost": OWASP_MEMORY_KIB, "parallelism": 1}
#: Seconds a sign-in waits for a free hashing slot before it is told to come back.
DEFAULT_WAIT_SECONDS = 10.0
WORKER = Path(__file__).with_name("password_worker.py")
#: Seconds a worker may take (it starts an interpreter, then hashes at most twice).
WORKER_TIMEOUT_SECONDS = 60.0


@lru_cache(maxsize=1)
def _production_hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher(**OWASP_PARAMETERS)


def __getattr__(name: str) -> Any:
    if name == "PRODUCTION_HASHER":  # built on first use: importing argon2 loads its C library
        return _production_hasher()
    raise AttributeError(name)


class ServerBusy(Exception):
    """Every hashing slot stayed taken for the whole wait: the caller should retry later."""

    def __init__(self, retry_after: int = 5):
        super().__init__("The server is busy. Try again in a few seconds.")
        self.retry_after = retry_after


def default_slots() -> int:
    """Hashes at a time: half the machine's cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


class PasswordHashing:
    """An Argon2 hasher behind a semaphore of ``slots`` concurrent hashes, in this process or
    (``out_of_process``) in a short-lived worker process per operation."""

    def __init__(
        self,
        hasher: PasswordHasher | None,
        slots: int,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        out_of_process: bool = False,
    ):
        self._hasher = hasher  # None: OWASP's parameters, built on first use
        self.slots = max(1, slots)
        self.wait_seconds = wait_seconds
        self.out_of_process = out_of_process and not getattr(sys, "frozen", False)
        self._semaphore = threading.BoundedSemaphore(self.slots)
        self._dummy: str | None = None

    @property
    def hasher(self) -> PasswordHasher:
        if self._hasher is None:
            self._hasher = _production_hasher()
        return self._hasher

    @property
    def parameters(self) -> dict[str, int]:
        """Argon2's cost parameters, without importing argon2 when they are OWASP's."""
        if self._hasher is None:
            return dict(OWASP_PARAMETERS)
        h = self._hasher
        return {"time_cost": h.time_cost, "memory_cost": h.memory_cost, "parallelism": h.parallelism}

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one hashing slot, or raise ServerBusy after ``wait_seconds``."""
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            raise ServerBusy(retry_after=max(1, round(self.wait_seconds)))
        try:
            yield
        finally:
            self._semaphore.release()

    def hash(self, password: str) -> str:
        with self.slot():
            if self.out_of_process:
                return str(run_worker({"op": "hash", "password": password, "parameters": self.parameters}))
            return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; an unknown account (None) is checked against a dummy
        hash, so the time taken does not tell which e-mails have accounts."""
        with self.slot():
            if self.out_of_process:
                request = {"op": "verify", "hash": password_hash, "password": password, "parameters": self.parameters}
                return bool(run_worker(request)) and password_hash is not None
            from argon2.exceptions import InvalidHashError, VerificationError

            if self._dummy is None:
                self._dummy = self.hasher.hash("not-a-real-password")
            try:
                self.hasher.verify(password_hash or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False
            return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        if self.out_of_process:
            return hash_parameters(password_hash) not in (None, self.parameters)
        from argon2.exceptions import InvalidHashError

        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False

    def problem(self, password: str) -> str | None:
        """:func:`password_problem`, in the worker when hashing is out of process."""
        if not self.out_of_process:
            return password_problem(password)
        return simple_problem(password) or (
            COMMON_PASSWORD_MESSAGE if run_worker({"op": "is_common", "password": password}) else None
        )


def hash_parameters(password_hash: str) -> dict[str, int] | None:
    """The cost parameters of an Argon2id hash (``$argon2id$v=19$m=…,t=…,p=…$…``), or None
    for anything else, read without argon2 (so the embedded diary can decide on a rehash)."""
    parts = password_hash.split("$")
    if len(parts) != 6 or parts[1] != "argon2id" or parts[2] != "v=19":
        return None
    try:
        found = dict(item.split("=", 1) for item in parts[3].split(","))
        return {"time_cost": int(found["t"]), "memory_cost": int(found["m"]), "parallelism": int(found["p"])}
    except (KeyError, ValueError):
        return None


def run_worker(request: dict) -> Any:
    """One operation in a fresh ``password_worker.py`` process: the request goes in as JSON
    on stdin (never on the command line, where other users could read the password)."""
    done = subprocess.run(
        [sys.executable, str(WORKER)],
        input=json.dumps(request).encode("utf-8"),
        capture_output=True,
        timeout=WORKER_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        log.error("password worker failed (%s): %s", done.returncode, done.stderr.decode(errors="replace")[-2000:])
        raise RuntimeError("the password worker failed")
    return json.loads(done.stdout)["result"]


# ---- the password rules ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords that zxcvbn ships (lower case), loaded on first use."""
    from zxcvbn.matching import RANKED_DICTIONARIES

    return frozenset(RANKED_DICTIONARIES["passwords"])


COMMON_PASSWORD_MESSAGE = "That password is one of the most common passwords; choose one that is harder to guess."  # noqa: S105  (words, not a password)


def simple_problem(password: str) -> str | None:
    """The rules that need no word list."""
    if len(set(password)) == 1 or not password.strip():
        return "That password is one character repeated; choose one that is harder to guess."
    return None


def is_common(password: str) -> bool:
    common = _common_passwords()
    return password.lower() in common or password.strip().lower() in common


def password_problem(password: str) -> str | None:
    """Why a new password is refused beyond its length, in words for the form; None if fine."""
    return simple_problem(password) or (COMMON_PASSWORD_MESSAGE if is_common(password) else None)
