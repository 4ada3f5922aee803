"""A size-limited directory (a tmpfs mount) for full-disk tests, and a way to fill it.

Mounting needs root (CI runs as root here); elsewhere the tests that need it are skipped
with that reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_disk(path: Path, size_mb: int) -> Iterator[Path]:
    """Mount a ``size_mb`` tmpfs on ``path`` for the block; unmounted (lazily) after."""
    if os.geteuid() != 0:
        pytest.skip("a size-limited directory needs root to mount a tmpfs")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path, name: str = "filler.bin") -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = directory / name
    block = b"\xa5" * 65536
    with open(filler, "ab", buffering=0) as out:
        while True:
            try:
                out.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    for size in (4096, 512, 1):  # the last partial blocks too
        with open(filler, "ab", buffering=0) as out, contextlib.suppress(OSError):
            while True:
                out.write(b"\xa5" * size)
    return filler
