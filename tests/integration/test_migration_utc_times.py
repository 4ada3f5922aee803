"""m0010: the diary's stored times become one form (timestamptz on PostgreSQL, fixed-width text
on SQLite), and rows written before it read, compare and sort as aware UTC instants."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from dbkit.database import is_postgres, open_database
from dbkit.fields import from_db, to_db
from dbkit.migrate import migrate
from diary_server.diary_models import DiarySegment
from diary_server.factory import diary_migrations
from diary_server.models import Contract, User

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _old_rows(db) -> None:
    """Rows as the diary wrote them before m0010: naive UTC, whole seconds without microseconds."""
    p = db.param
    db.execute_sql(
        "INSERT INTO users (email, name, role, password_hash, created_at)"  # noqa: S608
        f" VALUES ('f@b.co', 'F', 'freelancer', 'x', {p}), ('c@b.co', 'C', 'client', 'x', {p})",
        ("2026-11-20 08:00:00", "2026-11-20 08:00:00.250000"),
    )
    db.execute_sql(
        "INSERT INTO contracts (client_id, freelancer_id, title, currency, manual_time_allowed, status,"
        " created_at, updated_at) VALUES (2, 1, 'Site', 'USD', FALSE, 'active', '2026-11-20 08:00:00',"
        " '2026-11-20 08:00:00')"
    )
    minutes = json.dumps([[0, 0, 0]] * 10)
    for uid, start, memo_at in (
        ("00000000-0000-4000-8000-000000000002", "2026-11-23 09:10:00", "2026-11-23 09:15:00.500000"),
        ("00000000-0000-4000-8000-000000000001", "2026-11-23 09:00:00", None),
    ):
        db.execute_sql(
            "INSERT INTO diary_segments (uuid, contract_id, start, version, logged_seconds, minutes, manual,"  # noqa: S608
            f" memo_edited_at, billed, created_at, updated_at) VALUES ({p}, 1, {p}, 1, 600, {p}, FALSE, {p}, TRUE,"
            f" {p}, {p})",
            (uid, start, minutes, memo_at, start, start),
        )


def test_old_rows_read_compare_and_sort_as_aware_utc(diary_database_url):
    migrations = diary_migrations()
    db = open_database(diary_database_url)
    try:
        if is_postgres(db):  # the session's zone must not matter, neither to m0010 nor to reads
            db.execute_sql("SET TIME ZONE 'Asia/Kolkata'")
        migrate(db, migrations, target=9)
        _old_rows(db)
        assert migrate(db, migrations) == len(migrations)
        with db.bind_ctx([User, Contract, DiarySegment]):
            segments = list(DiarySegment.select().order_by(DiarySegment.start))
            assert [s.start for s in segments] == [MONDAY, MONDAY + timedelta(minutes=10)]
            assert all(s.start.tzinfo is UTC for s in segments)
            assert segments[1].memo_edited_at == MONDAY + timedelta(minutes=15, microseconds=500_000)
            assert segments[0].memo_edited_at is None
            # Equality with an old row (the partial unique index and the upsert look up by start).
            assert DiarySegment.get(DiarySegment.start == MONDAY).uuid.endswith("1")
            assert DiarySegment.select().where(DiarySegment.start >= MONDAY + timedelta(minutes=5)).count() == 1
            assert [u.created_at for u in User.select().order_by(User.id)] == [
                datetime(2026, 11, 20, 8, tzinfo=UTC),
                datetime(2026, 11, 20, 8, 0, 0, 250_000, tzinfo=UTC),
            ]
        # Plain SQL with the same parameters finds the same row.
        p = db.param
        row = db.execute_sql(
            f"SELECT start FROM diary_segments WHERE start = {p}",  # noqa: S608
            (to_db(MONDAY, is_postgres(db)),),
        ).fetchone()
        assert from_db(row[0]) == MONDAY
        if is_postgres(db):
            types = db.execute_sql(
                "SELECT DISTINCT data_type FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND column_name IN ('start', 'created_at', 'deleted_at')"
            ).fetchall()
            assert types == [("timestamp with time zone",)]
            assert db.execute_sql("SHOW TIME ZONE").fetchone() == ("Asia/Kolkata",)
        else:
            texts = [r[0] for r in db.execute_sql("SELECT start FROM diary_segments ORDER BY start").fetchall()]
            assert texts == ["2026-11-23 09:00:00.000000", "2026-11-23 09:10:00.000000"]
    finally:
        db.close()


def test_sqlite_rewrites_any_other_form_as_utc(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    migrations = diary_migrations()
    migrate(db, migrations, target=9)
    db.execute_sql(
        "INSERT INTO users (email, name, role, password_hash, created_at) VALUES"
        " ('a@b.co', 'A', 'client', 'x', '2026-11-20T09:00:00+01:00')"
    )
    migrate(db, migrations)
    assert db.execute_sql("SELECT created_at FROM users").fetchone() == ("2026-11-20 08:00:00.000000",)
