"""Detect a damaged SQLite file at start, move it aside and start on what can be recovered.

Both programs (the Team app's cache and the diary server on SQLite) call
:func:`recover_if_damaged` before they open their file, so a truncated file, a garbage
header or a damaged page never becomes a traceback, a 500 on every page, or a silently new
empty database. The damaged file (with its ``-wal`` and ``-shm``) is kept next to the
original under a name with a UTC timestamp; nothing is deleted.

Recovery uses the ``sqlite3`` shell's ``.recover`` (Debian package ``sqlite3``), which reads
every page it still can; where no shell exists, a fallback copies table by table the rows
that can still be read. Imports only the standard library, so the diary server may use it
without the Team app's tables.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm")
#: How long the shell may take to recover a file before the fallback is used instead.
RECOVER_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Damage:
    """What was wrong with a database file and what was done about it."""

    path: Path
    reason: str
    moved_to: Path
    method: str
    recovered_rows: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "reason": self.reason,
            "moved_to": str(self.moved_to),
            "method": self.method,
            "recovered_rows": dict(self.recovered_rows),
        }


def diagnose(path: Path) -> str | None:
    """Why ``path`` cannot be used as it is, or None when it is sound (or does not exist yet).

    Opens the file read-only, so a damaged WAL is not folded into the main file before it
    is moved aside.
    """
    path = Path(path)
    if not path.exists():
        return None
    size = path.stat().st_size
    wal = Path(f"{path}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    if size == 0 and wal_size == 0:
        return "the file was empty (0 bytes)"
    if size > 0:
        with path.open("rb") as fh:
            if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return "the file does not start like a SQLite database (its header is damaged)"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"SQLite could not read it ({exc})"
    if rows != [("ok",)]:
        return f"SQLite's check found damage ({rows[0][0]})"
    return None


def recover_if_damaged(path: Path | str, now: datetime, shell: str | None = None) -> Damage | None:
    """If ``path`` is damaged, move it aside and put what can be recovered in its place.

    ``now`` (aware UTC, from the caller's clock) names the moved file. ``shell`` is the
    ``sqlite3`` program (default: found on PATH; ``""`` forces the table-by-table fallback).
    Returns None when the file was sound.
    """
    path = Path(path)
    reason = diagnose(path)
    if reason is None:
        return None
    moved = _move_aside(path, now)
    shell = shutil.which("sqlite3") if shell is None else shell
    with tempfile.TemporaryDirectory(prefix=".recovering-", dir=path.parent) as tmp:
        work = Path(tmp) / "damaged.sqlite3"
        target = Path(tmp) / "recovered.sqlite3"
        for suffix in ("", "-wal"):  # a copy: the moved-aside files stay exactly as found
            if Path(f"{moved}{suffix}").exists():
                shutil.copyfile(f"{moved}{suffix}", f"{work}{suffix}")
        if work.stat().st_size == 0 and not Path(f"{work}-wal").exists():
            method = "nothing to recover"
        else:
            _repair_magic(work)
            method = "sqlite3 .recover" if shell and _shell_recover(shell, work, target) else ""
            if not method:
                target.unlink(missing_ok=True)
                method = "table by table"
                _copy_readable_rows(work, target)
        counts = _row_counts(target) if target.exists() else None
        if counts is None:
            method = "nothing could be recovered"
            counts = {}
        else:
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
            shutil.copyfile(target, path)
    damage = Damage(path, reason, moved, method, counts)
    log.warning("database %s was damaged (%s); moved to %s; recovered %s", path, reason, moved, counts)
    return damage


def describe(damage: Damage, labels: dict[str, str]) -> str:
    """The plain words for the user: what happened, where the file is, what was kept.

    ``labels`` names the tables worth mentioning, e.g. ``{"capture_segment": "segments"}``.
    """
    counts = {table: damage.recovered_rows.get(table, 0) for table in labels}
    kept = [
        f"{n} {label[:-1] if n == 1 and label.endswith('s') else label}"
        for label, n in zip(labels.values(), counts.values(), strict=True)
    ]
    if damage.method in ("nothing to recover", "nothing could be recovered") or not any(
        damage.recovered_rows.get(t) for t in labels
    ):
        kept_text = "nothing could be recovered from it, so this starts empty"
    else:
        kept_text = "recovered " + ", ".join(kept)
    return f"The database was damaged: {damage.reason}. It was moved to {damage.moved_to}; {kept_text}."


# --- helpers ----------------------------------------------------------------------------


def _move_aside(path: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    dest = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    for suffix in ("", *SIDE_FILES):
        src = Path(f"{path}{suffix}")
        if src.exists():
            os.replace(src, f"{dest}{suffix}")
    return dest


def _repair_magic(work: Path) -> None:
    """Give a file whose first bytes are garbage a sane header, so recovery can read its pages.

    Only the 100-byte file header is rewritten (page size guessed from the defaults the
    programs use); the schema and rows on page 1 onwards are left as they were.
    """
    with work.open("r+b") as fh:
        header = fh.read(100)
        if len(header) < 100 or header[:16] == SQLITE_MAGIC:
            return
        size = work.stat().st_size
        page_size = struct.unpack(">H", header[16:18])[0]
        if page_size not in {512 << i for i in range(8)}:
            page_size = _guess_page_size(fh, size)
        fresh = bytearray(_template_header(page_size))
        fresh[28:32] = struct.pack(">I", max(1, size // page_size))
        fresh[32:40] = b"\x00" * 8  # no freelist: it cannot be trusted
        fh.seek(0)
        fh.write(bytes(fresh))


#: First byte of a b-tree page (interior/leaf, index/table): what page 2 usually starts with.
_BTREE_PAGE_TYPES = {2, 5, 10, 13}


def _guess_page_size(fh, size: int) -> int:
    """The page size of a file whose header is garbage: the first of the sizes the programs
    use (1 KiB for files made now, 4 KiB before) at which page 2 starts like a b-tree page."""
    for candidate in (1024, 4096, 512, 2048, 8192, 16384, 32768, 65536):
        if size < 2 * candidate or size % candidate:
            continue
        fh.seek(candidate)
        first = fh.read(1)
        if first and first[0] in _BTREE_PAGE_TYPES:
            return candidate
    return 4096


def _template_header(page_size: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "t.sqlite3"
        conn = sqlite3.connect(db)
        conn.execute(f"PRAGMA page_size = {int(page_size)}")
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
        return db.read_bytes()[:100]


def _shell_recover(shell: str, work: Path, target: Path) -> bool:
    try:
        dump = subprocess.run(
            [shell, "-batch", str(work), ".recover"],
            capture_output=True,
            timeout=RECOVER_TIMEOUT_SECONDS,
            check=False,
        )
        # The shell may report an error for a page it skipped and still print what it read:
        # the loaded result is judged by its own quick_check below.
        if not dump.stdout:
            log.warning("sqlite3 .recover failed: %s", dump.stderr.decode(errors="replace")[:500])
            return False
        load = subprocess.run(
            [shell, "-batch", str(target)],
            input=dump.stdout,
            capture_output=True,
            timeout=RECOVER_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("sqlite3 .recover could not run: %s", exc)
        return False
    if load.returncode != 0:
        log.warning("loading the recovered rows failed: %s", load.stderr.decode(errors="replace")[:500])
        return False
    return bool(_row_counts(target))  # (an old shell may recover nothing without saying so)


def _copy_readable_rows(work: Path, target: Path) -> None:
    """The fallback without the shell: schema and every row that can still be read."""
    try:
        src = sqlite3.connect(work)
        schema = src.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        log.warning("the schema cannot be read: %s", exc)
        return
    dst = sqlite3.connect(target)
    try:
        tables = [(name, sql) for kind, name, sql in schema if kind == "table"]
        for _name, sql in tables:
            dst.execute(sql)
        for name, _sql in tables:
            _copy_table(src, dst, name)
        for kind, _name, sql in schema:
            if kind in ("index", "trigger", "view"):
                try:
                    dst.execute(sql)
                except sqlite3.DatabaseError as exc:  # e.g. a unique index over damaged rows
                    log.warning("not recreated: %s (%s)", sql, exc)
        dst.commit()
    finally:
        dst.close()
        src.close()


def _copy_table(src: sqlite3.Connection, dst: sqlite3.Connection, name: str) -> None:
    quoted = '"' + name.replace('"', '""') + '"'
    last = None
    while True:
        where, args = ("WHERE rowid > ?", (last,)) if last is not None else ("", ())
        try:
            # (table names come from the file's own schema, quoted)
            for row in src.execute(f"SELECT rowid, * FROM {quoted} {where} ORDER BY rowid", args):  # noqa: S608
                last = row[0]
                marks = ",".join("?" * len(row))
                columns = _columns(src, name)
                dst.execute(f"INSERT OR IGNORE INTO {quoted} (rowid, {columns}) VALUES ({marks})", row)  # noqa: S608
            return
        except sqlite3.DatabaseError as exc:
            log.warning("rows of %s after rowid %s cannot be read: %s", name, last, exc)
            if last is None:
                return
            last += 1000  # skip past the damaged page and try what follows


def _columns(conn: sqlite3.Connection, table: str) -> str:
    quoted = '"' + table.replace('"', '""') + '"'
    return ",".join('"' + r[1].replace('"', '""') + '"' for r in conn.execute(f"PRAGMA table_info({quoted})"))


def _row_counts(db: Path) -> dict[str, int] | None:
    """Rows per table of a recovered file, or None if it is not usable."""
    try:
        conn = sqlite3.connect(db)
        try:
            if conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
                return None
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            counts = {}
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                counts[name] = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]  # noqa: S608
            if counts.get("lost_and_found") == 0:
                conn.execute("DROP TABLE lost_and_found")
                conn.commit()
                del counts["lost_and_found"]
            return counts
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
