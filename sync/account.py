"""Signing the Team app in and out of a diary server.

The signed-in identity lives in the local cache (so the app knows who it is offline); the
token lives in the token store. Both change together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core import text_rules
from models.local import Account, Contract, local_db, move_state_suffix
from sync.credentials import TokenStore
from sync.diary_client import DiaryClient, DiaryError, normalize_server_url

ClientFactory = Callable[..., DiaryClient]


@dataclass(frozen=True)
class SignOutResult:
    revoked_on_server: bool
    note: str | None = None


def current_account() -> Account | None:
    # A raw query: every request asks this, and peewee's query building costs ~1 ms.
    return next(iter(Account.raw("SELECT * FROM account ORDER BY id DESC LIMIT 1")), None)


def sign_in(
    server_url: str,
    email: str,
    password: str,
    *,
    client_factory: ClientFactory,
    token_store: TokenStore,
    now: datetime,
) -> Account:
    """Sign in; raise a DiaryError subclass with a user-facing message on any failure."""
    url = normalize_server_url(server_url)
    email = email.strip()
    if not email or not password:
        raise DiaryError("Enter your e-mail and password.")
    if text_rules.bad_character(email):
        raise DiaryError("The e-mail address contains a control character; type it again.")
    with client_factory(url) as client:
        token, user = client.sign_in(email, password)
    token_store.set(url, token)
    with local_db.atomic():
        Account.delete().execute()
        return Account.create(
            diary_url=url, user_id=user.id, email=user.email, name=user.name, role=user.role, signed_in_at=now
        )


def sign_out(*, client_factory: ClientFactory, token_store: TokenStore) -> SignOutResult:
    """Forget the account locally in every case; revoke the token on the server when reachable."""
    account = current_account()
    if account is None:
        return SignOutResult(False)
    token = token_store.get(account.diary_url)
    result = SignOutResult(False)
    if token:
        try:
            with client_factory(account.diary_url, token=token) as client:
                client.sign_out()
            result = SignOutResult(True)
        except DiaryError as exc:
            result = SignOutResult(False, f"Signed out on this computer only: {exc}")
    token_store.delete(account.diary_url)
    with local_db.atomic():
        Account.delete().execute()
    return result


def follow_diary_move(old_url: str, new_url: str, *, token_store: TokenStore) -> bool:
    """The diary the account is signed in to now answers at ``new_url`` (the embedded diary
    could not get its old port back): point the account, its contracts, its sync cursors and
    its token at the new address, so the outbox keeps flowing to the same diary.

    Returns False (and changes nothing) when the account is not on ``old_url``."""
    old_url, new_url = normalize_server_url(old_url), normalize_server_url(new_url)
    account = current_account()
    if account is None or account.diary_url != old_url or old_url == new_url:
        return False
    token = token_store.get(old_url)
    with local_db.atomic():
        # Rows already stored under the new address (a sign-in there meanwhile) give way.
        ours = Contract.select(Contract.id).where(Contract.diary_url == old_url)
        Contract.delete().where((Contract.diary_url == new_url) & Contract.id.in_(ours)).execute()
        Contract.update(diary_url=new_url).where(Contract.diary_url == old_url).execute()
        Account.update(diary_url=new_url).where(Account.diary_url == old_url).execute()
        move_state_suffix(":" + old_url, ":" + new_url)
    if token:
        token_store.set(new_url, token)
        token_store.delete(old_url)
    return True
