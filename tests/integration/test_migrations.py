"""Numbered migrations: from empty, from the previous version, and refusing newer databases."""

import peewee
import pytest

from dbkit.database import open_database, open_sqlite
from dbkit.migrate import MigrationError, current_version, migrate
from diary_server.factory import diary_migrations
from models.local import local_migrations


def test_local_cache_migrates_from_empty(tmp_path):
    db = open_sqlite(tmp_path / "c.sqlite3")
    assert migrate(db, local_migrations()) == len(local_migrations())
    assert {"app_state", "account", "schema_version"} <= set(db.get_tables())
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert (tmp_path / "c.sqlite3").stat().st_mode & 0o777 == 0o600


def test_local_cache_migrates_from_the_previous_version_keeping_data(tmp_path):
    migrations = local_migrations()
    db = open_sqlite(tmp_path / "c.sqlite3")
    previous = len(migrations) - 1
    assert migrate(db, migrations, target=previous) == previous
    db.execute_sql("INSERT INTO app_state (key, value) VALUES ('last_contract', '42')")
    db.close()
    db = open_sqlite(tmp_path / "c.sqlite3")
    assert migrate(db, migrations) == len(migrations)
    assert db.execute_sql("SELECT value FROM app_state WHERE key='last_contract'").fetchone() == ("42",)
    assert migrate(db, migrations) == len(migrations)  # idempotent


def test_a_newer_database_is_refused(tmp_path):
    migrations = local_migrations()
    db = open_sqlite(tmp_path / "c.sqlite3")
    migrate(db, migrations)
    db.execute_sql("INSERT INTO schema_version (version, name) VALUES (999, 'future')")
    with pytest.raises(MigrationError, match="newer than this program"):
        migrate(db, migrations)


def test_a_failing_migration_leaves_the_previous_version(tmp_path):
    from dbkit.migrate import Migration

    def boom(db):
        db.execute_sql("CREATE TABLE half_done (x INTEGER)")
        raise peewee.OperationalError("disk full")

    migrations = [*local_migrations(), Migration(len(local_migrations()) + 1, "boom", boom)]
    db = open_sqlite(tmp_path / "c.sqlite3")
    with pytest.raises(peewee.OperationalError):
        migrate(db, migrations)
    assert current_version(db) == len(local_migrations())
    assert "half_done" not in db.get_tables()


def test_diary_migrates_from_empty_and_from_previous(diary_database_url):
    migrations = diary_migrations()
    db = open_database(diary_database_url)
    try:
        assert migrate(db, migrations, target=8) == 8  # before m0009 (sessions, throttle)
        db.execute_sql(
            "INSERT INTO users (email, name, role, password_hash, created_at) "
            "VALUES ('a@b.co', 'A', 'client', 'x', '2026-01-01 00:00:00')"
        )
        # The web pages' sessions used to be API tokens labelled "web" (m0009 revokes them).
        for label, digest in (("web", "a" * 64), ("Team app", "b" * 64)):
            db.execute_sql(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at) "  # noqa: S608
                f"VALUES (1, {db.param}, {db.param}, '2026-01-01 00:00:00')",
                (digest, label),
            )
        assert migrate(db, migrations) == len(migrations)
        assert {"users", "api_tokens", "login_throttle", "web_sessions"} <= set(db.get_tables())
        assert "login_attempts" not in db.get_tables()
        assert db.execute_sql("SELECT email FROM users").fetchone() == ("a@b.co",)
        assert db.execute_sql("SELECT label FROM api_tokens").fetchall() == [("Team app",)]
    finally:
        db.close()
