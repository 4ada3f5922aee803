"""Password hashing with a bounded number of hashes at a time, and the password rules.

Argon2id costs memory on purpose (19 MiB a hash with OWASP's parameters), so a burst of
sign-ins would otherwise cost that much per thread of the server with no upper bound: at
most ``slots`` hashes run at once and the rest wait a bounded time, then get ``ServerBusy``
(the web layers answer 503 with Retry-After). Hashes made with older parameters still verify,
since Argon2 keeps its parameters in the hash; sign-in rehashes them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1. argon2-cffi's default
#: (RFC 9106's "low memory" profile) is m=64 MiB, t=3, p=4: three times the memory per hash.
OWASP_MEMORY_KIB = 19 * 1024
PRODUCTION_HASHER = PasswordHasher(time_cost=2, memory_cost=OWASP_MEMORY_KIB, parallelism=1)
#: Seconds a sign-in waits for a free hashing slot before it is told to come back.
DEFAULT_WAIT_SECONDS = 10.0


class ServerBusy(Exception):
    """Every hashing slot stayed taken for the whole wait: the caller should retry later."""

    def __init__(self, retry_after: int = 5):
        super().__init__("The server is busy. Try again in a few seconds.")
        self.retry_after = retry_after


def default_slots() -> int:
    """Hashes at a time: half the machine's cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


class PasswordHashing:
    """An Argon2 hasher behind a semaphore of ``slots`` concurrent hashes."""

    def __init__(self, hasher: PasswordHasher, slots: int, wait_seconds: float = DEFAULT_WAIT_SECONDS):
        self.hasher = hasher
        self.slots = max(1, slots)
        self.wait_seconds = wait_seconds
        self._semaphore = threading.BoundedSemaphore(self.slots)
        self._dummy: str | None = None

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
            return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; an unknown account (None) is checked against a dummy
        hash, so the time taken does not tell which e-mails have accounts."""
        with self.slot():
            if self._dummy is None:
                self._dummy = self.hasher.hash("not-a-real-password")
            try:
                self.hasher.verify(password_hash or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False
            return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False


# ---- the password rules ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords that zxcvbn ships (lower case), loaded on first use."""
    from zxcvbn.matching import RANKED_DICTIONARIES

    return frozenset(RANKED_DICTIONARIES["passwords"])


def password_problem(password: str) -> str | None:
    """Why a new password is refused beyond its length, in words for the form; None if fine."""
    stripped = password.strip()
    if len(set(password)) == 1 or not stripped:
        return "That password is one character repeated; choose one that is harder to guess."
    if password.lower() in _common_passwords() or stripped.lower() in _common_passwords():
        return "That password is one of the most common passwords; choose one that is harder to guess."
    return None
