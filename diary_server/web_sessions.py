"""Server-side sessions for the diary's own pages: the signed cookie carries only a random id."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from diary_server.models import User, WebSession


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start(user: User, now: datetime) -> str:
    """A new session for ``user``; returns the id to put in the cookie (stored only hashed)."""
    session_id = secrets.token_urlsafe(32)
    WebSession.create(user=user, id_hash=_hash(session_id), created_at=now, last_used_at=now)
    return session_id


def user_for(session_id: str, now: datetime) -> User | None:
    if not isinstance(session_id, str) or not session_id or len(session_id) > 200:
        return None
    row = WebSession.select(WebSession, User).join(User).where(WebSession.id_hash == _hash(session_id)).first()
    if row is None:
        return None
    if now - row.last_used_at > timedelta(minutes=1):  # a write at most once a minute, not on every page
        WebSession.update(last_used_at=now).where(WebSession.id == row.id).execute()
    return row.user


def end(session_id: str) -> None:
    if isinstance(session_id, str) and session_id:
        WebSession.delete().where(WebSession.id_hash == _hash(session_id)).execute()
