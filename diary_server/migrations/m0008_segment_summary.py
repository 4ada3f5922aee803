"""A per-segment summary of its per-minute counts, stored beside the ``minutes`` JSON.

The Work Diary's week grid, its totals and the CSV export need each segment's activity
level and summed counts, not its ten minutes: reading and parsing 1,008 JSON texts per view
(and per edit answer) was most of the diary server's week page. The sync service writes the
summary with the minutes (``rules.minute_summary``), as the Team app's cache keeps its own
(local migration m0008). Existing rows are filled once here, in Python, so the same
migration runs on SQLite and PostgreSQL.
"""

import json

from core.rules import minute_summary

_COLUMNS = ("active_minutes", "sum_keys", "sum_clicks", "sum_scrolls")


def apply(db):
    for column in _COLUMNS:
        db.execute_sql(f"ALTER TABLE diary_segments ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    p = db.param
    sql = f"UPDATE diary_segments SET {', '.join(f'{c} = {p}' for c in _COLUMNS)} WHERE id = {p}"  # noqa: S608
    last = 0
    while True:
        rows = db.execute_sql(
            f"SELECT id, minutes FROM diary_segments WHERE id > {p} ORDER BY id LIMIT 1000",  # noqa: S608
            (last,),
        ).fetchall()
        if not rows:
            return
        cursor = db.cursor()
        cursor.executemany(sql, [(*minute_summary(json.loads(raw or "[]")), seg_id) for seg_id, raw in rows])
        last = rows[-1][0]
