"""The tables the migrations build are the tables the peewee models describe, on both databases.

Migrations are hand-written SQL and the models are Python; nothing else ties them together.
A column a model names but no migration made, a NOT NULL column a model leaves out (every
insert through peewee would fail), or a nullability that differs, is caught here instead of
in a user's first write.
"""

from __future__ import annotations

import peewee
import pytest

from dbkit.database import open_database, open_sqlite
from dbkit.migrate import migrate


def models_of(base: type[peewee.Model]) -> list[type[peewee.Model]]:
    found, todo = [], list(base.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo += model.__subclasses__()
    return sorted(found, key=lambda m: m._meta.table_name)


def mismatches(db: peewee.Database, models: list[type[peewee.Model]]) -> list[str]:
    problems = []
    tables = set(db.get_tables())
    for model in models:
        table = model._meta.table_name
        if table not in tables:
            problems.append(f"{model.__name__}: no table {table!r}")
            continue
        columns = {c.name: c for c in db.get_columns(table)}
        fields = {f.column_name: f for f in model._meta.sorted_fields}
        for name, field in fields.items():
            column = columns.get(name)
            if column is None:
                problems.append(f"{table}.{name}: in the model, not in the table")
            elif not field.primary_key and column.null != field.null:
                problems.append(f"{table}.{name}: null={column.null} in the table, null={field.null} in the model")
        for name, column in columns.items():
            if name not in fields and not column.null and column.default is None and not column.primary_key:
                problems.append(f"{table}.{name}: NOT NULL without a default, unknown to the model")
    return problems


def time_column_types(db: peewee.Database, models: list[type[peewee.Model]]) -> set[str]:
    """The column types of every UTCDateTimeField: one per database (m0010 on the diary)."""
    from dbkit.fields import UTCDateTimeField

    types = set()
    for model in models:
        columns = {c.name: c for c in db.get_columns(model._meta.table_name)}
        for field in model._meta.sorted_fields:
            if isinstance(field, UTCDateTimeField):
                types.add(columns[field.column_name].data_type.lower())
    return types


def test_the_team_apps_cache_matches_its_models(tmp_path):
    import models.capture_store
    import models.segments  # SyncOutbox
    from models.local import BaseModel, local_migrations

    db = open_sqlite(tmp_path / "teamapp.sqlite3")
    migrate(db, local_migrations())
    models = models_of(BaseModel)
    assert {"app_state", "account", "contract", "capture_segment", "capture_image"} <= {
        m._meta.table_name for m in models
    }
    assert mismatches(db, models) == []
    assert time_column_types(db, models) == {"datetime"}


@pytest.mark.postgres
def test_the_diary_servers_database_matches_its_models(diary_database_url):
    import diary_server.diary_models
    import diary_server.invoice_models  # noqa: F401
    from diary_server.factory import diary_migrations
    from diary_server.models import BaseModel

    db = open_database(diary_database_url)
    try:
        migrate(db, diary_migrations())
        models = models_of(BaseModel)
        tables = {m._meta.table_name for m in models}
        assert {"users", "contracts", "diary_segments", "diary_snapshots", "diary_changes"} <= tables
        assert {"invoices", "invoice_lines", "invoice_counters", "invoice_weeks"} <= tables
        assert mismatches(db, models) == []
        assert time_column_types(db, models) == (
            {"timestamp with time zone"} if isinstance(db, peewee.PostgresqlDatabase) else {"datetime"}
        )
    finally:
        db.close()


#: Tables that are the migration runner's or the database's own, not the program's.
BOOKKEEPING = {"schema_version", "sqlite_sequence"}


def unmodelled(db: peewee.Database, models: list[type[peewee.Model]]) -> set[str]:
    """Tables the migrations made that no model describes (the check above cannot see them)."""
    return set(db.get_tables()) - BOOKKEEPING - {m._meta.table_name for m in models}


def test_every_table_of_the_cache_has_a_model(tmp_path):
    import models.capture_store
    import models.segments  # noqa: F401
    from models.local import BaseModel, local_migrations

    db = open_sqlite(tmp_path / "teamapp.sqlite3")
    migrate(db, local_migrations())
    assert unmodelled(db, models_of(BaseModel)) == set()


@pytest.mark.postgres
def test_every_table_of_the_diary_has_a_model(diary_database_url):
    import diary_server.diary_models
    import diary_server.invoice_models  # noqa: F401
    from diary_server.factory import diary_migrations
    from diary_server.models import BaseModel

    db = open_database(diary_database_url)
    try:
        migrate(db, diary_migrations())
        assert unmodelled(db, models_of(BaseModel)) == set()
    finally:
        db.close()


def test_a_table_without_a_model_is_seen(tmp_path):
    db = open_sqlite(tmp_path / "t.sqlite3")
    db.execute_sql("CREATE TABLE orphan (id INTEGER PRIMARY KEY AUTOINCREMENT)")
    db.execute_sql("INSERT INTO orphan DEFAULT VALUES")  # makes sqlite_sequence
    assert unmodelled(db, []) == {"orphan"}


def test_the_check_sees_a_missing_column_and_a_wrong_null(tmp_path):
    class Base(peewee.Model):
        pass

    class Thing(Base):
        name = peewee.TextField()
        note = peewee.TextField(null=True)
        extra = peewee.IntegerField()

        class Meta:
            table_name = "thing"

    db = open_sqlite(tmp_path / "t.sqlite3")
    db.execute_sql("CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT, note TEXT NOT NULL, other TEXT NOT NULL)")
    assert sorted(mismatches(db, [Thing])) == [
        "thing.extra: in the model, not in the table",
        "thing.name: null=True in the table, null=False in the model",
        "thing.note: null=False in the table, null=True in the model",
        "thing.other: NOT NULL without a default, unknown to the model",
    ]
