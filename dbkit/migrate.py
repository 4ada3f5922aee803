"""Numbered schema migrations with a ``schema_version`` table.

A migration is a function ``apply(db)`` with a number; :func:`migrate` applies, in order,
every migration above the stored version, each in its own transaction together with the
version bump, so a crash leaves the database at a whole version. Used by the Team app's
cache and by the diary server (each with its own list).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType

import peewee

from dbkit.database import is_postgres

#: Arbitrary constant for ``pg_advisory_xact_lock`` so that several gunicorn workers
#: starting at once apply migrations one at a time.
_PG_MIGRATION_LOCK = 727_001


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    apply: Callable[[peewee.Database], None]


class MigrationError(RuntimeError):
    pass


def discover(package: ModuleType) -> list[Migration]:
    """Collect ``mNNNN_name.py`` modules of a package, each defining ``apply(db)``."""
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        match = re.fullmatch(r"m(\d{4})_(\w+)", info.name)
        if not match:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found.append(Migration(int(match.group(1)), match.group(2), module.apply))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations in {package.__name__} must be numbered 1..N, got {numbers}")
    return found


def current_version(db: peewee.Database) -> int:
    if "schema_version" not in db.get_tables():
        return 0
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(db: peewee.Database, migrations: Sequence[Migration], target: int | None = None) -> int:
    """Bring ``db`` to ``target`` (default: the newest); return the resulting version.

    Refuses a database newer than this program (a downgrade would lose data).
    """
    newest = migrations[-1].number if migrations else 0
    target = newest if target is None else target
    with db.atomic():
        if is_postgres(db):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_MIGRATION_LOCK,))
        db.execute_sql(
            "CREATE TABLE IF NOT EXISTS schema_version ( version INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)"
        )
    version = current_version(db)
    if version > newest:
        raise MigrationError(
            f"the database is at schema version {version}, newer than this program knows "
            f"({newest}); update the program instead of using an old one on new data"
        )
    for migration in migrations:
        if version < migration.number <= target:
            with db.atomic():
                if is_postgres(db):
                    db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_MIGRATION_LOCK,))
                    if current_version(db) >= migration.number:  # another worker did it
                        continue
                migration.apply(db)
                db.execute_sql(
                    "INSERT INTO schema_version (version, name) VALUES (%s, %s)"
                    if is_postgres(db)
                    else "INSERT INTO schema_version (version, name) VALUES (?, ?)",
                    (migration.number, migration.name),
                )
            version = migration.number
    return version
