"""Segments, snapshots (metadata + content by hash) and the changes feed of the sync protocol."""

import peewee


def apply(db):
    class User(peewee.Model):
        class Meta:
            database = db
            table_name = "users"

    class Contract(peewee.Model):
        class Meta:
            database = db
            table_name = "contracts"

    class DiarySegment(peewee.Model):
        uuid = peewee.CharField(max_length=36, unique=True)
        contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
        start = peewee.DateTimeField()
        version = peewee.IntegerField()
        logged_seconds = peewee.FloatField()
        minutes = peewee.TextField()
        app_name = peewee.TextField(null=True)
        window_title = peewee.TextField(null=True)
        manual = peewee.BooleanField(default=False)
        memo = peewee.TextField(null=True)
        memo_edited_at = peewee.DateTimeField(null=True)
        label = peewee.CharField(max_length=60, null=True)
        label_edited_at = peewee.DateTimeField(null=True)
        deleted_at = peewee.DateTimeField(null=True)
        billed = peewee.BooleanField()
        duplicate_of = peewee.CharField(max_length=36, null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "diary_segments"
            indexes = ((("contract", "start"), False),)

    class DiaryBlob(peewee.Model):
        sha256 = peewee.CharField(max_length=64, primary_key=True)
        data = peewee.BlobField()
        size_bytes = peewee.IntegerField()

        class Meta:
            database = db
            table_name = "diary_blobs"

    class DiarySnapshot(peewee.Model):
        uuid = peewee.CharField(max_length=36, unique=True)
        segment = peewee.ForeignKeyField(DiarySegment, on_delete="CASCADE")
        kind = peewee.CharField(max_length=10, constraints=[peewee.Check("kind IN ('screen', 'camera')")])
        taken_at = peewee.DateTimeField(null=True)
        mime = peewee.CharField(max_length=40, null=True)
        size_bytes = peewee.IntegerField(null=True)
        width = peewee.IntegerField(null=True)
        height = peewee.IntegerField(null=True)
        sha256 = peewee.CharField(max_length=64, null=True, index=True)
        deleted_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "diary_snapshots"

    class DiaryChange(peewee.Model):
        id = peewee.BigAutoField()
        contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
        entity = peewee.CharField(max_length=10)
        uuid = peewee.CharField(max_length=36)

        class Meta:
            database = db
            table_name = "diary_changes"
            indexes = ((("contract", "id"), False),)

    db.create_tables([DiarySegment, DiaryBlob, DiarySnapshot, DiaryChange])
    # One billed segment per contract and 10 minutes: a second computer's copy is stored
    # unbilled (duplicate_of says which one is billed). Partial index on both databases.
    db.execute_sql(
        "CREATE UNIQUE INDEX diary_segments_one_billed ON diary_segments (contract_id, start) WHERE billed"
        if isinstance(db, peewee.PostgresqlDatabase)
        else "CREATE UNIQUE INDEX diary_segments_one_billed ON diary_segments (contract_id, start) WHERE billed = 1"
    )
