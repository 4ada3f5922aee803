"""Accounts, passwords, API tokens and the sign-in limit of the diary server."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

import peewee

from core.refusal import Refused
from diary_server.contract_reads import zone_name
from diary_server.models import ROLES, ApiToken, User, diary_db
from diary_server.passwords import PasswordHashing, ServerBusy, default_slots
from diary_server.throttle import Throttle, TooManyAttempts  # noqa: F401  (the web layers catch it from here)

if TYPE_CHECKING:
    from argon2 import PasswordHasher

_hashing = PasswordHashing(None, default_slots())  # OWASP's parameters, argon2 imported on first use


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the Argon2 parameters (the test suite uses cheap ones; production keeps OWASP's)."""
    global _hashing
    _hashing = PasswordHashing(hasher, _hashing.slots, _hashing.wait_seconds, _hashing.out_of_process)


def configure_hashing(slots: int, wait_seconds: float, out_of_process: bool = False) -> PasswordHashing:
    """How many password hashes may run at once, how long a sign-in waits for a turn, and
    whether each runs in a short-lived worker process (the diary embedded in the Team app)."""
    global _hashing
    _hashing = PasswordHashing(_hashing._hasher, slots, wait_seconds, out_of_process)
    return _hashing


MIN_PASSWORD_LENGTH = 10
#: How stale an API token's ``last_used_at`` may get before a request records it again.
TOKEN_USE_RESOLUTION = timedelta(hours=1)
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class AccountError(Refused, ValueError):
    """Bad input for an account operation; ``code`` is stable, the message is for people."""

    status = 422

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message, code=code, field=field)


@dataclass(frozen=True)
class NewAccount:
    email: str
    name: str
    role: str
    password: str


def normalize_email(email: str) -> str:
    """One spelling per address: NFKC (full-width letters), case-folded, without outer spaces."""
    return unicodedata.normalize("NFKC", email).casefold().strip()


def validate_new_account(email: str, name: str, role: str, password: str) -> NewAccount:
    """Check sign-up input; raise AccountError naming the first bad field."""
    email = normalize_email(email)
    name = " ".join(name.split())
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("invalid_email", "Enter a valid e-mail address, like ana@example.com.", "email")
    if not name or len(name) > 100:
        raise AccountError("invalid_name", "Enter your name (up to 100 characters).", "name")
    if role not in ROLES:
        raise AccountError("invalid_role", "Choose whether you are a client or a freelancer.", "role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("weak_password", f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.", "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("invalid_password", "That password is too long.", "password")
    problem = _hashing.problem(password)
    if problem:
        raise AccountError("weak_password", problem, "password")
    return NewAccount(email, name, role, password)


def create_user(email: str, name: str, role: str, password: str, now: datetime) -> User:
    account = validate_new_account(email, name, role, password)
    try:
        with diary_db.atomic():
            return User.create(
                email=account.email,
                name=account.name,
                role=account.role,
                password_hash=_hashing.hash(account.password),
                created_at=now,
            )
    except peewee.IntegrityError:
        raise AccountError(
            "email_taken", "An account with this e-mail already exists; sign in instead.", "email"
        ) from None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, label: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    ApiToken.create(user=user, token_hash=hash_token(token), label=label[:100], created_at=now)
    return token


_USER_FIELDS = tuple(User._meta.fields.items())
_TOKEN_USER = (
    "SELECT t.id, t.last_used_at, "  # noqa: S608  (column names from the model, no input)
    + ", ".join(f"u.{field.column_name}" for _, field in _USER_FIELDS)
    + " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = {param}"
)


def user_for_token(token: str, now: datetime) -> User | None:
    if not token or len(token) > 200:
        return None
    # One plain statement: this runs on every API request, and peewee's composed join with
    # its two model rows cost more than the query.
    db = diary_db.obj
    row = db.execute_sql(_TOKEN_USER.format(param=db.param), (hash_token(token),)).fetchone()
    if row is None:
        return None
    token_id, last_used_at, *user_columns = row
    user = User(
        **{name: field.python_value(value) for (name, field), value in zip(_USER_FIELDS, user_columns, strict=True)}
    )
    user._dirty.clear()  # (a row as read, as peewee's own select leaves it)
    # Record use at most once an hour, so reads do not turn into writes (a held pull comes
    # every minute; nothing shows the time closer than that).
    last_used_at = ApiToken.last_used_at.python_value(last_used_at)
    if last_used_at is None or now - last_used_at > TOKEN_USE_RESOLUTION:
        ApiToken.update(last_used_at=now).where(ApiToken.id == token_id).execute()
    return user


def revoke_token(token: str) -> bool:
    return ApiToken.delete().where(ApiToken.token_hash == hash_token(token)).execute() > 0


def authenticate(email: str, password: str, ip: str, now: datetime, limit: int) -> User:
    """Return the user for a correct e-mail and password. The attempt is counted first
    (TooManyAttempts when it must wait), then the password is checked in a hashing slot
    (ServerBusy when none frees up in time)."""
    email = normalize_email(email)[:254]
    throttle = Throttle(diary_db, limit)
    throttle.attempt(email, ip, now)
    user = User.get_or_none(User.email == email)
    try:
        ok = _hashing.verify(user.password_hash if user else None, password[:MAX_PASSWORD_LENGTH])
    except ServerBusy:
        throttle.not_checked(email, ip, now)
        raise
    if not ok:
        raise AccountError("invalid_credentials", "Wrong e-mail or password.")
    throttle.succeeded(email, ip, now)
    if _hashing.needs_rehash(user.password_hash):
        User.update(password_hash=_hashing.hash(password)).where(User.id == user.id).execute()
    return user


# ---- the account's time zone (migration m0005) ------------------------------------------------


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The IANA zones offered on the account page (UTC first)."""
    return ("UTC", *sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


def validate_timezone(name: str) -> str:
    name = name.strip()
    if name not in zone_names():
        raise AccountError(
            "invalid_timezone", "Choose a time zone from the list, like Europe/Berlin or UTC.", "timezone"
        )
    return name


def set_timezone(user: User, name: str) -> str:
    """Store the account's time zone; bad input raises AccountError and changes nothing."""
    name = validate_timezone(name)
    User.update(timezone=name).where(User.id == user.id).execute()
    return name


def timezones_of(user_ids: list[int]) -> dict[int, ZoneInfo]:
    """The time zones of some accounts (UTC for a name this machine does not know)."""
    zones = {}
    for row in User.select(User.id, User.timezone).where(User.id.in_(user_ids)):
        zones[row.id] = ZoneInfo(zone_name(row.timezone))
    return zones
