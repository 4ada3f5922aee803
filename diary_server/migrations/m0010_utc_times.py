"""Every stored time in one form, read and written as aware UTC (``dbkit.fields.UTCDateTimeField``).

PostgreSQL: the columns become ``timestamp with time zone``; the naive values they held were
UTC, so each is read ``AT TIME ZONE 'UTC'``. Compared with aware parameters, they no longer
depend on the session's time zone.

SQLite: the text becomes fixed width, ``YYYY-MM-DD HH:MM:SS.ffffff`` (the Team app's cache
already stores that). Until now a whole second was written without its ``.000000``, so the
same instant could be stored as two different texts, which compare unequal; after this
migration one instant has one text, and text order stays time order. Any other form (an
offset, a ``T``) is parsed and rewritten as UTC.
"""

from datetime import UTC, datetime

import peewee

#: The time columns of m0001-m0009, frozen here (the models may change later).
COLUMNS = {
    "users": ("created_at",),
    "api_tokens": ("created_at", "last_used_at"),
    "web_sessions": ("created_at", "last_used_at"),
    "contracts": ("created_at", "updated_at", "ended_at"),
    "contract_rates": ("effective_from",),
    "diary_segments": ("start", "memo_edited_at", "label_edited_at", "deleted_at", "created_at", "updated_at"),
    "diary_snapshots": ("taken_at", "deleted_at", "created_at"),
}
_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def apply(db):
    if isinstance(db, peewee.PostgresqlDatabase):
        for table, columns in COLUMNS.items():
            changes = ", ".join(
                f"ALTER COLUMN {c} TYPE TIMESTAMP WITH TIME ZONE USING {c} AT TIME ZONE 'UTC'" for c in columns
            )
            db.execute_sql(f"ALTER TABLE {table} {changes}")
        return
    for table, columns in COLUMNS.items():
        for c in columns:
            # The common case in one statement: a whole second written without microseconds.
            db.execute_sql(
                f"UPDATE {table} SET {c} = {c} || '.000000' WHERE length({c}) = 19 AND substr({c}, 11, 1) = ' '"  # noqa: S608
            )
            odd = db.execute_sql(
                f"SELECT rowid, {c} FROM {table} WHERE {c} IS NOT NULL"  # noqa: S608
                f" AND (length({c}) != 26 OR substr({c}, 11, 1) != ' ')"
            ).fetchall()
            fixed = [(_canonical(value), rowid) for rowid, value in odd]
            db.cursor().executemany(f"UPDATE {table} SET {c} = ? WHERE rowid = ?", fixed)  # noqa: S608


def _canonical(value) -> str:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    # A naive text was UTC already; an offset is moved to UTC (the format writes no offset).
    return (parsed if parsed.tzinfo is None else parsed.astimezone(UTC)).strftime(_FORMAT)
