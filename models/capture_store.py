"""The capture engine's SQLite sink: segment rows, per-minute counts and snapshot files.

Models sit on :data:`models.local.local_db` (bound by ``open_local_database``); the schema
is migration ``m0003_capture``. :class:`SqliteCaptureSink` implements the tracker's
``CaptureSink`` port.

Crash safety: each :meth:`SqliteCaptureSink.record` is one transaction (seconds, counts,
window info and snapshot rows together). Snapshot files are written first, to a temporary
name, fsynced and renamed, so a row never points at a missing or partial file; a crash
between file and row leaves an orphan that :meth:`SqliteCaptureSink.recover` moves aside.
Files are 0600 in 0700 directories.

Durability matches the database's: SQLite runs in WAL mode with ``synchronous=normal``
(commits survive a killed process, not necessarily a power cut), so snapshot files are not
fsynced by default either (``durable=True`` does, at ~4 ms a file). After a power cut a
row may point at a file that did not reach the disk; its size and sha256 are in the row,
so that is detectable.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import peewee

from core import rules
from core.capture import CAMERA_OFF, Counts, EncodedImage, SegmentState, SegmentUpdate, StorageFull
from dbkit.fields import UTCDateTimeField
from models.disk_reserve import DiskReserve, is_disk_full
from models.local import BaseModel, local_db

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "snapshots"
#: Where snapshot files that no row names are moved at start (never deleted).
ORPHAN_DIR = "snapshots-orphaned"


class CaptureSegment(BaseModel):
    # The minute summary of migration m0008 (active_minutes, sum_keys, sum_clicks, sum_scrolls)
    # is left out on purpose: triggers keep it, and a model field would let a save() of a
    # stale object write an old summary back. Readers select it with plain SQL.
    id = peewee.AutoField()  # the primary key peewee would add anyway, declared so type checkers see it
    uuid = peewee.CharField(unique=True)
    contract_id = peewee.IntegerField()
    start = UTCDateTimeField()
    logged_seconds = peewee.FloatField(default=0)
    logged_until = UTCDateTimeField()
    app_name = peewee.TextField(null=True)
    window_title = peewee.TextField(null=True)
    memo = peewee.TextField(null=True)
    label = peewee.TextField(null=True)
    manual = peewee.BooleanField(default=False)
    deleted_at = UTCDateTimeField(null=True)
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "capture_segment"


class CaptureMinute(BaseModel):
    segment = peewee.ForeignKeyField(CaptureSegment, column_name="segment_id", on_delete="CASCADE")
    minute = peewee.IntegerField()
    keys = peewee.IntegerField(default=0)
    clicks = peewee.IntegerField(default=0)
    scrolls = peewee.IntegerField(default=0)

    class Meta:
        table_name = "capture_minute"
        primary_key = peewee.CompositeKey("segment", "minute")


class CaptureImage(BaseModel):
    id = peewee.AutoField()  # the primary key peewee would add anyway, declared so type checkers see it
    uuid = peewee.CharField(unique=True)
    segment = peewee.ForeignKeyField(CaptureSegment, column_name="segment_id", on_delete="CASCADE")
    segment_id: int  # the raw column, an accessor peewee's ForeignKeyField adds (annotation only)
    kind = peewee.CharField()  # "screen" or "camera"
    taken_at = UTCDateTimeField()
    path = peewee.TextField(null=True)  # relative to the data dir
    thumb_path = peewee.TextField(null=True)
    mime = peewee.CharField(null=True)
    size_bytes = peewee.IntegerField(null=True)
    width = peewee.IntegerField(null=True)
    height = peewee.IntegerField(null=True)
    sha256 = peewee.CharField(null=True)
    status = peewee.TextField()
    deleted_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "capture_image"


#: Called inside the write transaction with the update, the segment row id and the ids of
#: the image rows it created, so another module (the sync outbox) can add its rows atomically.
InTransactionHook = Callable[[SegmentUpdate, int, list[int]], None]


def _write_private(path: Path, data: bytes, durable: bool) -> None:
    """Write ``data`` to ``path`` as 0600 via a temp file + rename, so the final name is
    never a partial file (fsynced first if ``durable``)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a half-written file on a full disk takes the space a retry needs
        raise


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


