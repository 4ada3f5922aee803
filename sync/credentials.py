"""Where the diary token is kept: the OS keyring when one exists, else a 0600 file.

The token is the only secret the Team app holds; it never goes into the database.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

KEYRING_SERVICE = "TeamApp diary"


class TokenStore(Protocol):
    kind: str

    def get(self, diary_url: str) -> str | None: ...
    def set(self, diary_url: str, token: str) -> None: ...
    def delete(self, diary_url: str) -> None: ...


class FileTokenStore:
    """Tokens by server URL in one JSON file, written 0600 and replaced atomically."""

    kind = "file"

    def __init__(self, path: Path):
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (ValueError, OSError):
            log.warning("ignoring unreadable token file %s", self.path)
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def _write(self, data: dict[str, str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def get(self, diary_url: str) -> str | None:
        return self._read().get(diary_url)

    def set(self, diary_url: str, token: str) -> None:
        data = self._read()
        data[diary_url] = token
        self._write(data)

    def delete(self, diary_url: str) -> None:
        data = self._read()
        if data.pop(diary_url, None) is not None:
            self._write(data)


class KeyringTokenStore:
    kind = "keyring"

    def __init__(self, backend):
        self.backend = backend

    def get(self, diary_url: str) -> str | None:
        return self.backend.get_password(KEYRING_SERVICE, diary_url)

    def set(self, diary_url: str, token: str) -> None:
        self.backend.set_password(KEYRING_SERVICE, diary_url, token)

    def delete(self, diary_url: str) -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self.backend.delete_password(KEYRING_SERVICE, diary_url)


def usable_keyring():
    """The OS keyring backend, or None when there is none (headless Linux, CI)."""
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) < 1:
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    try:  # a locked or absent Secret Service shows up only when used
        backend.get_password(KEYRING_SERVICE, "__probe__")
    except Exception as exc:  # keyring raises backend-specific errors here
        log.info("OS keyring unusable (%s); keeping the token in a file", exc)
        return None
    return backend


def choose_token_store(mode: str, data_dir: Path) -> TokenStore:
    """``mode`` is the token_store setting: auto, keyring or file."""
    file_store = FileTokenStore(data_dir / "diary-token.json")
    if mode == "file":
        return file_store
    backend = usable_keyring()
    if backend is not None:
        return KeyringTokenStore(backend)
    if mode == "keyring":
        raise RuntimeError("token_store is 'keyring' but no OS keyring is available here; use auto or file")
    return file_store
