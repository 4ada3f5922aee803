"""A Team app's sync side without its UI, for the subprocess tests and bench/sync.py: a local
cache in a directory, the capture sink with the outbox hook, and a worker. Not used by the app."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import datetime, timedelta
from pathlib import Path

from models.capture_store import SqliteCaptureSink
from models.local import Account, local_db, open_local_database
from sync.credentials import FileTokenStore
from sync.diary_client import DiaryClient
from sync.outbox import capture_hook
from sync.worker import SyncWorker


def encoded_png(seed: int, size: tuple[int, int] = (160, 100), noise_bytes: int = 0):
    """A real PNG (optionally padded with random pixels to about ``noise_bytes``)."""
    from PIL import Image

    from tracker.ports import EncodedImage

    rng = random.Random(seed)
    if noise_bytes:
        side = int((noise_bytes / 3) ** 0.5) + 1
        img = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    else:
        img = Image.new("RGB", size, (seed % 256, (seed * 7) % 256, 90))
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=1)
    data = out.getvalue()
    return EncodedImage(data, data, img.width, img.height, hashlib.sha256(data).hexdigest(), "image/png")


class SyncBed:
    def __init__(self, data_dir: Path, diary_url: str, token: str, user: dict, clock, transport=None):
        self.data_dir = Path(data_dir)
        self.db = open_local_database(self.data_dir / "teamapp.sqlite3")
        self.tokens = FileTokenStore(self.data_dir / "diary-token.json")
        self.tokens.set(diary_url, token)
        with local_db.atomic():
            Account.delete().execute()
            Account.create(
                diary_url=diary_url,
                user_id=user["id"],
                email=user["email"],
                name=user["name"],
                role=user["role"],
                signed_in_at=clock.now(),
            )
        self.sink = SqliteCaptureSink(self.data_dir, in_transaction=capture_hook(lambda: 0))
        self.transport = transport
        self.worker = SyncWorker(
            client_factory=lambda url, token=None: DiaryClient(url, token, transport=self.transport),
            token_store=self.tokens,
            clock=clock,
            data_dir=self.data_dir,
            rng=random.Random(1),
        )

    def activate(self) -> None:
        """Bind the (process-wide) local cache proxy to this testbed's database."""
        local_db.initialize(self.db)

    def log_segment(self, contract_id: int, start: datetime, snapshot_seed: int | None = None, noise_bytes: int = 0):
        from tracker.ports import Counts, SegmentUpdate, SnapshotRecord
        from tracker.snapshot import CAMERA_OFF

        snap = None
        if snapshot_seed is not None:
            image = encoded_png(snapshot_seed, noise_bytes=noise_bytes)
            snap = SnapshotRecord(start + timedelta(minutes=5), image, "OK", None, CAMERA_OFF, "xterm", "vim")
        self.sink.record(
            SegmentUpdate(
                contract_id,
                start,
                600.0,
                start + timedelta(minutes=10),
                {m: Counts(3, 1, 0) for m in range(10)},
                snap,
            )
        )
