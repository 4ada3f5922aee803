def apply(db):
    # A per-segment summary of capture_minute, so the Work Diary's week grid, its totals and
    # the CSV export read one row per segment instead of SQLite aggregating ten minute rows
    # each (10,080 for a full week) on every request and every memo edit.
    #   active_minutes: minutes with any input (the activity level, 0..10)
    #   sum_keys, sum_clicks, sum_scrolls: the segment's summed counts
    for column in ("active_minutes", "sum_keys", "sum_clicks", "sum_scrolls"):
        db.execute_sql(f"ALTER TABLE capture_segment ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    # Kept equal to the minute rows by triggers, inside the transaction that writes them,
    # whoever writes them: the capture sink (insert or add to a minute), the sync pull's copy
    # of another computer's segment (delete and insert), the take-over of such a row by this
    # computer, a cascade from a deleted segment (then there is no row left to update).
    db.execute_sql(
        "CREATE TRIGGER capture_minute_summary_insert AFTER INSERT ON capture_minute BEGIN"
        " UPDATE capture_segment SET"
        "  active_minutes = active_minutes + (NEW.keys + NEW.clicks + NEW.scrolls > 0),"
        "  sum_keys = sum_keys + NEW.keys, sum_clicks = sum_clicks + NEW.clicks,"
        "  sum_scrolls = sum_scrolls + NEW.scrolls"
        " WHERE id = NEW.segment_id;"
        " END"
    )
    db.execute_sql(
        "CREATE TRIGGER capture_minute_summary_delete AFTER DELETE ON capture_minute BEGIN"
        " UPDATE capture_segment SET"
        "  active_minutes = active_minutes - (OLD.keys + OLD.clicks + OLD.scrolls > 0),"
        "  sum_keys = sum_keys - OLD.keys, sum_clicks = sum_clicks - OLD.clicks,"
        "  sum_scrolls = sum_scrolls - OLD.scrolls"
        " WHERE id = OLD.segment_id;"
        " END"
    )
    # An upsert that adds to an existing minute fires this one (not the insert trigger).
    db.execute_sql(
        "CREATE TRIGGER capture_minute_summary_update AFTER UPDATE OF segment_id, keys, clicks, scrolls"
        " ON capture_minute BEGIN"
        " UPDATE capture_segment SET"
        "  active_minutes = active_minutes - (OLD.keys + OLD.clicks + OLD.scrolls > 0),"
        "  sum_keys = sum_keys - OLD.keys, sum_clicks = sum_clicks - OLD.clicks,"
        "  sum_scrolls = sum_scrolls - OLD.scrolls"
        " WHERE id = OLD.segment_id;"
        " UPDATE capture_segment SET"
        "  active_minutes = active_minutes + (NEW.keys + NEW.clicks + NEW.scrolls > 0),"
        "  sum_keys = sum_keys + NEW.keys, sum_clicks = sum_clicks + NEW.clicks,"
        "  sum_scrolls = sum_scrolls + NEW.scrolls"
        " WHERE id = NEW.segment_id;"
        " END"
    )
    # Existing rows: filled once from their minutes.
    db.execute_sql(
        "UPDATE capture_segment SET (active_minutes, sum_keys, sum_clicks, sum_scrolls) = ("
        " SELECT COUNT(*) FILTER (WHERE m.keys + m.clicks + m.scrolls > 0),"
        "  COALESCE(SUM(m.keys), 0), COALESCE(SUM(m.clicks), 0), COALESCE(SUM(m.scrolls), 0)"
        " FROM capture_minute m WHERE m.segment_id = capture_segment.id)"
        " WHERE id IN (SELECT segment_id FROM capture_minute)"
    )
