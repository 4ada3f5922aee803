"""The sign-in throttle: growing delays per (e-mail, address), and a looser ceiling per address.

Every attempt is counted *before* its password is checked, in one statement that increments
the counter and reads it back (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, SQLite 3.35+
and PostgreSQL), so parallel requests cannot all pass a check made before any of them failed.
The first ``free`` attempts of a key go through; after that each one makes the next wait
2, 4, 8 ... seconds, up to 15 minutes (``delay_after``). A refused attempt changes nothing and
costs no password hash. A correct password clears its (e-mail, address) key and gives its
attempt back to the address, so the address counts only failures. A key is forgotten an
hour after its last attempt.

The account is never locked as such: failures from one address do not slow the owner down
at another. Keys are SHA-256 digests, so the table holds no e-mail addresses.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import datetime

import peewee

from core.rules import to_utc

#: The longest wait between attempts, and how long a key is remembered after its last attempt
#: (longer than the longest wait, so a patient guesser does not get the free attempts back).
MAX_DELAY_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 60 * 60
#: The per-address ceiling is this many times the per-(e-mail, address) allowance.
ADDRESS_FACTOR = 10


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed sign-ins. Try again in {wait_in_words(retry_after)}.")
        self.retry_after = retry_after


def wait_in_words(seconds: int) -> str:
    """``61`` -> ``"2 minutes"``: whole minutes, rounded up, as the messages say them."""
    minutes = max(1, -(-seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def delay_after(attempts: int, free: int) -> int:
    """Seconds the next attempt waits after ``attempts`` counted ones: none while fewer than
    ``free``, then 2, 4, 8 ... seconds, never more than MAX_DELAY_SECONDS."""
    if attempts < free:
        return 0
    excess = attempts - free + 1
    return MAX_DELAY_SECONDS if excess >= 10 else min(MAX_DELAY_SECONDS, 2**excess)


def _delay_sql(expression: str, free: int) -> str:
    """``delay_after`` as a SQL CASE over ``expression`` (SQLite has no power function)."""
    steps = " ".join(f"WHEN {expression} = {n} THEN {delay_after(n, free)}" for n in range(free, free + 10))
    return f"CASE WHEN {expression} < {free} THEN 0 {steps} ELSE {MAX_DELAY_SECONDS} END"


@dataclass(frozen=True)
class Throttle:
    """The throttle on one database; ``free`` is the sign-in allowance per (e-mail, address)."""

    db: peewee.Database
    free: int

    def attempt(self, email: str, address: str, now: datetime) -> None:
        """Count one attempt on both keys, or raise TooManyAttempts and count nothing more."""
        at = _epoch(now)
        for key, free in self._keys(email, address):
            self._count(key, free, at)

    def succeeded(self, email: str, address: str, now: datetime) -> None:
        """A correct password: forget the (e-mail, address) key, and give the address its attempt back."""
        (address_key, address_free), (email_key, _) = self._keys(email, address)
        with self.db.atomic():
            self.db.execute_sql(f"DELETE FROM login_throttle WHERE key_hash = {self.db.param}", (email_key,))  # noqa: S608
            self._give_back(address_key, address_free, _epoch(now))

    def not_checked(self, email: str, address: str, now: datetime) -> None:
        """The password was never checked (the server was busy): give both keys the attempt back."""
        with self.db.atomic():
            for key, free in self._keys(email, address):
                self._give_back(key, free, _epoch(now))

    def _give_back(self, key: str, free: int, at: int) -> None:
        """Uncount one attempt; a key back under its allowance waits no more, one over it keeps its wait."""
        p = self.db.param
        self.db.execute_sql(
            f"UPDATE login_throttle SET attempts = attempts - 1, blocked_until = CASE "  # noqa: S608
            f"WHEN attempts - 1 < {free} THEN {p} ELSE blocked_until END WHERE key_hash = {p} AND attempts > 0",
            (at, key),
        )

    def _keys(self, email: str, address: str) -> tuple[tuple[str, int], ...]:
        """The address's key (checked first, with its looser allowance), then the (e-mail, address) one."""
        return (
            (_key("address", address), max(1, self.free * ADDRESS_FACTOR)),
            (_key("email", email, address), max(1, self.free)),
        )

    def _count(self, key: str, free: int, at: int) -> None:
        p = self.db.param
        new_attempts = "login_throttle.attempts + 1"
        with self.db.atomic():
            self.db.execute_sql(
                f"DELETE FROM login_throttle WHERE key_hash = {p} AND last_at < {p}",  # noqa: S608
                (key, at - FORGET_AFTER_SECONDS),
            )
            row = self.db.execute_sql(
                "INSERT INTO login_throttle (key_hash, attempts, blocked_until, last_at) "  # noqa: S608
                f"VALUES ({p}, 1, {p}, {p}) ON CONFLICT (key_hash) DO UPDATE SET "
                f"attempts = {new_attempts}, blocked_until = {p} + {_delay_sql(new_attempts, free)}, "
                f"last_at = {p} WHERE login_throttle.blocked_until <= {p} RETURNING attempts",
                (key, at + delay_after(1, free), at, at, at, at),
            ).fetchall()
            if row:
                return
            blocked_until = self.db.execute_sql(
                f"SELECT blocked_until FROM login_throttle WHERE key_hash = {p}",  # noqa: S608
                (key,),
            ).fetchone()[0]
        raise TooManyAttempts(max(1, blocked_until - at))


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _epoch(now: datetime) -> int:
    """An aware instant (the server's clock) -> whole seconds since 1970; naive is refused."""
    return calendar.timegm(to_utc(now).utctimetuple())
