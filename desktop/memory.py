"""Keep the Team app's memory low while it logs all day (the target is 80 MB of RSS).

Give freed memory back to the operating system after the big, short-lived allocations.

A snapshot decodes, scales and encodes a full-screen image (tens of MB) on the capture
thread; glibc keeps the freed pages in that thread's arena, so a Team app that logs all day
sits on memory it is not using. ``malloc_trim`` returns them. Elsewhere (macOS, Windows,
musl) this does nothing: those allocators return large blocks by themselves.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from functools import cache

M_ARENA_MAX = -8  # glibc's mallopt parameter numbers
M_MMAP_THRESHOLD = -3


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def tune_allocator(arenas: int = 2, mmap_threshold: int = 1 << 20) -> bool:
    """Call before threads start. Two glibc behaviours keep freed snapshot buffers (8 MB raw
    grab, 6 MB RGB image) inside the process all day: each busy thread gets its own arena
    (up to 8 per core), and after the first big block is freed the mmap threshold rises to
    its size, so later big blocks come from the heap, which fragments instead of being
    unmapped. A fixed 1 MB threshold and two arenas measured 96 -> 88 MiB after a logged day."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None:
        return False
    return bool(mallopt(M_ARENA_MAX, arenas)) and bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold))


def keep_postgres_driver_out() -> None:
    """The Team app's own databases are SQLite, but peewee imports psycopg2 whenever it is
    installed (it is, for the diary server), which costs ~6 MB of RSS. Call before the first
    import of peewee, in the Team app process only (never in ``app.py diary-server``)."""
    if "peewee" not in sys.modules:
        sys.modules.setdefault("psycopg2", None)  # type: ignore[arg-type]  # import now fails


def keep_httpx_cli_out() -> None:
    """``import httpx`` also imports its command-line client (click, pygments and rich, ~3.5 MB
    of RSS) whenever those happen to be installed; the Team app never runs it. Blocked, httpx
    falls back to a stub ``main``. Call before the first import of httpx."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is None:  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Trim the allocator's free lists; False where there is nothing to call."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
