"""A full disk, told apart from other storage errors, and a reserve file for it.

When the data dir's disk fills up, SQLite rolls the failing transaction back by itself and
peewee's own rollback then fails with "cannot rollback - no transaction is active", which
hides the real cause; :func:`is_disk_full` looks through the exception chain for it.

The reserve is a preallocated file in the data dir. It takes no space the user would miss
(a few megabytes), and deleting it at the first ENOSPC gives the minutes being logged
somewhere to go while the user frees space. It is made again once there is room.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

RESERVE_NAME = "disk-reserve.bin"
#: About an hour of minute writes and six snapshots at 1920x1080, with the WAL's growth.
RESERVE_BYTES = 8 * 1024 * 1024
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def is_disk_full(exc: BaseException | None) -> bool:
    """True if ``exc`` or anything in its cause/context chain says the disk is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
            return True
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if "database or disk is full" in str(exc):  # SQLITE_FULL before Python 3.11 / via peewee
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def free_bytes(directory: Path) -> int:
    """Bytes an unprivileged process may still write on ``directory``'s file system."""
    for candidate in (directory, *directory.parents):  # it may not exist yet
        try:
            return shutil.disk_usage(candidate).free
        except FileNotFoundError:
            continue
        except OSError:
            return 0
    return 0


class DiskReserve:
    """The data dir's reserve file: :meth:`release` at ENOSPC, :meth:`ensure` when there is room."""

    def __init__(self, directory: Path, size: int = RESERVE_BYTES) -> None:
        self.directory = Path(directory)
        self.path = self.directory / RESERVE_NAME
        self.size = size

    def held(self) -> bool:
        try:
            return self.path.stat().st_size >= self.size
        except OSError:
            return False

    def ensure(self) -> bool:
        """Make the reserve if it is missing and the disk has room for it twice over (so
        making it never fills the disk); True when it is in place."""
        if self.size <= 0 or self.held():
            return True
        if free_bytes(self.directory) < 2 * self.size:
            return False
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            try:
                _allocate(fd, self.size)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("could not make the disk reserve %s: %s", self.path, exc)
            tmp.unlink(missing_ok=True)
            return False
        return True

    def release(self) -> bool:
        """Delete the reserve; True if there was one (so a retry can now succeed)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("could not release the disk reserve %s: %s", self.path, exc)
            return False
        log.warning("the disk of %s is full: released the %d-byte reserve", self.directory, self.size)
        return True


def _allocate(fd: int, size: int) -> None:
    """Really take the blocks (a sparse file would free nothing when deleted)."""
    try:
        os.posix_fallocate(fd, 0, size)
        return
    except (AttributeError, OSError) as exc:  # not on macOS; some file systems refuse
        if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
            raise
    block = b"\0" * (1024 * 1024)
    written = 0
    while written < size:
        written += os.write(fd, block[: min(len(block), size - written)])
