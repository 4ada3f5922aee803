def apply(db):
    # Segments logged on another computer of the same account, copied from the diary's changes
    # feed so the Work Diary shows the whole week. remote = 1: this computer never pushes their
    # capture data (only the freelancer's memo/label edits made here) and has no snapshot file
    # of them. If this computer starts logging the same contract and 10 minutes, the sync
    # capture hook turns the row into this computer's own segment (new UUID): the diary keeps
    # the other computer's copy and marks the later one a duplicate.
    db.execute_sql("ALTER TABLE capture_segment ADD COLUMN remote INTEGER NOT NULL DEFAULT 0")
    # The diary's lock boundary and contract changes also come through the feed; they are kept
    # in app_state, so no table is needed for them.
