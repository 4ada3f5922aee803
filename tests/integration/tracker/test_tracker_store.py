"""The SQLite sink: schema, one-transaction writes, file permissions, recovery."""

import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from models.capture_store import CaptureImage, CaptureMinute, CaptureSegment, SqliteCaptureSink
from models.local import open_local_database
from tracker import imaging
from tracker.ports import Counts, SegmentUpdate, SnapshotRecord

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def sink(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    yield SqliteCaptureSink(tmp_path / "data")
    db.close()


def snapshot(at, camera=True, camera_status="OK"):
    img = imaging.encode(Image.new("RGB", (64, 36), (1, 2, 3)))
    return SnapshotRecord(at, img, "OK", img if camera else None, camera_status, "XTerm", "vim notes.txt")


def test_updates_accumulate_in_one_segment_row(sink):
    sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=1), {0: Counts(3, 1, 0)}))
    sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=2), {0: Counts(1, 0, 2), 1: Counts(5, 0, 0)}))
    state = sink.segment_state(1, T0)
    assert state.logged_seconds == 120 and not state.has_snapshot
    assert state.minute_counts[0] == Counts(4, 1, 2) and state.minute_counts[1] == Counts(5, 0, 0)
    assert sink.logged_until() == T0 + timedelta(minutes=2)
    assert sink.segment_state(2, T0) is None
    assert CaptureSegment.get().start == T0  # aware UTC round trip


def test_seconds_never_exceed_600(sink):
    for i in range(12):
        sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=i + 1)))
    assert sink.segment_state(1, T0).logged_seconds == 600


def test_snapshot_files_are_private_and_described_in_the_row(sink, tmp_path):
    shot_id = sink.record(SegmentUpdate(1, T0, 30, T0 + timedelta(seconds=30), {}, snapshot(T0)))
    row = CaptureImage.get_by_id(shot_id)
    assert row.kind == "screen" and row.width == 64 and row.height == 36
    path = sink.image_path(row)
    data = path.read_bytes()
    assert len(data) == row.size_bytes and imaging.hashlib.sha256(data).hexdigest() == row.sha256
    assert sink.image_path(row, thumbnail=True).exists()
    for p in (path, sink.image_path(row, thumbnail=True)):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    for d in (tmp_path / "data", tmp_path / "data" / "snapshots", path.parent):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    seg = CaptureSegment.get()
    assert (seg.app_name, seg.window_title) == ("XTerm", "vim notes.txt")
    assert seg.memo is None and seg.label is None  # room for the memo feature
    assert CaptureImage.select().where(CaptureImage.kind == "camera").count() == 1
    assert sink.segment_state(1, T0).has_snapshot


def test_a_missing_camera_is_recorded_as_a_status_and_camera_off_not_at_all(sink):
    sink.record(SegmentUpdate(1, T0, 30, T0 + timedelta(seconds=30), {}, snapshot(T0, False, "no camera found")))
    cam = CaptureImage.get(CaptureImage.kind == "camera")
    assert cam.path is None and cam.status == "no camera found"
    from tracker.snapshot import CAMERA_OFF

    t1 = T0 + timedelta(minutes=10)
    sink.record(SegmentUpdate(1, t1, 30, t1 + timedelta(seconds=30), {}, snapshot(t1, False, CAMERA_OFF)))
    assert CaptureImage.select().where(CaptureImage.kind == "camera").count() == 1


def test_a_failing_write_changes_nothing(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")

    def explode(update, seg, images):
        raise RuntimeError("outbox full")

    sink = SqliteCaptureSink(tmp_path / "data", in_transaction=explode)
    with pytest.raises(RuntimeError):
        sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=1), {0: Counts(1, 0, 0)}, snapshot(T0)))
    assert CaptureSegment.select().count() == 0 and CaptureMinute.select().count() == 0
    assert CaptureImage.select().count() == 0
    # the image files written before the failed transaction go with it
    assert not [p for p in (tmp_path / "data" / "snapshots").rglob("*") if p.is_file()]
    assert sink.recover() == []
    db.close()


def test_recover_keeps_referenced_files(sink):
    shot_id = sink.record(SegmentUpdate(1, T0, 30, T0 + timedelta(seconds=30), {}, snapshot(T0)))
    (sink.data_dir / "snapshots" / "2026-03-04" / "junk.jpg.tmp").write_bytes(b"partial")
    removed = sink.recover()
    assert [p.name for p in removed] == ["junk.jpg.tmp"]
    assert sink.image_path(CaptureImage.get_by_id(shot_id)).exists()


def test_a_full_disk_goes_into_the_reserve_then_says_so_and_leaves_nothing_half_written(tmp_path):
    from models.disk_reserve import DiskReserve
    from tests.support.small_disk import fill, small_disk
    from tracker.ports import StorageFull

    with small_disk(tmp_path / "disk", 6) as disk:
        db = open_local_database(disk / "cache.sqlite3")
        try:
            sink = SqliteCaptureSink(disk / "data", reserve=DiskReserve(disk / "data", 1024 * 1024))
            sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=1), {0: Counts(1, 0, 0)}))
            assert sink.reserve.held() and sink.low_space() is None
            filler = fill(disk)
            # The disk is full: this write (with a snapshot) goes into the released reserve.
            big = imaging.encode(Image.effect_noise((400, 300), 90).convert("RGB"))
            shot = SnapshotRecord(T0 + timedelta(minutes=2), big, "OK", None, "off", "XTerm", "t")
            sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=2), {1: Counts(2, 0, 0)}, shot))
            assert not sink.reserve.held() and sink.low_space() == str(disk / "data")
            fill(disk, "filler-2.bin")
            files_before = sorted(p.name for p in (disk / "data").rglob("*"))
            with pytest.raises(StorageFull) as caught:
                sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=3), {2: Counts(3, 0, 0)}, shot))
            assert caught.value.directory == str(disk / "data")
            assert sorted(p.name for p in (disk / "data").rglob("*")) == files_before  # no partial files
            state = sink.segment_state(1, T0)
            assert state.logged_seconds == 120 and state.has_snapshot  # the failed write left nothing
            # Space comes back: the same write goes through and the reserve is made again.
            filler.unlink()
            (disk / "filler-2.bin").unlink()
            sink.record(SegmentUpdate(1, T0, 60, T0 + timedelta(minutes=3), {2: Counts(3, 0, 0)}))
            assert sink.reserve.held() and sink.low_space() is None
            assert sink.segment_state(1, T0).logged_seconds == 180
        finally:
            db.close()
