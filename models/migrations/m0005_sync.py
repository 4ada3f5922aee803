def apply(db):
    # Sync: a version bumped by every capture write (the higher one wins on the diary), edit
    # times of memo and label (the later edit wins), and the diary's word on duplicates
    # (another computer logged the same contract and 10 minutes first: not billed).
    db.execute_sql("ALTER TABLE capture_segment ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
    db.execute_sql("ALTER TABLE capture_segment ADD COLUMN memo_edited_at DATETIME")
    db.execute_sql("ALTER TABLE capture_segment ADD COLUMN label_edited_at DATETIME")
    db.execute_sql("ALTER TABLE capture_segment ADD COLUMN duplicate_of VARCHAR(36)")
    # The outbox: one row per segment or snapshot the diary has not acknowledged yet, written
    # in the same transaction as the change. seq grows with every change, so an upload that
    # raced a newer change does not clear the row. state 'attention' = refused, with reason.
    db.execute_sql(
        "CREATE TABLE sync_outbox ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " kind VARCHAR(10) NOT NULL CHECK (kind IN ('segment', 'snapshot')),"
        " uuid VARCHAR(36) NOT NULL,"
        " local_id INTEGER NOT NULL,"
        " seq INTEGER NOT NULL DEFAULT 1,"
        " not_before DATETIME,"
        " next_attempt_at DATETIME,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " state VARCHAR(10) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'attention')),"
        " error_code TEXT,"
        " error TEXT,"
        " created_at DATETIME NOT NULL,"
        " UNIQUE (kind, uuid))"
    )
    db.execute_sql("CREATE INDEX sync_outbox_due ON sync_outbox (state, kind, id)")
