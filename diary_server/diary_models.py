"""Peewee models of the Work Diary's logged time: segments, snapshots and the changes feed.

Built by migrations ``m0004_sync``, ``m0007_feed_origin`` and ``m0008_segment_summary``; on the
same :data:`diary_server.models.diary_db` proxy.
Times are aware UTC (:class:`dbkit.fields.UTCDateTimeField`), like every stored time of both programs.
"""

from __future__ import annotations

import peewee

from dbkit.fields import UTCDateTimeField
from diary_server.models import BaseModel, Contract


class DiarySegment(BaseModel):
    """One 10-minute segment as a Team app uploaded it, keyed by the app's UUID."""

    uuid = peewee.CharField(max_length=36, unique=True)
    contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
    start = UTCDateTimeField()
    version = peewee.IntegerField()
    logged_seconds = peewee.FloatField()
    minutes = peewee.TextField()  # JSON: ten [keys, clicks, scrolls]
    # Their summary (m0008, written with them by the sync service): minutes with input, sums.
    active_minutes = peewee.IntegerField(default=0)
    sum_keys = peewee.IntegerField(default=0)
    sum_clicks = peewee.IntegerField(default=0)
    sum_scrolls = peewee.IntegerField(default=0)
    app_name = peewee.TextField(null=True)
    window_title = peewee.TextField(null=True)
    manual = peewee.BooleanField(default=False)
    memo = peewee.TextField(null=True)
    memo_edited_at = UTCDateTimeField(null=True)
    label = peewee.CharField(max_length=60, null=True)
    label_edited_at = UTCDateTimeField(null=True)
    deleted_at = UTCDateTimeField(null=True)
    billed = peewee.BooleanField()
    duplicate_of = peewee.CharField(max_length=36, null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "diary_segments"


class DiaryBlob(BaseModel):
    """Snapshot content, stored once per SHA-256 (in the database, so every machine sees it)."""

    sha256 = peewee.CharField(max_length=64, primary_key=True)
    data = peewee.BlobField()
    size_bytes = peewee.IntegerField()

    class Meta:
        table_name = "diary_blobs"


class DiarySnapshot(BaseModel):
    uuid = peewee.CharField(max_length=36, unique=True)
    segment = peewee.ForeignKeyField(DiarySegment, on_delete="CASCADE")
    kind = peewee.CharField(max_length=10)
    taken_at = UTCDateTimeField(null=True)
    mime = peewee.CharField(max_length=40, null=True)
    size_bytes = peewee.IntegerField(null=True)
    width = peewee.IntegerField(null=True)
    height = peewee.IntegerField(null=True)
    sha256 = peewee.CharField(max_length=64, null=True)
    deleted_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "diary_snapshots"


class DiaryChange(BaseModel):
    """The changes feed: one row per write of a segment, snapshot or contract; ``id`` is the
    cursor. ``origin`` names the API session that wrote it (m0007; NULL for writes made on
    the diary's pages or by triggers), so a pull can leave out the caller's own writes."""

    id = peewee.BigAutoField()
    contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
    entity = peewee.CharField(max_length=10)  # "segment", "snapshot" or "contract"
    uuid = peewee.CharField(max_length=36)
    origin = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "diary_changes"