class SqliteCaptureSink:
    """Stores capture results in the local cache and snapshot files under ``data_dir``."""

    def __init__(
        self,
        data_dir: Path | str,
        in_transaction: InTransactionHook | None = None,
        durable: bool = False,
        reserve: DiskReserve | None = None,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._hook = in_transaction
        self._after_commit = after_commit
        self._durable = durable
        self._dirs_made: set[Path] = set()
        self.reserve = reserve if reserve is not None else DiskReserve(self.data_dir)
        self._reserve_checked = False
        self._on_reserve = False

    # --- CaptureSink port ---------------------------------------------------------------

    def segment_state(self, contract_id: int, segment: datetime) -> SegmentState | None:
        seg = CaptureSegment.get_or_none(
            (CaptureSegment.contract_id == contract_id) & (CaptureSegment.start == segment)
        )
        if seg is None:
            return None
        minutes = [Counts() for _ in range(rules.MINUTES_PER_SEGMENT)]
        for row in CaptureMinute.select().where(CaptureMinute.segment == seg.id):
            minutes[row.minute] = Counts(row.keys, row.clicks, row.scrolls)
        has_snapshot = (
            CaptureImage.select().where((CaptureImage.segment == seg.id) & (CaptureImage.kind == "screen")).exists()
        )
        return SegmentState(seg.logged_seconds, has_snapshot, tuple(minutes))

    def logged_until(self) -> datetime | None:
        value = CaptureSegment.select(peewee.fn.MAX(CaptureSegment.logged_until)).scalar()
        return CaptureSegment.logged_until.python_value(value)

    def low_space(self) -> str | None:
        """The data dir while its disk is full and writes go into the released reserve."""
        return str(self.data_dir) if self._on_reserve else None

    def record(self, update: SegmentUpdate) -> int | None:
        """Apply one update in one transaction; returns the screen image row id if the
        update carried a snapshot.

        On a full disk the reserve is released and the write tried once more; if that fails
        too (or there was no reserve), :class:`~tracker.ports.StorageFull` says so, and
        nothing of the update is left behind (the caller keeps it and retries)."""
        if not self._reserve_checked:
            self._reserve_checked = True
            self.reserve.ensure()
        try:
            result = self._write(update)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            if not self.reserve.release():
                raise StorageFull(str(self.data_dir)) from exc
            self._on_reserve = True
            try:
                result = self._write(update)
            except Exception as again:
                if is_disk_full(again):
                    raise StorageFull(str(self.data_dir)) from again
                raise
        if self._on_reserve and self.reserve.ensure():
            log.info("the disk of %s has room again: the reserve is back", self.data_dir)
            self._on_reserve = False
        if self._after_commit is not None:  # committed: whoever reads it now sees it
            self._after_commit()
        return result

    def _write(self, update: SegmentUpdate) -> int | None:
        written: list[Path] = []
        try:
            return self._write_files_and_rows(update, written)
        except BaseException:
            for path in written:  # the rows did not commit: these files are nobody's
                path.unlink(missing_ok=True)
            raise

    def _write_files_and_rows(self, update: SegmentUpdate, written: list[Path]) -> int | None:
        files: list[tuple[str, EncodedImage | None, str, Path | None, Path | None]] = []
        snap = update.snapshot
        if snap is not None:
            day_dir = self.data_dir / SNAPSHOT_DIR / rules.to_utc(snap.taken_at).strftime("%Y-%m-%d")
            for kind, image, status in (
                ("screen", snap.screen, snap.screen_status),
                ("camera", snap.camera, snap.camera_status),
            ):
                if kind == "camera" and image is None and status == CAMERA_OFF:
                    continue  # camera off: nothing to record
                if image is None:  # a failed attempt: a row with the reason, no file
                    files.append((kind, None, status, None, None))
                    continue
                if day_dir not in self._dirs_made:
                    _private_dir(self.data_dir)
                    _private_dir(self.data_dir / SNAPSHOT_DIR)
                    _private_dir(day_dir)
                    self._dirs_made.add(day_dir)
                name = uuid.uuid4().hex
                ext = ".png" if image.mime == "image/png" else ".jpg"
                full = day_dir / f"{name}{ext}"
                thumb = day_dir / f"{name}.thumb.jpg"
                _write_private(full, image.data, self._durable)
                written.append(full)
                _write_private(thumb, image.thumbnail, self._durable)
                written.append(thumb)
                files.append((kind, image, status, full, thumb))
            dir_fd = os.open(day_dir, os.O_RDONLY) if self._durable and day_dir.exists() else None
            if dir_fd is not None:  # make the renames durable before the row says they exist
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)

        ts = CaptureSegment.start.db_value
        now = ts(datetime.now(UTC))  # bookkeeping only (updated_at), not capture logic
        # Hand-written SQL: this runs every minute, and peewee's query building cost more
        # than SQLite itself (~6 ms of the ~10 ms a write took).
        with local_db.atomic():
            segment_id = local_db.execute_sql(
                "INSERT INTO capture_segment (uuid, contract_id, start, logged_seconds, logged_until, updated_at)"
                " VALUES (?, ?, ?, MIN(?, ?), ?, ?)"
                " ON CONFLICT (contract_id, start) DO UPDATE SET"
                "  logged_seconds = MAX(0, MIN(?, capture_segment.logged_seconds + excluded.logged_seconds)),"
                "  logged_until = MAX(capture_segment.logged_until, excluded.logged_until),"
                "  updated_at = excluded.updated_at"
                " RETURNING id",
                (
                    str(uuid.uuid4()),
                    update.contract_id,
                    ts(update.segment),
                    rules.SEGMENT_SECONDS,
                    max(0.0, update.add_seconds),
                    ts(update.logged_until),
                    now,
                    rules.SEGMENT_SECONDS,
                ),
            ).fetchone()[0]
            if snap is not None:
                local_db.execute_sql(
                    "UPDATE capture_segment SET app_name = ?, window_title = ? WHERE id = ?",
                    (snap.app, snap.title, segment_id),
                )
            if update.minute_counts:
                local_db.cursor().executemany(
                    "INSERT INTO capture_minute (segment_id, minute, keys, clicks, scrolls) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (segment_id, minute) DO UPDATE SET keys = keys + excluded.keys,"
                    " clicks = clicks + excluded.clicks, scrolls = scrolls + excluded.scrolls",
                    [
                        (segment_id, minute, c.keys, c.clicks, c.scrolls)
                        for minute, c in sorted(update.minute_counts.items())
                    ],
                )
            image_ids: list[int] = []
            screen_id = None
            for kind, image, status, full_path, thumb_path in files:
                assert snap is not None  # files are only collected from a snapshot
                image_id = local_db.execute_sql(
                    "INSERT INTO capture_image (uuid, segment_id, kind, taken_at, path, thumb_path, mime,"
                    " size_bytes, width, height, sha256, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING id",
                    (
                        str(uuid.uuid4()),
                        segment_id,
                        kind,
                        ts(snap.taken_at),
                        str(full_path.relative_to(self.data_dir)) if full_path else None,
                        str(thumb_path.relative_to(self.data_dir)) if thumb_path else None,
                        image.mime if image else None,
                        len(image.data) if image else None,
                        image.width if image else None,
                        image.height if image else None,
                        image.sha256 if image else None,
                        status,
                    ),
                ).fetchone()[0]
                image_ids.append(image_id)
                if kind == "screen":
                    screen_id = image_id
            if self._hook is not None:
                self._hook(update, segment_id, image_ids)
        return screen_id

    def release_thread(self) -> None:
        """Close the calling thread's connection (peewee keeps one per thread); the loop
        calls this when its thread ends."""
        if not local_db.is_closed():
            local_db.close()

    # --- maintenance --------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """Move snapshot files no row refers to out of ``snapshots/``; returns where they were.

        Call at start-up, before logging. A crash between writing a file and committing its row
        leaves such a file, but so does a database that was lost or replaced while the files
        stayed: those are the user's snapshots, so nothing is deleted. They go to
        ``snapshots-orphaned/<UTC time>/`` with their folders, where the user (or a later
        import) can find them; :attr:`orphans_moved_to` says where, and
        :attr:`database_looks_new` flags the lost-database case."""
        self.orphans_moved_to: Path | None = None
        self.database_looks_new = False
        root = self.data_dir / SNAPSHOT_DIR
        if not root.exists():
            return []
        known: set[str] = set()
        # peewee's stubs keep the model as the row type after .tuples(): say what the rows are
        rows = cast(
            "Iterable[tuple[str | None, str | None]]",
            CaptureImage.select(CaptureImage.path, CaptureImage.thumb_path).tuples(),
        )
        for path, thumb in rows:
            known.update(p for p in (path, thumb) if p)
        orphans = [f for f in root.rglob("*") if f.is_file() and str(f.relative_to(self.data_dir)) not in known]
        if not orphans:
            return []
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")  # a folder name, decides nothing
        target = self.data_dir / ORPHAN_DIR / stamp
        for file in orphans:
            dest = target / file.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(file, dest)
        self.orphans_moved_to = target
        self.database_looks_new = not known and len(orphans) > 1
        return orphans

    def image_path(self, image: CaptureImage, thumbnail: bool = False) -> Path | None:
        rel = image.thumb_path if thumbnail else image.path
        return self.data_dir / rel if rel else None
