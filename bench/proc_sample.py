"""What bench/overhead.py reads of a process from /proc: CPU per process and per thread,
memory, context switches, I/O, and the growth of its data dir."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def stat_cpu(path: Path) -> tuple[str, float]:
    """(comm, utime+stime seconds) of /proc/PID/stat or /proc/PID/task/TID/stat."""
    text = path.read_text()
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    return comm, (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_fields(path: Path) -> dict[str, int]:
    out = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
            out[name] = int(value.split()[0])
    return out


def dir_bytes(path: Path) -> tuple[int, int, dict[str, int]]:
    """(bytes as ``du -sb`` counts them, bytes of image files, size of each file) under path."""
    du = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True)
    total = int(du.stdout.split()[0]) if du.returncode == 0 else 0
    sizes = {}
    for p in path.rglob("*"):
        try:
            if p.is_file():
                sizes[str(p.relative_to(path))] = p.stat().st_size
        except FileNotFoundError:
            continue
    images = sum(n for name, n in sizes.items() if Path(name).suffix.lower() in IMAGE_SUFFIXES)
    return total, images, sizes


@dataclass
class Sample:
    at: float
    epoch: float
    cpu: float
    threads: dict[int, tuple[str, float, int]]  # tid -> (comm, cpu s, context switches)
    io: dict[str, int]
    status: dict[str, int]
    data: tuple[int, int, dict[str, int]]


def sample(pid: int, data_dir: Path | None) -> Sample:
    base = Path(f"/proc/{pid}")
    threads = {}
    for task in base.glob("task/*"):
        try:
            comm, cpu = stat_cpu(task / "stat")
            st = status_fields(task / "status")
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended meanwhile
        threads[int(task.name)] = (comm, cpu, st["voluntary_ctxt_switches"] + st["nonvoluntary_ctxt_switches"])
    io = {}
    for line in (base / "io").read_text().splitlines():
        name, _, value = line.partition(":")
        io[name] = int(value)
    return Sample(
        time.monotonic(),
        time.time(),
        stat_cpu(base / "stat")[1],
        threads,
        io,
        status_fields(base / "status"),
        dir_bytes(data_dir) if data_dir else (0, 0, {}),
    )
